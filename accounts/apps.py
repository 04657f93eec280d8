from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from . import (
            signals,  # noqa: F401  (session bookkeeping on log in / log out)
            totp_secrets,
        )

        # Authenticator-app secrets encrypted at rest (accounts/totp_secrets.py).
        totp_secrets.install()
