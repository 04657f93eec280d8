"""Reads of the enforcement app. Every function takes the program and returns only that
program's rows; lists issue a constant number of queries whatever their length."""

from bisect import bisect_left
from decimal import Decimal

from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When
from django.http import Http404

from programs.models import Agreement, AgreementStatus, Category, Supplier

from .models import (
    OPEN_OBLIGATION_STATES,
    BuyerBreach,
    BuyerObligation,
    ConsequencePolicy,
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


def get_or_404(queryset, **lookup):
    obj = queryset.filter(**lookup).first()
    if obj is None:
        raise Http404
    return obj


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


def reconciliation(*, program, buyer=None, supplier=None):
    """Rows per (buyer, supplier, reporting period): owed, paid, distributed, shortfall.

    owed = the purchase reports' premium; paid = premium payments from that buyer to that
    supplier for the same period; distributed = the supplier's payroll distributions whose
    payroll period falls inside the reporting period, shared among the buyers who paid in
    proportion to what each paid. shortfall = owed − distributed (what did not reach the
    workers); payment_gap = owed − paid (the buyer's part of it); distribution_gap =
    paid − distributed (the supplier's part). Three aggregate queries.
    """
    reports = PurchaseReport.objects.filter(program=program)
    if buyer:
        reports = reports.filter(buyer_id=buyer)
    if supplier:
        reports = reports.filter(supplier_id=supplier)
    owed_rows = list(
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
    if not owed_rows:
        return []
    supplier_ids = {r["supplier_id"] for r in owed_rows}
    paid = {}
    for p in (
        PremiumPayment.objects.filter(program=program, supplier_id__in=supplier_ids)
        .values("buyer_id", "supplier_id", "period_start", "period_end")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        key = (p["buyer_id"], p["supplier_id"], p["period_start"], p["period_end"])
        paid[key] = p["total"]
    # Per supplier, sorted by start: a reporting period's distributions are found by
    # bisection, and computed once per (supplier, period) whatever the number of buyers.
    # (Scanning every distribution for every row made this quadratic: a year of weekly
    # reports for 2,000 pairs ran for hours.)
    by_supplier = {}
    for d in (
        PayrollDistribution.objects.filter(program=program, supplier_id__in=supplier_ids)
        .values("supplier_id", "period_start", "period_end")
        .annotate(total=Sum("amount"), workers=Sum("workers_paid"))
        .order_by("supplier_id", "period_start")
    ):
        by_supplier.setdefault(d["supplier_id"], []).append(d)
    starts = {s: [d["period_start"] for d in ds] for s, ds in by_supplier.items()}
    dist_memo = {}

    def distributed_in(supplier_id, start, end):
        key = (supplier_id, start, end)
        if key not in dist_memo:
            total = Decimal("0")
            ds = by_supplier.get(supplier_id, [])
            for d in ds[bisect_left(starts.get(supplier_id, []), start) :]:
                if d["period_start"] > end:
                    break
                if d["period_end"] <= end:
                    total += d["total"]
            dist_memo[key] = total
        return dist_memo[key]

    # Payments to each supplier per period from all buyers, to share distributions.
    paid_to_supplier = {}
    for (_buyer, s, ps, pe), amount in paid.items():
        paid_to_supplier[(s, ps, pe)] = paid_to_supplier.get((s, ps, pe), Decimal(0)) + amount
    rows = []
    for r in owed_rows:
        key = (r["buyer_id"], r["supplier_id"], r["period_start"], r["period_end"])
        owed = r["owed"] or Decimal("0")
        paid_amount = paid.get(key, Decimal("0"))
        dist_total = distributed_in(r["supplier_id"], r["period_start"], r["period_end"])
        supplier_paid = paid_to_supplier.get(
            (r["supplier_id"], r["period_start"], r["period_end"]), Decimal("0")
        )
        if supplier_paid > 0:
            distributed = (dist_total * paid_amount / supplier_paid).quantize(Decimal("0.01"))
        else:
            distributed = Decimal("0.00")
        rows.append(
            {
                "buyer_id": r["buyer_id"],
                "buyer": r["buyer__name"],
                "supplier_id": r["supplier_id"],
                "supplier": r["supplier__legal_name"],
                "period_start": r["period_start"],
                "period_end": r["period_end"],
                "currency": r["currency"],
                "volume": r["volume"],
                "owed": owed,
                "paid": paid_amount,
                "distributed": distributed,
                "payment_gap": max(owed - paid_amount, Decimal("0")),
                "distribution_gap": max(paid_amount - distributed, Decimal("0")),
                "shortfall": max(owed - distributed, Decimal("0")),
            }
        )
    return rows


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


def supplier_premium_positions(*, program, periods):
    """``supplier_premium_position`` for many (supplier_id, period_start, period_end)
    keys at once, in two aggregate queries: {key: (received, distributed)}."""
    supplier_ids = {key[0] for key in periods}
    received = {}
    for p in (
        PremiumPayment.objects.filter(program=program, supplier_id__in=supplier_ids)
        .values("supplier_id", "period_start", "period_end")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        received[(p["supplier_id"], p["period_start"], p["period_end"])] = p["total"]
    by_supplier = {}
    for d in (
        PayrollDistribution.objects.filter(program=program, supplier_id__in=supplier_ids)
        .values("supplier_id", "period_start", "period_end")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        by_supplier.setdefault(d["supplier_id"], []).append(d)
    positions = {}
    for key in periods:
        supplier_id, start, end = key
        distributed = sum(
            (
                d["total"]
                for d in by_supplier.get(supplier_id, ())
                if d["period_start"] >= start and d["period_end"] <= end
            ),
            Decimal("0"),
        )
        positions[key] = (received.get(key) or Decimal("0"), distributed)
    return positions


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
