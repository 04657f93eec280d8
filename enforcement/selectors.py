"""Reads of the enforcement app. Every function takes the program and returns only that
program's rows; lists issue a constant number of queries whatever their length."""

from django.db.models import Case, Count, IntegerField, Q, Value, When

from enforcement.models import (
    OPEN_OBLIGATION_STATES,
    BuyerBreach,
    BuyerObligation,
    ConsequencePolicy,
    EscalationProposal,
    ObligationState,
    Sanction,
    Standing,
    StandingEvent,
    SupplierStanding,
    Violation,
    ViolationState,
)
from programs.models import Category, Supplier

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
        "buyer", "supplier", "violation__provision", "sanction", "verified_by", "rejected_by"
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
            # Attestations waiting for the worker organization first: the queue to verify.
            When(state=ObligationState.ATTESTED, then=Value(-1)),
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


# ---------------------------------------------------------------- public


def public_enforcement_stats(*, program):
    """Figures the disclosure page publishes: confirmed violations by provision category,
    the number of confirmed violations and of those remediated. Two queries (premium
    figures come from premiums.selectors.public_premium_stats)."""
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
    }
