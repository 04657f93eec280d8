"""Reads of the complaints app. Every function takes the program, and the user and
membership where visibility depends on who asks (see complaints/access.py)."""

import datetime
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
)
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user

from core.roles import MANAGE_ROLES, Role
from programs.models import Category, Membership, Program
from programs.selectors import current_provisions, facility_list

from . import crypto
from .access import PERM_INVESTIGATE
from .models import (
    DEFAULT_PUBLIC_THRESHOLD,
    OPEN_STATUSES,
    Case,
    CaseProvision,
    CaseStatus,
    ComplaintPolicy,
    Evidence,
    Finding,
    Interview,
    Message,
    Note,
    Outcome,
)


def overdue_annotations(now=None):
    now = now or timezone.now()
    return {
        "ack_overdue": ExpressionWrapper(
            Q(acknowledged_at__isnull=True, ack_due__lt=now), output_field=BooleanField()
        ),
        "triage_overdue": ExpressionWrapper(
            Q(status=CaseStatus.RECEIVED, triage_due__lt=now), output_field=BooleanField()
        ),
        "resolution_overdue": ExpressionWrapper(
            Q(status__in=OPEN_STATUSES, resolution_due__lt=now), output_field=BooleanField()
        ),
    }


def overdue_q(now=None):
    now = now or timezone.now()
    return (
        Q(acknowledged_at__isnull=True, ack_due__lt=now)
        | Q(status=CaseStatus.RECEIVED, triage_due__lt=now)
        | Q(status__in=OPEN_STATUSES, resolution_due__lt=now)
    )


def visible_cases(*, program, user, membership):
    """Cases the member may see: all for admin/staff, granted ones for everyone else."""
    base = Case.objects.filter(program=program)
    if membership is None or membership.program_id != program.pk or not membership.is_active:
        return base.none()
    if membership.role in MANAGE_ROLES:
        return base
    if membership.role == Role.BUYER_OFFICER:
        return base.none()
    return get_objects_for_user(
        user,
        f"complaints.{PERM_INVESTIGATE}",
        klass=base,
        accept_global_perms=False,
        with_superuser=False,
    )


def case_list(
    *,
    program,
    user,
    membership,
    status=None,
    priority=None,
    category=None,
    q=None,
    overdue=False,
    mine=False,
):
    qs = (
        visible_cases(program=program, user=user, membership=membership)
        .select_related("facility", "assigned_to")
        .annotate(**overdue_annotations())
    )
    if status:
        qs = qs.filter(status=status)
    if priority:
        qs = qs.filter(priority=priority)
    if category:
        qs = qs.filter(category=category)
    if q:
        qs = qs.filter(
            Q(reference__icontains=q)
            | Q(facility__name__icontains=q)
            | Q(facility_description__icontains=q)
        )
    if overdue:
        qs = qs.filter(overdue_q())
    if mine:
        qs = qs.filter(assigned_to=user)
    return qs.order_by("-received_at", "-id")


def case_list_count(*, program, membership, **filters):
    """The length of ``case_list``, cheaply, where it is the whole program's: admins and
    staff see every case (``visible_cases``), so with no filter the list holds all of the
    program's cases, counted from their numbers. None where the list must be counted."""
    if any(filters.values()) or not (membership.is_active and membership.program_id == program.pk):
        return None
    if membership.role not in MANAGE_ROLES:
        return None
    return program_case_count(program)


def program_case_count(program):
    """How many cases ``program`` has: max(number) - min(number) + 1, two lookups in the
    (program, number) index instead of a count of every case. Exact because a program's
    case numbers are contiguous: intake hands them out gap-free (services._lock_intake)
    and the database refuses to delete a case or change its number or program (migration
    complaints 0003)."""
    span = Case.objects.filter(program=program).aggregate(lo=Min("number"), hi=Max("number"))
    return 0 if span["hi"] is None else span["hi"] - span["lo"] + 1


