"""Authenticator-app secrets are encrypted at rest (accounts/totp_secrets.py): the
database holds neither the hex nor the base32 form of a secret, and codes still verify."""

import base64
import importlib
import time

import pytest
from django.apps import apps
from django.db import connection
from django_otp import match_token
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import totp_secrets
from accounts.models import TOTPSecret
from core.roles import Role

from .test_mfa import password_login

pytestmark = [pytest.mark.django_db, pytest.mark.mfa]


def code_for(secret_b32, steps_ahead=0):
    totp = TOTP(base64.b32decode(secret_b32), 30, 0, 6)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def _raw_columns(device_pk):
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM otp_totp_totpdevice WHERE id = %s", [device_pk])
        (key,) = cursor.fetchone()
        cursor.execute(
            "SELECT ciphertext FROM accounts_totpsecret WHERE device_id = %s", [device_pk]
        )
        (ciphertext,) = cursor.fetchone()
    return key, ciphertext


def test_the_database_holds_no_secret_and_codes_still_verify(personas):
    user = personas.a.user(Role.STAFF)
    client = password_login(user)
    client.post("/accounts/mfa/totp/", {"action": "start"})
    secret_b32 = client.get("/accounts/mfa/totp/").context["secret"]
    secret_hex = base64.b32decode(secret_b32).hex()
    device = TOTPDevice.objects.get(user=user)

    key, ciphertext = _raw_columns(device.pk)
    assert key == totp_secrets.SEALED
    for form in (secret_hex, secret_hex.upper(), secret_b32):
        assert form not in ciphertext and form not in key

    done = client.post("/accounts/mfa/totp/", {"code": code_for(secret_b32), "next": "/p/"})
    assert done.status_code == 200 and TOTPDevice.objects.get(pk=device.pk).confirmed
    # A fresh read from the database verifies the next code (the login's second step).
    assert match_token(user, code_for(secret_b32, 1)) is not None
    # Saving the device again (django-otp does, after each code) keeps it sealed.
    assert _raw_columns(device.pk)[0] == totp_secrets.SEALED


def test_a_device_read_without_the_key_verifies_nothing(personas):
    """Without FIELD_ENCRYPTION_KEYS' key the secret cannot be read (an error, never a
    guessable key)."""
    from cryptography.fernet import InvalidToken

    device = TOTPDevice.objects.create(user=personas.a.user(Role.STAFF), name="app")
    TOTPSecret.objects.filter(device=device).update(ciphertext="gAAAA-not-a-token")
    with pytest.raises(InvalidToken):
        TOTPDevice.objects.get(pk=device.pk).bin_key  # noqa: B018


def test_the_data_migration_seals_existing_secrets(personas):
    user = personas.a.user(Role.STAFF)
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    secret_hex = device.bin_key.hex()
    # A device as it was before the migration: the hex secret in django-otp's column.
    TOTPSecret.objects.filter(device=device).delete()
    TOTPDevice.objects.filter(pk=device.pk).update(key=secret_hex)

    migration = importlib.import_module("accounts.migrations.0004_seal_existing_totp_secrets")
    migration.seal_existing(apps, None)

    key, ciphertext = _raw_columns(device.pk)
    assert key == totp_secrets.SEALED and secret_hex not in ciphertext
    fresh = TOTPDevice.objects.get(pk=device.pk)
    assert fresh.bin_key.hex() == secret_hex
    totp = TOTP(fresh.bin_key, fresh.step, fresh.t0, fresh.digits)
    assert fresh.verify_token(totp.token())

    migration.unseal_all(apps, None)  # and back
    assert TOTPDevice.objects.filter(pk=device.pk).values_list("key", flat=True)[0] == secret_hex


def test_secrets_rotate_to_a_new_key(personas, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    device = TOTPDevice.objects.create(user=personas.a.user(Role.STAFF), name="app")
    secret = device.bin_key
    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *old_keys]
    call_command("rotate_totp_secrets", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]  # the old key gone
    assert TOTPDevice.objects.get(pk=device.pk).bin_key == secret
