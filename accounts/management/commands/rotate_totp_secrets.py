from django.core.management.base import BaseCommand

from accounts import totp_secrets


class Command(BaseCommand):
    help = "Re-encrypt authenticator-app secrets with the first FIELD_ENCRYPTION_KEYS key."

    def handle(self, *args, **options):
        count = totp_secrets.rotate_all()
        self.stdout.write(f"{count} authenticator secrets re-encrypted")
