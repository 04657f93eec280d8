"""Account credentials that are not passwords: API tokens and the list of a user's
sessions. Both belong to the user, not to a program; their events go to the platform
audit chain (``AuditEvent.program`` is null)."""

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A named REST API token. Only a SHA-256 digest of the secret is stored: the
    secret is 256 random bits, so a fast hash is enough (nothing to brute-force) and a
    stolen database yields no usable token. ``prefix`` (the first characters of the
    secret) lets the owner tell tokens apart in the list; it identifies, never
    authenticates."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class UserSession(models.Model):
    """One logged-in session of a user, so the user (and a program admin) can list and
    end them. It records when and with what browser, never from which address."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="user_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    user_agent = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.user} since {self.created_at:%Y-%m-%d %H:%M}"


class TOTPSecret(models.Model):
    """The encrypted secret of an authenticator app (django-otp's ``TOTPDevice``, whose
    own ``key`` column then holds only a marker): accounts/totp_secrets.py."""

    device = models.OneToOneField(
        "otp_totp.TOTPDevice",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="sealed_secret",
    )
    ciphertext = models.TextField()

    def __str__(self):
        return f"secret of {self.device_id}"
