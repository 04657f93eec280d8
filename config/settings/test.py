"""Test settings: the real PostgreSQL and the real Redis, never SQLite or mocks.

Parallel test runs on one machine (several developers' helpers) keep apart by setting
WSR_TEST_DB_NAME and WSR_TEST_REDIS_BASE (broker on that Redis db, cache on the next).
Within one run, each pytest-xdist worker (gw0, gw1, ...) gets a pair of its own: the
database suffixed _gw<n> (pytest-django does that), Redis dbs base + 2n and base + 2n + 1,
and its own cache key prefix and MEDIA_ROOT.
"""

import os

from .base import *  # noqa: F403
from .base import CACHE_OPTIONS, DATABASES, env

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DATABASES["default"]["TEST"] = {"NAME": env("WSR_TEST_DB_NAME", default="test_wsr")}
DATABASES["default"]["CONN_MAX_AGE"] = 0

# Set by pytest-xdist in its worker processes only ("gw0", "gw1", ...).
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_worker_number = int(XDIST_WORKER[2:]) if XDIST_WORKER.startswith("gw") else 0
# This process's name for what it owns outside the database (cache keys, media files).
TEST_RUN_NAME = env("WSR_TEST_DB_NAME", default="test_wsr") + (
    f"_{XDIST_WORKER}" if XDIST_WORKER else ""
)

# A stock Redis has 16 databases (0-15): worker n takes the pair 2n after the base,
# wrapping around, so up to 8 workers fit whatever the base (gw1 after 14 takes 0 and 1).
_redis_base = (env.int("WSR_TEST_REDIS_BASE", default=14) + 2 * _worker_number) % 16
_redis_port = env.int("WSR_TEST_REDIS_PORT", default=6379)
CELERY_BROKER_URL = f"redis://127.0.0.1:{_redis_port}/{_redis_base}"
CACHES = {
    "default": {
        "BACKEND": "core.cache.ResilientRedisCache",
        "LOCATION": f"redis://127.0.0.1:{_redis_port}/{_redis_base + 1}",
        "KEY_PREFIX": TEST_RUN_NAME,
        "OPTIONS": CACHE_OPTIONS,
    }
}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
MEDIA_ROOT = BASE_DIR / "var" / f"test-media-{TEST_RUN_NAME}"  # noqa: F405
AXES_FAILURE_LIMIT = 5
# Figures current on every request, so a test sees what it just wrote; the lag itself is
# tested with override_settings (tests/disclosure/test_page_cache.py).
DISCLOSURE_FIGURES_MAX_AGE = 0
# A notice per complaint, as the tests expect, and no delayed closing runs left on the
# broker between tests; the window is tested with override_settings (test_notices.py).
COMPLAINT_NOTICE_WINDOW = 0
DISCLOSURE_VERSION_MAX_AGE = 0
ALLOWED_HOSTS = ["*"]
# Never let a developer's MIGRATION_DATABASE_URL point the test run's migrate elsewhere.
MIGRATION_DATABASE_URL = ""
# Static files straight from the finders (app dirs, static/, node_modules), as in
# development: tests need no collectstatic, and WhiteNoise does not warn about STATIC_ROOT.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Each run's own checkpoint folder (tests point it at a tmp_path when they look at it).
AUDIT_CHECKPOINT_DIR = (
    BASE_DIR  # noqa: F405
    / "var"
    / f"test-checkpoints-{env('WSR_TEST_DB_NAME', default='test_wsr')}"
)
AUDIT_CHECKPOINT_KEY = "test-audit-checkpoint-key"  # noqa: S105
# Django's test flush empties tables with TRUNCATE, which the audit log refuses unless
# the session says so (migration 0005); tests/security/test_audit_anchor.py checks the
# refusal on a connection without this option.
_options = DATABASES["default"].setdefault("OPTIONS", {})
_options["options"] = f"{_options.get('options', '')} -c wsr.allow_audit_truncate=on".strip()
