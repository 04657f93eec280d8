"""Encryption of complainant identity and the keyed hash of receipt codes.

Identity: MultiFernet over ``settings.FIELD_ENCRYPTION_KEYS``. The first key encrypts,
every key decrypts, so a key rotates by prepending a new one and running
``manage.py rotate_complaint_keys`` (re-encrypts with the first key).

Receipt codes: 16 digits from ``secrets``; only HMAC-SHA256 under
``settings.RECEIPT_CODE_HMAC_KEY`` is stored, so a database dump does not let anyone
read a complainant's thread (the code space is too large to enumerate offline without
the key).
"""

import hashlib
import hmac
import json
import re
import secrets

from cryptography.fernet import InvalidToken
from django.conf import settings

from core import keyring

RECEIPT_DIGITS = 16
_SEPARATORS = re.compile(r"[\s\-.]")


def fernet():
    # The platform's one key ring (core.keyring), shared with the stored files.
    return keyring.multifernet()


def encrypt_identity(data: dict) -> str:
    """Encrypt an identity dict; empty values are dropped, nothing left → ""."""
    clean = {k: v.strip() for k, v in data.items() if isinstance(v, str) and v.strip()}
    if not clean:
        return ""
    return fernet().encrypt(json.dumps(clean, sort_keys=True).encode()).decode()


def decrypt_identity(token: str) -> dict:
    if not token:
        return {}
    try:
        return json.loads(fernet().decrypt(token.encode()))
    except InvalidToken as exc:  # a key was removed before its data was rotated
        raise RuntimeError("identity cannot be decrypted with the configured keys") from exc


def rotate_token(token: str) -> str:
    return fernet().rotate(token.encode()).decode() if token else token


def new_receipt_code() -> str:
    return f"{secrets.randbelow(10**RECEIPT_DIGITS):0{RECEIPT_DIGITS}d}"


def format_receipt_code(code: str) -> str:
    return " ".join(code[i : i + 4] for i in range(0, RECEIPT_DIGITS, 4))


def normalize_receipt_code(raw) -> str | None:
    """Digits of a typed code (spaces, dashes, dots allowed), or None if malformed."""
    if not isinstance(raw, str):
        return None
    digits = _SEPARATORS.sub("", raw)
    if len(digits) != RECEIPT_DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def receipt_hash(code: str) -> str:
    key = settings.RECEIPT_CODE_HMAC_KEY
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()
