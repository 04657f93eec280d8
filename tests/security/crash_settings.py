"""Settings for the Celery worker subprocesses of tests/security/test_crash_safety.py:
the test settings, pointed at the pytest test database and at the test's own Redis."""

import os

from config.settings.test import *  # noqa: F403
from config.settings.test import DATABASES

DATABASES["default"]["NAME"] = os.environ["WSR_CRASH_DB"]
CELERY_BROKER_URL = os.environ["WSR_CRASH_BROKER"]
# A short visibility timeout makes a restarted worker take back what a killed worker
# had taken but not acknowledged within seconds, instead of the production hour.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("WSR_CRASH_VISIBILITY", "3600")),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
