"""Production settings pass `manage.py check --deploy` with nothing but the environment."""

from .helpers import DUMMY_PRODUCTION_ENV, manage


def test_deploy_security_checks_pass_under_production_settings():
    result = manage(
        "check",
        "--deploy",
        "--tag",
        "security",
        "--fail-level",
        "WARNING",
        settings="config.settings.production",
        env=DUMMY_PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_is_clean_under_production_settings():
    """Every check, including the OpenAPI schema's (drf-spectacular generates the schema
    during the deploy check, so a serializer name clash shows up here)."""
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        settings="config.settings.production",
        env=DUMMY_PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Only the one warning silenced on purpose (axes.W006, reason in base.py) may be silenced.
    assert "System check identified no issues (1 silenced)." in result.stdout, result.stdout


def test_production_refuses_to_start_without_a_secret():
    env = dict(DUMMY_PRODUCTION_ENV)
    env["RECEIPT_CODE_HMAC_KEY"] = ""
    result = manage("check", settings="config.settings.production", env=env)
    assert result.returncode != 0
    assert "Set RECEIPT_CODE_HMAC_KEY (or RECEIPT_CODE_HMAC_KEY_FILE)" in result.stderr


def test_production_reads_secrets_from_files(tmp_path):
    secret = tmp_path / "hmac"
    secret.write_text("key-from-a-file\n")
    env = dict(DUMMY_PRODUCTION_ENV)
    env["RECEIPT_CODE_HMAC_KEY"] = ""
    env["RECEIPT_CODE_HMAC_KEY_FILE"] = str(secret)
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.RECEIPT_CODE_HMAC_KEY)",
        settings="config.settings.production",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "key-from-a-file"


def test_production_mail_goes_through_smtp_mailers():
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; m = settings.MAILERS['default']; "
        "print(m['BACKEND'], m['OPTIONS']['host'])",
        settings="config.settings.production",
        env=DUMMY_PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.org",
    ]
    # MAILERS replaces the deprecated EMAIL_* settings: no deprecation warning at start-up.
    assert "deprecated" not in result.stderr.lower()
