from django.apps import AppConfig


class BuyersConfig(AppConfig):
    """The buyer compliance officer's portal (/buyer/, /api/v1/buyer/): obligations to
    acknowledge and attest, agreements, premiums owed, notifications."""

    name = "buyers"
    verbose_name = "Buyer portal"
