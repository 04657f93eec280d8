"""The premium ledger's tables. They keep the names they had in the enforcement app
(``Meta.db_table``), so moving the code moved no data."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import ProgramOwned

# ---------------------------------------------------------------- premium ledger


class ImportKind(models.TextChoices):
    PURCHASE_REPORTS = "purchase_reports", _("Purchase reports")
    PAYROLL_DISTRIBUTIONS = "payroll_distributions", _("Payroll distributions")
    PREMIUM_PAYMENTS = "premium_payments", _("Premium payments")


class LedgerImport(ProgramOwned):
    kind = models.CharField(max_length=30, choices=ImportKind.choices)
    filename = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    row_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "enforcement_ledgerimport"
        ordering = ["-created_at"]


class PurchaseReport(ProgramOwned):
    buyer = models.ForeignKey("programs.Buyer", on_delete=models.PROTECT, related_name="+")
    supplier = models.ForeignKey("programs.Supplier", on_delete=models.PROTECT, related_name="+")
    agreement = models.ForeignKey(
        "programs.Agreement", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    period_start = models.DateField()
    period_end = models.DateField()
    volume = models.DecimalField(max_digits=16, decimal_places=3)
    unit = models.CharField(max_length=20)
    # Rate and amount as of the report: later agreement edits do not rewrite the ledger.
    premium_rate = models.DecimalField(max_digits=12, decimal_places=6)
    premium_owed = models.DecimalField(max_digits=16, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    source = models.ForeignKey(
        LedgerImport, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "enforcement_purchasereport"
        ordering = ["-period_start", "buyer_id", "supplier_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "buyer", "supplier", "period_start", "period_end"],
                name="purchasereport_one_per_period",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="purchasereport_period_ordered",
            ),
            models.CheckConstraint(condition=Q(volume__gte=0), name="purchasereport_volume_pos"),
        ]


class PremiumPayment(ProgramOwned):
    buyer = models.ForeignKey("programs.Buyer", on_delete=models.PROTECT, related_name="+")
    supplier = models.ForeignKey("programs.Supplier", on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    paid_on = models.DateField()
    reference = models.CharField(max_length=100, blank=True)
    source = models.ForeignKey(
        LedgerImport, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "enforcement_premiumpayment"
        ordering = ["-paid_on"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="premiumpayment_amount_pos"),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="premiumpayment_period_ordered",
            ),
        ]
        # The reconciliation's per-row sums (premiums/ledger.py): a supplier's
        # payments for one period, without reading its whole year.
        indexes = [
            models.Index(
                fields=["supplier", "period_start", "period_end"], name="premiumpayment_period"
            )
        ]


class PayrollDistribution(ProgramOwned):
    """Premium passed to workers as a paycheck line item, per payroll period."""

    supplier = models.ForeignKey("programs.Supplier", on_delete=models.PROTECT, related_name="+")
    facility = models.ForeignKey(
        "programs.Facility", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    period_start = models.DateField()
    period_end = models.DateField()
    workers_paid = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    source = models.ForeignKey(
        LedgerImport, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "enforcement_payrolldistribution"
        ordering = ["-period_start"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="payroll_amount_nonneg"),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="payroll_period_ordered",
            ),
        ]
        indexes = [models.Index(fields=["supplier", "period_start"], name="payroll_period")]
