"""The platform's one encryption of secrets at rest: MultiFernet over
``settings.FIELD_ENCRYPTION_KEYS`` (set in the environment, never in the database).

The first key encrypts, every key decrypts, so a key rotates by prepending a new one and
re-encrypting (``manage.py rotate_complaint_keys`` for identities). Used for complainant
identities (complaints/crypto.py) and authenticator-app secrets (accounts/totp_secrets.py).
"""

from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(keys):
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])


def fernet():
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))
