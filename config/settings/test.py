"""Test settings: the real PostgreSQL and the real Redis, never SQLite or mocks.

Parallel test runs on one machine (several developers' helpers) keep apart by setting
WSR_TEST_DB_NAME and WSR_TEST_REDIS_BASE (broker on that Redis db, cache on the next).
"""

from .base import *  # noqa: F403
from .base import DATABASES, env

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DATABASES["default"]["TEST"] = {"NAME": env("WSR_TEST_DB_NAME", default="test_wsr")}
DATABASES["default"]["CONN_MAX_AGE"] = 0

_redis_base = env.int("WSR_TEST_REDIS_BASE", default=14)
_redis_port = env.int("WSR_TEST_REDIS_PORT", default=6379)
CELERY_BROKER_URL = f"redis://127.0.0.1:{_redis_port}/{_redis_base}"
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{_redis_port}/{_redis_base + 1}",
        "KEY_PREFIX": env("WSR_TEST_DB_NAME", default="test_wsr"),
    }
}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
MEDIA_ROOT = BASE_DIR / "var" / f"test-media-{env('WSR_TEST_DB_NAME', default='test_wsr')}"  # noqa: F405
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