def case_get(*, program, user, membership, pk):
    case = (
        visible_cases(program=program, user=user, membership=membership)
        .select_related("facility", "supplier", "assigned_to", "retaliation_of", "logged_by")
        .annotate(**overdue_annotations())
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404
    return case


def program_for_intake(slug):
    """``(program, policy)`` for the public intake of the program ``slug``, in one query,
    or ``(None, None)``. ``policy`` carries the clocks (what intake reads of it): the
    program's ComplaintPolicy's, or the defaults if it has none. Every public
    submission starts here, so the policy rides along as a subquery instead of a query
    of its own."""
    program = (
        Program.objects.filter(slug=slug)
        .annotate(
            intake_policy_id=Subquery(
                ComplaintPolicy.objects.filter(program=OuterRef("pk")).values("pk")[:1]
            ),
            intake_clocks=Subquery(
                ComplaintPolicy.objects.filter(program=OuterRef("pk")).values("clocks")[:1]
            ),
        )
        .first()
    )
    if program is None:
        return None, None
    policy = ComplaintPolicy(
        pk=program.intake_policy_id, program=program, clocks=program.intake_clocks or {}
    )
    return program, policy


def case_for_receipt(*, program, code):
    """The case a well-formed receipt code opens, or None. One indexed query on the
    HMAC whether or not it matches, so hits and misses do the same work."""
    digest = crypto.receipt_hash(code)
    return (
        Case.objects.filter(program=program, receipt_hash=digest)
        .select_related("program", "facility")
        .first()
    )


def case_provisions(*, case):
    return (
        CaseProvision.objects.filter(program_id=case.program_id, case=case)
        .select_related("provision")
        .order_by("provision__number")
    )


def note_list(*, program, case):
    return Note.objects.filter(program=program, case=case).select_related("author")


def message_list(*, program, case):
    from complaints.channels.models import ChannelMessage

    return (
        Message.objects.filter(program=program, case=case)
        .select_related("author")
        .prefetch_related(
            Prefetch("attachments", queryset=Evidence.objects.filter(program=program)),
            # How each reply fared on the worker's SMS/WhatsApp (never their number).
            Prefetch(
                "deliveries",
                queryset=ChannelMessage.objects.filter(program=program).select_related("config"),
            ),
        )
    )


def evidence_list(*, program, case):
    return Evidence.objects.filter(program=program, case=case).select_related("uploaded_by")


def evidence_get(*, program, user, membership, pk):
    evidence = Evidence.objects.filter(program=program, pk=pk).select_related("case").first()
    if evidence is None:
        raise Http404
    # Visibility follows the case.
    case_get(program=program, user=user, membership=membership, pk=evidence.case_id)
    return evidence


def interview_list(*, program, case):
    return Interview.objects.filter(program=program, case=case).select_related("interviewer")


def finding_list(*, program, case=None):
    qs = Finding.objects.filter(program=program).select_related(
        "provision", "facility", "created_by", "case"
    )
    if case is not None:
        qs = qs.filter(case=case)
    return qs


def finding_get(*, program, user, membership, pk):
    finding = finding_list(program=program).filter(pk=pk).first()
    if finding is None:
        raise Http404
    case_get(program=program, user=user, membership=membership, pk=finding.case_id)
    return finding


def public_thread(*, case):
    """What the complainant sees: messages (no staff names) and their attachments count."""
    return (
        Message.objects.filter(program_id=case.program_id, case=case)
        .annotate(attachment_count=Count("attachments"))
        .order_by("created_at", "id")
    )


def assignable_members(*, program):
    return (
        Membership.objects.filter(
            program=program,
            is_active=True,
            role__in=[Role.ADMIN, Role.STAFF, Role.INVESTIGATOR, Role.AUDITOR],
        )
        .select_related("user")
        .order_by("user__email")
    )


def shareable_members(*, program):
    return (
        Membership.objects.filter(program=program, is_active=True)
        .exclude(role=Role.BUYER_OFFICER)
        .select_related("user")
        .order_by("user__email")
    )


def intake_facilities(*, program):
    return facility_list(program=program, status="active")


def intake_facility_search(*, program, text):
    """The worker's search on the public form: the workplace's name, its address (the
    town) or its employer's name."""
    return intake_facilities(program=program).filter(
        Q(name__icontains=text)
        | Q(address__icontains=text)
        | Q(supplier__legal_name__icontains=text)
    )


def intake_categories(*, program):
    """Plain-language categories the worker picks from: those the program's code covers,
    always with "Something else" last."""
    used = set(current_provisions(program=program).values_list("category", flat=True))
    choices = [(value, label) for value, label in Category.choices if value in used]
    if not choices:
        choices = list(Category.choices)
    choices = [c for c in choices if c[0] != Category.OTHER]
    return [*choices, (Category.OTHER, Category.OTHER.label)]


def overdue_cases(*, program, user, membership, limit=10):
    qs = case_list(program=program, user=user, membership=membership, overdue=True)
    if membership is not None and membership.role not in MANAGE_ROLES:
        qs = qs.filter(assigned_to=user)
    return qs


def overdue_counts(*, program, user, membership):
    now = timezone.now()
    qs = visible_cases(program=program, user=user, membership=membership)
    if membership is not None and membership.role not in MANAGE_ROLES:
        qs = qs.filter(assigned_to=user)
    return qs.aggregate(
        acknowledgement=Count("id", filter=Q(acknowledged_at__isnull=True, ack_due__lt=now)),
        triage=Count("id", filter=Q(status=CaseStatus.RECEIVED, triage_due__lt=now)),
        resolution=Count("id", filter=Q(status__in=OPEN_STATUSES, resolution_due__lt=now)),
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
    )


# ---------------------------------------------------------------- public (disclosure)


def _month_starts(now, months=12):
    first = now.date().replace(day=1)
    starts = []
    for _ in range(months):
        starts.append(first)
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return list(reversed(starts))


def public_complaint_stats(*, program):
    """Aggregate complaint metrics for publication (no case-level data), with the
    program's small-number threshold. 4 queries."""
    now = timezone.now()
    months = _month_starts(now)
    since = datetime.datetime.combine(months[0], datetime.time.min, tzinfo=datetime.UTC)
    base = Case.objects.filter(program=program)
    received = dict(
        base.filter(received_at__gte=since)
        .annotate(m=TruncMonth("received_at", tzinfo=datetime.UTC))
        .values("m")
        .annotate(n=Count("id"))
        .values_list("m", "n")
    )
    resolved = dict(
        base.filter(resolved_at__gte=since)
        .annotate(m=TruncMonth("resolved_at", tzinfo=datetime.UTC))
        .values("m")
        .annotate(n=Count("id"))
        .values_list("m", "n")
    )
    received = {k.date(): v for k, v in received.items()}
    resolved = {k.date(): v for k, v in resolved.items()}
    monthly = [
        {"month": f"{m:%Y-%m}", "received": received.get(m, 0), "resolved": resolved.get(m, 0)}
        for m in months
    ]
    totals = base.aggregate(
        total_received=Count("id"),
        total_resolved=Count("id", filter=Q(resolved_at__isnull=False)),
        open_cases=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        on_time=Count(
            "id", filter=Q(resolved_at__isnull=False, resolved_at__lte=F("resolution_due"))
        ),
    )
    with connection.cursor() as cursor:
        # The program's small-number threshold rides along (no query of its own).
        cursor.execute(
            "SELECT percentile_cont(0.5) WITHIN GROUP "
            "(ORDER BY EXTRACT(EPOCH FROM resolved_at - received_at)), "
            "(SELECT public_count_threshold FROM complaints_complaintpolicy "
            "WHERE program_id = %s) "
            "FROM complaints_case WHERE program_id = %s AND resolved_at IS NOT NULL",
            [program.pk, program.pk],
        )
        median_seconds, threshold = cursor.fetchone()
    total_resolved = totals["total_resolved"]
    return {
        # The program's small-number threshold; disclosure/policy.py applies it.
        "suppress_below": threshold or DEFAULT_PUBLIC_THRESHOLD,
        "monthly": monthly,
        "median_days_to_resolution": (
            round(float(median_seconds) / 86400, 1) if median_seconds is not None else None
        ),
        "share_resolved_within_deadline": (
            round(totals["on_time"] / total_resolved, 3) if total_resolved else None
        ),
        "total_received": totals["total_received"],
        "total_resolved": total_resolved,
        "open_cases": totals["open_cases"],
    }


def public_complaint_log(*, program, limit=None):
    """The public complaint log: one row per case, only reference, category, facility
    name (of a listed facility; never the worker's own description), month received,
    status and outcome, newest first. A list of dicts from one query."""
    categories = dict(Category.choices)
    statuses = dict(CaseStatus.choices)
    outcomes = dict(Outcome.choices)
    rows = (
        Case.objects.filter(program=program)
        .order_by("-received_at", "-id")
        .values_list("reference", "category", "facility__name", "received_at", "status", "outcome")
    )
    if limit is not None:
        rows = rows[:limit]
    return [
        {
            "reference": reference,
            "category": str(categories.get(category, category)),
            "facility": facility or "",
            "received_month": f"{received_at.astimezone(datetime.UTC):%Y-%m}",
            "status": str(statuses.get(status, status)),
            "outcome": str(outcomes.get(outcome, "")) if outcome else "",
        }
        for reference, category, facility, received_at, status, outcome in rows
    ]


# ---------------------------------------------------------------- the case's timeline

# The status changes the timeline shows: the audit events of the case, as words.
TIMELINE_STATUS_VERBS = {
    "case.acknowledged": "Acknowledged",
    "case.triaged": "Triaged",
    "case.assigned": "Assigned",
    "case.shared": "Shared with a member",
    "case.investigation_started": "Investigation started",
    "case.resolved": "Resolved",
    "case.closed": "Closed",
    "case.reopened": "Reopened",
    "case.retaliation_flagged": "Flagged as retaliation",
}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime.datetime
    kind: str  # received, status, message, note, evidence, interview, finding
    item: object = None
    label: str = ""


def case_status_events(*, program, case):
    """The case's status changes from the audit log, oldest first (one query)."""
    from core.models import AuditEvent

    return (
        AuditEvent.objects.filter(
            program=program,
            object_type=Case._meta.label_lower,
            object_id=str(case.pk),
            verb__in=list(TIMELINE_STATUS_VERBS),
        )
        .select_related("actor")
        .only("created_at", "seq", "verb", "actor__username", "actor_label", "payload")
        .order_by("created_at", "seq")
    )


def case_timeline(*, case, events, thread, notes, evidence, interviews, findings):
    """Everything that happened on the case in time order, from lists the page loaded
    already (so the timeline costs no query of its own). A message's attachments show
    under the message, not a second time as evidence."""
    entries = [TimelineEntry(case.received_at, "received", case, "Complaint received")]
    entries += [
        TimelineEntry(e.created_at, "status", e, TIMELINE_STATUS_VERBS[e.verb]) for e in events
    ]
    entries += [TimelineEntry(m.created_at, "message", m) for m in thread]
    entries += [TimelineEntry(n.created_at, "note", n) for n in notes]
    entries += [TimelineEntry(e.created_at, "evidence", e) for e in evidence if not e.message_id]
    entries += [TimelineEntry(i.created_at, "interview", i) for i in interviews]
    entries += [TimelineEntry(f.created_at, "finding", f) for f in findings]
    order = {k: n for n, k in enumerate(TIMELINE_ORDER)}
    entries.sort(key=lambda e: (e.at, order[e.kind]))
    return entries


# Same instant: the complaint first, then what it led to.
TIMELINE_ORDER = ("received", "message", "status", "evidence", "interview", "finding", "note")
