from django.core.management.base import BaseCommand

from complaints import services
from core.actors import SystemActor
from core.scoping import program_scope
from programs.models import Program


class Command(BaseCommand):
    help = "Re-encrypt complainant identities with the first FIELD_ENCRYPTION_KEYS key."

    def handle(self, *args, **options):
        for program in Program.objects.order_by("pk"):
            with program_scope(program):
                count = services.identity_keys_rotate(
                    actor=SystemActor("rotate_complaint_keys"), program=program
                )
            self.stdout.write(f"{program.slug}: {count} identities re-encrypted")
