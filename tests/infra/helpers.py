"""Running manage.py in a subprocess, as an operator would, against a chosen database."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A production environment with throwaway secrets (never used outside these tests).
DUMMY_PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "a-dummy-secret-key-for-the-deploy-check-0123456789abcdefghijklmnop",
    "DJANGO_ALLOWED_HOSTS": "wsr.example.org",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://wsr.example.org",
    "FIELD_ENCRYPTION_KEYS": "hP2kV6bBDo4dTf3mR2PCHqP1GxgqVQpIYRzSxQ3ZKUo=",
    "RECEIPT_CODE_HMAC_KEY": "dummy-receipt-key",
    "AUDIT_CHECKPOINT_KEY": "dummy-checkpoint-key",
    "EMAIL_HOST": "smtp.example.org",
}


def manage(*args, env=None, settings="config.settings.dev", timeout=300):
    """Run ``manage.py *args``; return the CompletedProcess (never raises on exit code)."""
    environ = {
        key: value
        for key, value in os.environ.items()
        # The parent test run's own settings must not leak into the operator's process.
        if key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "MIGRATION_DATABASE_URL"}
    }
    environ["DJANGO_SETTINGS_MODULE"] = settings
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_db_name():
    """A name of this test process's own (per pytest-xdist worker), for the databases and
    roles a test makes beside the test database."""
    from django.conf import settings

    return settings.TEST_RUN_NAME
