"""The channel's secret and the worker's phone number: encrypted and keyed-hashed with
the same keys as complainant identity and receipt codes (complaints/crypto.py)."""

import hashlib
import hmac
import os
import re

from django.conf import settings

from complaints import crypto

_NOT_DIGITS = re.compile(r"[^\d]")


class MissingSecret(Exception):
    pass


def channel_secret(config) -> str:
    """The auth token / HMAC key of ``config``: the environment variable it names, else
    its encrypted copy in the database."""
    if config.secret_env:
        value = os.environ.get(config.secret_env, "")
        if not value:
            raise MissingSecret(f"environment variable {config.secret_env} is not set")
        return value
    if config.secret_ciphertext:
        return crypto.decrypt_identity(config.secret_ciphertext).get("secret", "")
    raise MissingSecret("the channel has no secret")


def encrypt_secret(secret: str) -> str:
    return crypto.encrypt_identity({"secret": secret})


def normalize_phone(raw: str) -> str:
    """E.164 form of a sender: "+" and digits, without a "whatsapp:" prefix."""
    raw = (raw or "").strip()
    if ":" in raw:
        raw = raw.split(":", 1)[1]
    digits = _NOT_DIGITS.sub("", raw)
    return f"+{digits}" if digits else ""


def phone_hash(program_id: int, phone: str) -> str:
    """Keyed hash of a number within a program: finds the worker's conversation again
    without storing the number in the clear (domain-separated from receipt codes)."""
    key = settings.RECEIPT_CODE_HMAC_KEY
    key = key.encode() if isinstance(key, str) else key
    message = f"channel-phone:{program_id}:{normalize_phone(phone)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def encrypt_phone(phone: str) -> str:
    return crypto.encrypt_identity({"phone": normalize_phone(phone)})


def decrypt_phone(token: str) -> str:
    return crypto.decrypt_identity(token).get("phone", "")
