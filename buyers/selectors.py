"""Reads of the buyer compliance officer's portal (/buyer/ and /api/v1/buyer/).

The portal is not under one program's URL: an officer may hold buyer_officer
memberships in several programs, each bound to one buyer. Every query here is filtered
by the (program, buyer) pairs of the officer's *active* memberships, never by a buyer or
program taken from the request alone. A record outside those pairs is a 404, exactly like
a missing one.

What an officer sees of a violation is what the obligation states: the supplier and the
provision's category. Never the complainant, the case, the finding or the violation's
summary (those may identify a worker).
"""

import datetime
import functools
import operator
from collections import defaultdict
from decimal import Decimal

from django.db.models import BooleanField, Case, Count, Q, Value, When
from django.http import Http404
from django.utils import timezone

from core.roles import Role
from enforcement import selectors as enforcement_selectors
from enforcement.models import (
    OPEN_OBLIGATION_STATES,
    BuyerObligation,
    ObligationState,
)
from premiums.ledger import ReconciliationRows
from programs.models import (
    Agreement,
    AgreementStatus,
    AgreementUserObjectPermission,
    Membership,
    SourcingRelationship,
)

CLOSED_OBLIGATION_STATES = (
    ObligationState.FULFILLED,
    ObligationState.WAIVED,
    ObligationState.BREACHED,
)


def officer_memberships(*, user, program=None):
    """The user's active buyer_officer memberships (program and buyer loaded), ordered by
    program name. ``program`` (a slug) narrows to one program; an unknown slug gives an
    empty list, never an error that would tell the program exists."""
    if not getattr(user, "is_authenticated", False):
        return []
    qs = Membership.objects.filter(
        user=user, role=Role.BUYER_OFFICER, is_active=True, buyer__isnull=False
    ).select_related("program", "buyer")
    if program:
        qs = qs.filter(program__slug=program)
    return list(qs.order_by("program__name"))


def _pairs_q(memberships, program_field="program_id", buyer_field="buyer_id"):
    """Q matching rows of exactly the memberships' (program, buyer) pairs."""
    clauses = [Q(**{program_field: m.program_id, buyer_field: m.buyer_id}) for m in memberships]
    if not clauses:
        return Q(pk__in=[])
    return functools.reduce(operator.or_, clauses)


# ---------------------------------------------------------------- obligations


def obligation_list(*, memberships, state=None, status=None, search=None, today=None):
    """The officers' buyers' obligations across their programs.

    ``status``: "open" (pending, acknowledged, overdue, attested and awaiting the
    worker organization's verification), "closed" (fulfilled = verified, waived,
    breached) or None (all). ``state``: one exact state. Rows carry ``is_overdue``: an
    open obligation past its due date, whether or not the nightly job has marked it yet.
    Open ones sort by due date (most urgent first); closed ones newest first.
    """
    today = today or timezone.localdate()
    qs = (
        BuyerObligation.objects.filter(_pairs_q(memberships))
        .select_related(
            "program",
            "buyer",
            "supplier",
            "sanction",
            "violation__provision",
            "acknowledged_by",
            "attested_by",
        )
        # Only what the portal may show is loaded from the violation and provision.
        .only(
            *OBLIGATION_FIELDS,
            "program__slug",
            "program__name",
            "buyer__name",
            "supplier__legal_name",
            "supplier__country",
            "sanction__action",
            "sanction__ends_on",
            "violation__provision__category",
            "acknowledged_by__username",
            "attested_by__username",
        )
        .annotate(is_overdue=_overdue_case(today))
    )
    if status == "open":
        qs = qs.filter(state__in=OPEN_OBLIGATION_STATES).order_by("due_date", "pk")
    elif status == "closed":
        qs = qs.filter(state__in=CLOSED_OBLIGATION_STATES).order_by("-due_date", "-pk")
    else:
        qs = qs.order_by("due_date", "pk")
    if state:
        qs = qs.filter(state=state)
    if search:
        qs = qs.filter(Q(supplier__legal_name__icontains=search) | Q(required__icontains=search))
    return qs


OBLIGATION_FIELDS = (
    "id",
    "program",
    "buyer",
    "supplier",
    "sanction",
    "violation",
    "agreement",
    "kind",
    "required",
    "due_date",
    "state",
    "acknowledged_by",
    "acknowledged_at",
    "attested_by",
    "attested_at",
    "attestation_note",
    "evidence",
    "evidence_name",
    "evidence_sha256",
    "verified_at",
    "verification_note",
    "rejected_at",
    "rejection_reason",
    "overdue_at",
    "breached_at",
    "waived_at",
    "waiver_reason",
    "created_at",
)


def _overdue_case(today):
    return Case(
        When(state=ObligationState.OVERDUE, then=Value(True)),
        When(
            state__in=[
                ObligationState.PENDING,
                ObligationState.ACKNOWLEDGED,
                ObligationState.ATTESTED,
            ],
            due_date__lt=today,
            then=Value(True),
        ),
        default=Value(False),
        output_field=BooleanField(),
    )


