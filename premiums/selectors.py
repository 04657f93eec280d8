"""Reads of the premium ledger; every function takes the program and returns only its rows."""

from bisect import bisect_left
from decimal import Decimal

from django.db.models import Sum

from programs.models import Agreement, AgreementStatus

from .models import LedgerImport, PayrollDistribution, PremiumPayment, PurchaseReport

# ---------------------------------------------------------------- premium ledger


def purchase_report_list(*, program, buyer=None, supplier=None):
    qs = PurchaseReport.objects.filter(program=program).select_related("buyer", "supplier")
    if buyer:
        qs = qs.filter(buyer_id=buyer)
    if supplier:
        qs = qs.filter(supplier_id=supplier)
    return qs.order_by("-period_start", "buyer__name", "supplier__legal_name", "pk")


def premium_payment_list(*, program, buyer=None, supplier=None):
    qs = PremiumPayment.objects.filter(program=program).select_related("buyer", "supplier")
    if buyer:
        qs = qs.filter(buyer_id=buyer)
    if supplier:
        qs = qs.filter(supplier_id=supplier)
    return qs.order_by("-paid_on", "pk")


def payroll_distribution_list(*, program, supplier=None):
    qs = PayrollDistribution.objects.filter(program=program).select_related("supplier", "facility")
    if supplier:
        qs = qs.filter(supplier_id=supplier)
    return qs.order_by("-period_start", "pk")


def ledger_import_list(*, program):
    return LedgerImport.objects.filter(program=program).select_related("created_by")


def premium_paid_to_workers(*, program):
    total = PayrollDistribution.objects.filter(program=program).aggregate(s=Sum("amount"))["s"]
    return total or Decimal("0.00")


def premium_currency(*, program):
    agreement = (
        Agreement.objects.filter(program=program, status=AgreementStatus.ACTIVE)
        .order_by("-effective_from")
        .values_list("premium_currency", flat=True)
        .first()
    )
    return agreement or "USD"


ZERO = Decimal("0")


ZERO_CENTS = Decimal("0.00")


CENTS = Decimal("0.01")


def _owed_rows(*, program, buyer=None, supplier=None):
    """Premium owed per (buyer, supplier, reporting period), in the reconciliation's
    order: newest period first, then buyer and supplier by name. One aggregate query."""
    reports = PurchaseReport.objects.filter(program=program)
    if buyer:
        reports = reports.filter(buyer_id=buyer)
    if supplier:
        reports = reports.filter(supplier_id=supplier)
    return list(
        reports.values(
            "buyer_id",
            "buyer__name",
            "supplier_id",
            "supplier__legal_name",
            "period_start",
            "period_end",
            "currency",
        )
        .annotate(owed=Sum("premium_owed"), volume=Sum("volume"))
        .order_by("-period_start", "buyer__name", "supplier__legal_name")
    )


class _PremiumLedger:
    """The premium payments to, and payroll distributions of, a set of suppliers, indexed
    for lookups per (buyer, supplier, period) and per (supplier, period). Two aggregate
    queries, whatever the number of reports."""

    def __init__(self, *, program, supplier_ids):
        # Payments from each buyer, and from all buyers together (to share distributions
        # among the buyers who paid, and for the supplier's position).
        self.paid = {}
        self.received = {}
        for p in (
            PremiumPayment.objects.filter(program=program, supplier_id__in=supplier_ids)
            .values("buyer_id", "supplier_id", "period_start", "period_end")
            .annotate(total=Sum("amount"))
            .order_by()
        ):
            period = (p["supplier_id"], p["period_start"], p["period_end"])
            self.paid[(p["buyer_id"], *period)] = p["total"]
            self.received[period] = self.received.get(period, ZERO) + p["total"]
        # Per supplier, sorted by start: a reporting period's distributions are found by
        # bisection, and summed once per (supplier, period) whatever the number of buyers.
        # (Scanning every distribution for every row made this quadratic: a year of weekly
        # reports for 2,000 pairs ran for hours.)
        self._dists = {}
        for d in (
            PayrollDistribution.objects.filter(program=program, supplier_id__in=supplier_ids)
            .values("supplier_id", "period_start", "period_end")
            .annotate(total=Sum("amount"))
            .order_by("supplier_id", "period_start")
        ):
            self._dists.setdefault(d["supplier_id"], []).append(
                (d["period_start"], d["period_end"], d["total"])
            )
        self._starts = {s: [d[0] for d in ds] for s, ds in self._dists.items()}
        self._distributed = {}

    def distributed(self, supplier_id, start, end):
        """The supplier's payroll distributions whose payroll period falls inside
        [start, end] (all buyers' premium together)."""
        key = (supplier_id, start, end)
        total = self._distributed.get(key)
        if total is None:
            total = ZERO
            dists = self._dists.get(supplier_id, ())
            if dists:
                # A distribution ends on or after its start (check constraint), so the
                # ones starting after ``end`` cannot fall inside the period.
                for d_start, d_end, amount in dists[
                    bisect_left(self._starts[supplier_id], start) :
                ]:
                    if d_start > end:
                        break
                    if d_end <= end:
                        total += amount
            self._distributed[key] = total
        return total

    def payment_gap(self, r):
        """(owed, what the buyer did not pay of it) for an owed row."""
        owed = r["owed"] or ZERO
        paid = self.paid.get(
            (r["buyer_id"], r["supplier_id"], r["period_start"], r["period_end"]), ZERO
        )
        return owed, max(owed - paid, ZERO)

    def row(self, r):
        """The reconciliation row of an owed row (see ``reconciliation``)."""
        supplier_id, start, end = r["supplier_id"], r["period_start"], r["period_end"]
        owed = r["owed"] or ZERO
        paid = self.paid.get((r["buyer_id"], supplier_id, start, end), ZERO)
        supplier_paid = self.received.get((supplier_id, start, end), ZERO)
        if supplier_paid > 0:
            distributed = (
                self.distributed(supplier_id, start, end) * paid / supplier_paid
            ).quantize(CENTS)
        else:
            distributed = ZERO_CENTS
        return {
            "buyer_id": r["buyer_id"],
            "buyer": r["buyer__name"],
            "supplier_id": supplier_id,
            "supplier": r["supplier__legal_name"],
            "period_start": start,
            "period_end": end,
            "currency": r["currency"],
            "volume": r["volume"],
            "owed": owed,
            "paid": paid,
            "distributed": distributed,
            "payment_gap": max(owed - paid, ZERO),
            "distribution_gap": max(paid - distributed, ZERO),
            "shortfall": max(owed - distributed, ZERO),
        }


