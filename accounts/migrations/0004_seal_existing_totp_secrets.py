"""Move every existing authenticator-app secret out of django-otp's ``key`` column into
an encrypted ``TOTPSecret`` row (accounts/totp_secrets.py). Reversible: unsealing puts
the hex secrets back (with the same FIELD_ENCRYPTION_KEYS)."""

from django.db import migrations

SEALED = "sealed"  # accounts.totp_secrets.SEALED, frozen here


def seal_existing(apps, schema_editor):
    from core.keyring import multifernet as fernet

    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    TOTPSecret = apps.get_model("accounts", "TOTPSecret")
    for device in TOTPDevice.objects.exclude(key=SEALED).iterator():
        TOTPSecret.objects.update_or_create(
            device_id=device.pk,
            defaults={"ciphertext": fernet().encrypt(device.key.encode()).decode()},
        )
        TOTPDevice.objects.filter(pk=device.pk).update(key=SEALED)


def unseal_all(apps, schema_editor):
    from core.keyring import multifernet as fernet

    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    TOTPSecret = apps.get_model("accounts", "TOTPSecret")
    for secret in TOTPSecret.objects.iterator():
        plain = fernet().decrypt(secret.ciphertext.encode()).decode()
        TOTPDevice.objects.filter(pk=secret.device_id).update(key=plain)
    TOTPSecret.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_totp_secret_sealed")]

    operations = [migrations.RunPython(seal_existing, unseal_all)]
