"""Authenticator-app secrets encrypted at rest.

django-otp keeps a TOTP device's secret in ``TOTPDevice.key`` as hex, readable by
anyone with a database dump (and a stolen secret is a second factor forever). Here the
secret is sealed with the platform's one key ring (core/keyring.py:
MultiFernet over ``FIELD_ENCRYPTION_KEYS``, a key kept in the environment, not the
database) in ``accounts.TOTPSecret``, and ``TOTPDevice.key`` holds only ``SEALED``.

- On save (pre_save/post_save signals, connected in AccountsConfig.ready) a device
  whose ``key`` is a hex secret has it moved into its ``TOTPSecret`` row.
- ``TOTPDevice.bin_key``, the one place django-otp reads the secret (verification, the
  otpauth URL), is replaced by ``sealed_bin_key``, which decrypts it.
- ``SEALED`` is not hex: a code path that read the column directly would fail (a 500),
  never verify against a guessable key.

``bulk_create``/``update()`` skip signals: do not write TOTP devices with them.
"""

from binascii import unhexlify

from core.keyring import multifernet as fernet

SEALED = "sealed"


def seal(secret_hex: str) -> str:
    return fernet().encrypt(secret_hex.encode()).decode()


def unseal(ciphertext: str) -> str:
    return fernet().decrypt(ciphertext.encode()).decode()


def sealed_bin_key(device):
    """The device's secret as bytes (``TOTPDevice.bin_key``)."""
    if device.key != SEALED:  # not saved yet: the default key django-otp generated
        return unhexlify(device.key.encode())
    plain = getattr(device, "_unsealed_key", None)
    if plain is None:
        from .models import TOTPSecret

        plain = unseal(TOTPSecret.objects.get(device_id=device.pk).ciphertext)
        device._unsealed_key = plain
    return unhexlify(plain.encode())


def before_save(sender, instance, **kwargs):
    if instance.key != SEALED:
        instance._unsealed_key = instance.key
        instance._to_seal = True
        instance.key = SEALED


def after_save(sender, instance, **kwargs):
    if instance.__dict__.pop("_to_seal", False):
        from .models import TOTPSecret

        TOTPSecret.objects.update_or_create(
            device_id=instance.pk, defaults={"ciphertext": seal(instance._unsealed_key)}
        )


def install():
    """Called once from AccountsConfig.ready()."""
    from django.db.models.signals import post_save, pre_save
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.bin_key = property(sealed_bin_key)
    pre_save.connect(before_save, sender=TOTPDevice, dispatch_uid="accounts.totp_seal")
    post_save.connect(after_save, sender=TOTPDevice, dispatch_uid="accounts.totp_seal")


def rotate_all():
    """Re-encrypt every sealed secret with the first key (after prepending a new one to
    FIELD_ENCRYPTION_KEYS; ``manage.py rotate_totp_secrets``). Returns the count."""
    from django.db import transaction

    from .models import TOTPSecret

    count = 0
    with transaction.atomic():
        for row in TOTPSecret.objects.select_for_update():
            row.ciphertext = fernet().rotate(row.ciphertext.encode()).decode()
            row.save(update_fields=["ciphertext"])
            count += 1
    return count
