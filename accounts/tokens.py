"""Making and checking API token secrets, and the DRF authentication class.

A secret is ``wsr_`` + 43 URL-safe characters (256 random bits). Only its SHA-256 is
stored (``ApiToken.digest``); a slow hash would buy nothing for a secret this long and
would cost every API request.
"""

import hashlib
import secrets

from django.utils import timezone
from rest_framework import authentication, exceptions

SECRET_PREFIX = "wsr_"  # noqa: S105 - a label, not a secret
PREFIX_CHARS = 8  # shown in the list so the owner can tell tokens apart


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def display_prefix(secret: str) -> str:
    return secret.removeprefix(SECRET_PREFIX)[:PREFIX_CHARS]


def token_for_secret(secret: str):
    """The live token this secret opens (not revoked, not expired, active user), or None."""
    from .models import ApiToken

    if not secret or len(secret) > 200:
        return None
    return (
        ApiToken.objects.select_related("user")
        .filter(
            digest=digest_of(secret),
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            user__is_active=True,
        )
        .first()
    )


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <secret>`` (as before) or ``Authorization: Bearer <secret>``.

    Checked on every request against the database: revoking a token, deactivating the
    account or letting the token expire stops it at once.
    """

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() not in (b"token", b"bearer"):
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header.")
        try:
            secret = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token header.") from exc
        token = token_for_secret(secret)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        return token.user, token

    def authenticate_header(self, request):
        return "Token"
