from django.apps import AppConfig


class PremiumsConfig(AppConfig):
    """The premium ledger: what buyers owe (purchase volume x the agreement's rate), what
    they paid to suppliers, and what suppliers passed on to workers on their paychecks;
    reconciled per buyer, supplier and period, with the shortfall check."""

    name = "premiums"
    verbose_name = "Premium ledger"
