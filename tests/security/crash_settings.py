"""Settings for the Celery worker subprocesses of tests/security/test_crash_safety.py:
the test settings, pointed at the pytest test database and at the test's own Redis."""

import os

from wsr.settings.test import *  # noqa: F403
from wsr.settings.test import DATABASES

DATABASES["default"]["NAME"] = os.environ["WSR_CRASH_DB"]
CELERY_BROKER_URL = os.environ["WSR_CRASH_BROKER"]
# A short visibility timeout makes a restarted worker take back what a killed worker
# had taken but not acknowledged within seconds, instead of the production hour.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("WSR_CRASH_VISIBILITY", "3600")),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}

# Mail of the worker subprocesses goes to a file the test reads (one JSON line per
# message, fsynced), through a backend that can be held at a gate to kill the worker
# mid-send (tests/security/test_notification_outbox.py).
if os.environ.get("WSR_MAIL_LOG"):
    MAILERS = {"default": {"BACKEND": "tests.security.mail_log_backend.MailLogBackend"}}
NOTIFICATION_LEASE = int(os.environ.get("WSR_NOTIFICATION_LEASE", "300"))
