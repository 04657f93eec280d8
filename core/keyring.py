"""The platform's one encryption key ring: ``settings.FIELD_ENCRYPTION_KEYS`` (Fernet keys
from the environment, never from the database). The first key encrypts, every key
decrypts; a key rotates by prepending a new one and re-encrypting what the old one holds
(``rotate_complaint_keys`` for identities, ``encrypt_files`` for stored files).

Complainant identity (complaints.crypto) and stored files (core.filecrypt) both use it:
one mechanism, one set of keys to keep and rotate.
"""

import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


def _as_bytes(key):
    return key.encode() if isinstance(key, str) else key


def key_id(key) -> str:
    """A short public name for a key (stored beside what it encrypted); reveals nothing
    about the key (a truncated SHA-256 of it, domain-separated)."""
    return hashlib.sha256(b"wsr-key-id:" + _as_bytes(key).strip()).hexdigest()[:16]


@lru_cache(maxsize=4)
def _ring(keys):
    fernets = [Fernet(_as_bytes(k)) for k in keys]
    return MultiFernet(fernets), tuple(zip((key_id(k) for k in keys), fernets, strict=True))


def multifernet() -> MultiFernet:
    return _ring(tuple(settings.FIELD_ENCRYPTION_KEYS))[0]


def current() -> tuple[str, Fernet]:
    """(key id, Fernet) of the key that encrypts."""
    return _ring(tuple(settings.FIELD_ENCRYPTION_KEYS))[1][0]


def by_id(wanted: str) -> Fernet | None:
    for kid, fernet in _ring(tuple(settings.FIELD_ENCRYPTION_KEYS))[1]:
        if kid == wanted:
            return fernet
    return None
