"""Production: everything from the environment, secure by default (passes check --deploy).

Secrets may come from files (``<NAME>_FILE``, e.g. Docker secrets). A missing secret is
a startup error naming the variable, never a silent default.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import FILE_STORAGE, SMTP_BACKEND, env, env_secret, file_storage, mailers


def required_secret(name):
    value = env_secret(name, None)
    if not value:
        raise ImproperlyConfigured(f"Set {name} (or {name}_FILE) in the environment.")
    return value


DEBUG = False
SECRET_KEY = required_secret("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# TLS terminates at the reverse proxy in front of gunicorn, which sets X-Forwarded-Proto.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The container health check asks over plain HTTP from inside the container.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Object storage needs its credentials, like any other secret (no silent blank key).
STORAGES = {
    "default": file_storage(FILE_STORAGE, secret=lambda name, default: required_secret(name)),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Comma-separated; the first key encrypts, all decrypt (rotation by prepending).
FIELD_ENCRYPTION_KEYS = [
    key.strip() for key in required_secret("FIELD_ENCRYPTION_KEYS").split(",") if key.strip()
]
RECEIPT_CODE_HMAC_KEY = required_secret("RECEIPT_CODE_HMAC_KEY")
AUDIT_CHECKPOINT_KEY = required_secret("AUDIT_CHECKPOINT_KEY")
MAILERS = mailers(SMTP_BACKEND)