def reconciliation(*, program, buyer=None, supplier=None):
    """Rows per (buyer, supplier, reporting period): owed, paid, distributed, shortfall.

    owed = the purchase reports' premium; paid = premium payments from that buyer to that
    supplier for the same period; distributed = the supplier's payroll distributions whose
    payroll period falls inside the reporting period, shared among the buyers who paid in
    proportion to what each paid. shortfall = owed − distributed (what did not reach the
    workers); payment_gap = owed − paid (the buyer's part of it); distribution_gap =
    paid − distributed (the supplier's part).

    Computed and paged in SQL: a lazy sequence (``premiums/ledger.py``), one COUNT
    and one query per page; iterating it streams every row.
    """
    from premiums.ledger import ReconciliationRows

    return ReconciliationRows(program=program, buyer=buyer, supplier=supplier)


def reconciliation_in_python(*, program, buyer=None, supplier=None):
    """The reconciliation built row by row in Python, as before the SQL version; kept as
    the reference the SQL figures are tested against."""
    owed_rows = _owed_rows(program=program, buyer=buyer, supplier=supplier)
    if not owed_rows:
        return []
    ledger = _PremiumLedger(program=program, supplier_ids={r["supplier_id"] for r in owed_rows})
    return [ledger.row(r) for r in owed_rows]


def premium_positions(*, program, underpaid):
    """What the shortfall check reads, in the reconciliation's three queries.

    Returns (rows, positions): ``rows`` are the reconciliation rows (as ``reconciliation``
    builds them, in its order) whose ``underpaid(payment_gap, owed)`` is true; only those
    are built. ``positions``: for every (supplier_id, period_start, period_end) reported,
    in the order of first appearance, (supplier name, received, distributed): what the
    supplier received from all buyers for the period and what it passed on to workers on
    payroll, from the reconciliation's own payment and distribution index.
    """
    owed_rows = _owed_rows(program=program)
    if not owed_rows:
        return [], {}
    ledger = _PremiumLedger(program=program, supplier_ids={r["supplier_id"] for r in owed_rows})
    rows = []
    positions = {}
    for r in owed_rows:
        owed, gap = ledger.payment_gap(r)
        if underpaid(gap, owed):
            rows.append(ledger.row(r))
        period = (r["supplier_id"], r["period_start"], r["period_end"])
        if period not in positions:
            positions[period] = (
                r["supplier__legal_name"],
                ledger.received.get(period, ZERO),
                ledger.distributed(*period),
            )
    return rows, positions


def supplier_premium_position(*, program, supplier, period_start, period_end):
    """What one supplier received and passed on for one period (all buyers)."""
    received = PremiumPayment.objects.filter(
        program=program, supplier=supplier, period_start=period_start, period_end=period_end
    ).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    distributed = PayrollDistribution.objects.filter(
        program=program,
        supplier=supplier,
        period_start__gte=period_start,
        period_end__lte=period_end,
    ).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    return received, distributed


def public_premium_stats(*, program):
    """The ledger's public figures: premium passed on to workers to date, and its currency."""
    return {
        "premium_paid_to_workers": premium_paid_to_workers(program=program),
        "premium_currency": premium_currency(program=program),
    }
