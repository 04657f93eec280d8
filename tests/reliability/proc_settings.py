"""Settings of the processes the reliability probes start (Celery workers, gunicorn):
the test settings, pointed at the pytest test database and at the probe's own Redis."""

import os

from config.settings.test import *  # noqa: F403
from config.settings.test import CACHE_OPTIONS, DATABASES, REST_FRAMEWORK

DATABASES["default"]["NAME"] = os.environ["WSR_PROC_DB"]
CELERY_BROKER_URL = os.environ["WSR_PROC_BROKER"]
# A short visibility timeout makes a restarted worker take back what a killed worker
# had taken but not acknowledged within seconds, instead of the production hour.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("WSR_PROC_VISIBILITY", "3600")),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
    "socket_timeout": 2,
    "socket_connect_timeout": 2,
}
if os.environ.get("WSR_PROC_CACHE"):
    CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": os.environ["WSR_PROC_CACHE"],
            "KEY_PREFIX": "probe",
            "OPTIONS": CACHE_OPTIONS,
        }
    }
if os.environ.get("WSR_PROC_LIFT_THROTTLES"):
    # Intake at many complaints a second from one test: lift the per-program bucket
    # (the throttle still counts in Redis, so its outage path is exercised).
    REST_FRAMEWORK = {
        **REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "public_submit": "100000/min",
        },
    }

# Mail of the worker subprocesses goes to a file the test reads (one JSON line per
# message, fsynced), through a backend that can be held at a gate to kill the worker
# mid-send (tests/security/test_notification_outbox.py).
if os.environ.get("WSR_MAIL_LOG"):
    MAILERS = {"default": {"BACKEND": "tests.security.mail_log_backend.MailLogBackend"}}
NOTIFICATION_LEASE = int(os.environ.get("WSR_NOTIFICATION_LEASE", "300"))