def obligation_get(*, memberships, pk):
    """One obligation of the officers' buyers, else 404 (missing and "not yours" alike)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    obligation = obligation_list(memberships=memberships).filter(pk=pk).first()
    if obligation is None:
        raise Http404
    return obligation


def obligation_counts(*, memberships, today=None):
    """{"open": n, "overdue": n, "due_soon": n (within 7 days), "closed": n} in one query."""
    today = today or timezone.localdate()
    open_q = Q(state__in=OPEN_OBLIGATION_STATES)
    overdue_q = Q(state=ObligationState.OVERDUE) | Q(
        state__in=[
            ObligationState.PENDING,
            ObligationState.ACKNOWLEDGED,
            ObligationState.ATTESTED,
        ],
        due_date__lt=today,
    )
    soon_q = Q(
        state__in=[ObligationState.PENDING, ObligationState.ACKNOWLEDGED],
        due_date__gte=today,
        due_date__lte=today + datetime.timedelta(days=7),
    )
    return BuyerObligation.objects.filter(_pairs_q(memberships)).aggregate(
        open=Count("pk", filter=open_q),
        overdue=Count("pk", filter=overdue_q),
        due_soon=Count("pk", filter=soon_q),
        closed=Count("pk", filter=Q(state__in=CLOSED_OBLIGATION_STATES)),
    )


# ---------------------------------------------------------------- agreements


def agreement_list(*, user, memberships):
    """The agreements each membership may see (programs.selectors.agreements_visible:
    the officer's own buyer's agreements except drafts, plus what was shared with them),
    across the officer's programs, in one query whatever the number of programs (the
    union of one guardian queryset per membership grew with them)."""
    if not memberships:
        return Agreement.objects.none()
    own = _pairs_q(memberships) & ~Q(status=AgreementStatus.DRAFT)
    # Guardian's per-object grants to this user, each checked against the agreement's
    # own program being one of the memberships' (as agreements_visible's klass filter).
    shared = AgreementUserObjectPermission.objects.filter(
        user=user,
        permission__codename="view_agreement",
        permission__content_type__app_label="programs",
        content_object__program_id__in=[m.program_id for m in memberships],
    ).values("content_object_id")
    return (
        Agreement.objects.filter(own | Q(pk__in=shared))
        .select_related("program", "buyer")
        .prefetch_related("signatories")
        .order_by("program__name", "-effective_from", "pk")
    )


def agreement_get(*, user, memberships, pk):
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    agreement = agreement_list(user=user, memberships=memberships).filter(pk=pk).first()
    if agreement is None:
        raise Http404
    return agreement


# ---------------------------------------------------------------- do-not-source


def do_not_source_list(*, memberships, today=None):
    """Suppliers currently suspended or terminated in the officers' programs, each with
    ``sourced_by_you``: whether one of the officer's buyers still has an ongoing sourcing
    relationship with it in that program (the rows that need action). Two queries."""
    today = today or timezone.localdate()
    if not memberships:
        return []
    # enforcement's definition per program, OR-ed into one query.
    standings = functools.reduce(
        operator.or_,
        [enforcement_selectors.do_not_source_list(program=m.program) for m in memberships],
    )
    rows = list(
        standings.select_related("program", "supplier").order_by(
            "program__name", "supplier__legal_name"
        )
    )
    ongoing = set(
        SourcingRelationship.objects.filter(_pairs_q(memberships), since__lte=today)
        .filter(Q(until__isnull=True) | Q(until__gte=today))
        .values_list("program_id", "supplier_id")
    )
    for row in rows:
        row.sourced_by_you = (row.program_id, row.supplier_id) in ongoing
    return rows


# ---------------------------------------------------------------- premium


def premium_periods(*, memberships):
    """Premium owed (purchase reports: volume × the agreement's rate), paid (the buyer's
    payments to the supplier) and passed on to workers (the buyer's share of the
    supplier's payroll distributions) per program, supplier and period, for the
    officers' own buyers only: enforcement's ``reconciliation`` narrowed to the buyers.
    Newest period first. One query for all the memberships, whatever their number."""
    if not memberships:
        return []
    names = {m.program_id: m.program.name for m in memberships}
    rows = [
        {**row, "program_name": names[row["program_id"]]}
        for row in ReconciliationRows(pairs=[(m.program_id, m.buyer_id) for m in memberships])
    ]
    rows.sort(key=lambda r: (r["period_start"], r["program_name"]), reverse=True)
    return rows


def premium_totals(periods):
    """Owed/paid/shortfall summed per currency (never across currencies)."""
    totals = defaultdict(
        lambda: {"owed": Decimal("0"), "paid": Decimal("0"), "distributed": Decimal("0")}
    )
    for row in periods:
        for key in ("owed", "paid", "distributed"):
            totals[row["currency"]][key] += row[key]
    return [
        {
            "currency": currency,
            "owed": t["owed"],
            "paid": t["paid"],
            "distributed": t["distributed"],
            "payment_gap": max(t["owed"] - t["paid"], Decimal("0")),
        }
        for currency, t in sorted(totals.items())
    ]
