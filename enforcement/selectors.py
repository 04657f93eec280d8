"""Reads of the enforcement app. Every function takes the program and returns only that
program's rows; lists issue a constant number of queries whatever their length."""

from bisect import bisect_left
from decimal import Decimal

from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When

from programs.models import Agreement, AgreementStatus, Category, Supplier

from .models import (
    OPEN_OBLIGATION_STATES,
    BuyerBreach,
    BuyerObligation,
    ConsequencePolicy,
    EscalationProposal,
    LedgerImport,
    ObligationState,
    PayrollDistribution,
    PremiumPayment,
    PurchaseReport,
    Sanction,
    Standing,
    StandingEvent,
    SupplierStanding,
    Violation,
    ViolationState,
)

# ---------------------------------------------------------------- violations


def violation_list(*, program, state=None, severity=None, supplier=None, search=None):
    qs = Violation.objects.filter(program=program).select_related(
        "supplier", "facility", "provision", "confirmed_by", "sanction"
    )
    if state:
        qs = qs.filter(state=state)
    if severity:
        qs = qs.filter(severity=severity)
    if supplier:
        qs = qs.filter(supplier_id=supplier)
    if search:
        qs = qs.filter(
            Q(summary__icontains=search)
            | Q(supplier__legal_name__icontains=search)
            | Q(provision__title__icontains=search)
            | Q(source_ref__iexact=search)
        )
    # The queue: proposed first (they wait for a decision), then newest.
    return qs.annotate(
        queue_rank=Case(
            When(state=ViolationState.PROPOSED, then=Value(0)),
            When(state=ViolationState.CONFIRMED, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    ).order_by("queue_rank", "-created_at", "-pk")


def violation_for_source(*, program, source_kind, source_ref):
    """The violation proposed from a finding, if any (for complaints/audits pages)."""
    return Violation.objects.filter(
        program=program, source_kind=source_kind, source_ref=str(source_ref)
    ).first()


def sanction_list(*, program, supplier=None):
    qs = Sanction.objects.filter(program=program).select_related(
        "violation__provision", "supplier", "policy"
    )
    if supplier:
        qs = qs.filter(supplier_id=supplier)
    return qs.order_by("-created_at", "-pk")


# ---------------------------------------------------------------- standing


def supplier_standings(*, program):
    """{supplier_id: {"standing", "stage", "suspended_until"}} for every supplier of the
    program (suppliers never sanctioned are in good standing at stage 0). Two queries."""
    result = {
        pk: {"standing": Standing.GOOD, "stage": 0, "suspended_until": None}
        for pk in Supplier.objects.filter(program=program).values_list("pk", flat=True)
    }
    for row in SupplierStanding.objects.filter(program=program).values(
        "supplier_id", "standing", "stage", "suspended_until"
    ):
        result[row["supplier_id"]] = {
            "standing": row["standing"],
            "stage": row["stage"],
            "suspended_until": row["suspended_until"],
        }
    return result


def standing_list(*, program, standing=None, search=None):
    qs = SupplierStanding.objects.filter(program=program).select_related("supplier")
    if standing:
        qs = qs.filter(standing=standing)
    if search:
        qs = qs.filter(supplier__legal_name__icontains=search)
    return qs.order_by("-stage", "supplier__legal_name")


def standing_for_supplier(*, program, supplier):
    return SupplierStanding.objects.filter(program=program, supplier=supplier).first()


def standing_history(*, program, supplier):
    return StandingEvent.objects.filter(program=program, supplier=supplier).order_by(
        "-created_at", "-pk"
    )


def escalation_proposals(*, program, supplier=None, state=None):
    """Proposed escalations (stages that need a person's approval), newest first."""
    qs = EscalationProposal.objects.filter(program=program).select_related(
        "supplier", "facility", "decided_by"
    )
    if supplier is not None:
        qs = qs.filter(supplier=supplier)
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-proposed_at", "-pk")


def do_not_source_list(*, program):
    """Suppliers currently suspended or terminated: SupplierStanding rows with the
    supplier, ``since`` (suspended_since or terminated_on) and ``suspended_until``."""
    return (
        SupplierStanding.objects.filter(
            program=program, standing__in=[Standing.SUSPENDED, Standing.TERMINATED]
        )
        .select_related("supplier")
        .order_by("supplier__legal_name")
    )


# ---------------------------------------------------------------- obligations


def obligation_list(*, program, state=None, buyer=None, supplier=None, open_only=False):
    """The obligations board: overdue first, then open ones by due date, then closed."""
    qs = BuyerObligation.objects.filter(program=program).select_related(
        "buyer", "supplier", "violation__provision", "sanction"
    )
    if state:
        qs = qs.filter(state=state)
    if open_only:
        qs = qs.filter(state__in=OPEN_OBLIGATION_STATES)
    if buyer:
        qs = qs.filter(buyer_id=buyer)
    if supplier:
        qs = qs.filter(supplier_id=supplier)
    return qs.annotate(
        board_rank=Case(
            When(state=ObligationState.OVERDUE, then=Value(0)),
            When(state__in=[ObligationState.PENDING, ObligationState.ACKNOWLEDGED], then=Value(1)),
            When(state=ObligationState.BREACHED, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        )
    ).order_by("board_rank", "due_date", "pk")


def obligations_for_buyer(*, program, buyer):
    """One buyer's obligations in one program (what its officers see), overdue first.
    Only the provision category and the supplier are loaded, never case detail."""
    return obligation_list(program=program, buyer=getattr(buyer, "pk", buyer))


def buyer_breaches(*, program):
    """Breaches of agreement recorded against buyers (public on the disclosure page)."""
    return (
        BuyerBreach.objects.filter(program=program)
        .select_related("buyer", "obligation__supplier", "agreement")
        .order_by("-recorded_at", "-pk")
    )


def obligation_counts(*, program):
    rows = (
        BuyerObligation.objects.filter(program=program)
        .values("state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {r["state"]: r["n"] for r in rows}


# ---------------------------------------------------------------- policy


def policy_list(*, program):
    return (
        ConsequencePolicy.objects.filter(program=program)
        .prefetch_related("rules")
        .order_by("-number")
    )


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

    Computed and paged in SQL: a lazy sequence (``enforcement/ledger.py``), one COUNT
    and one query per page; iterating it streams every row.
    """
    from .ledger import ReconciliationRows

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


# ---------------------------------------------------------------- public


def public_enforcement_stats(*, program):
    """Figures the disclosure page publishes: confirmed violations by provision category,
    the number of confirmed violations and of those remediated, and premium paid to
    workers to date. Four queries."""
    counted = [
        ViolationState.CONFIRMED,
        ViolationState.CONSEQUENCES_APPLIED,
        ViolationState.REMEDIATED,
    ]
    labels = dict(Category.choices)
    rows = (
        Violation.objects.filter(program=program, state__in=counted)
        .values("provision__category")
        .annotate(n=Count("pk"))
        .order_by("-n", "provision__category")
    )
    by_category = [
        {
            "category": r["provision__category"],
            "label": str(labels.get(r["provision__category"], r["provision__category"])),
            "count": r["n"],
        }
        for r in rows
    ]
    remediated = Violation.objects.filter(program=program, state=ViolationState.REMEDIATED).count()
    return {
        "violations_by_category": by_category,
        "confirmed_violations": sum(r["count"] for r in by_category),
        # Remediation progress (Accord style): the share of confirmed violations fixed.
        "remediated_violations": remediated,
        "premium_paid_to_workers": premium_paid_to_workers(program=program),
        "premium_currency": premium_currency(program=program),
    }
