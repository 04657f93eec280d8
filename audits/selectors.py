"""Reads of the audits app. Every function takes the program (and the actor where
visibility depends on who asks) and returns only that program's rows."""

import datetime
from collections import defaultdict

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user

from core.models import AuditEvent
from core.roles import Role
from programs.models import Facility, Provision
from programs.selectors import current_provisions

from .models import (
    Audit,
    AuditPolicy,
    AuditStatus,
    AuditUserObjectPermission,
    CAPItem,
    CAPItemComment,
    CAPItemStatus,
    CAPItemStatusChange,
    CorrectiveActionPlan,
    EducationSession,
    EvidenceFile,
    Finding,
    Report,
)

# Roles that see every audit of the program; auditors see the audits they are assigned.
AUDIT_FULL_VIEW_ROLES = frozenset({Role.ADMIN, Role.STAFF, Role.VIEWER, Role.INVESTIGATOR})
AUDIT_MANAGE_ROLES = frozenset({Role.ADMIN, Role.STAFF})
# Who records audits and follows CAPs up (auditors within their grants).
AUDIT_WRITE_ROLES = frozenset({Role.ADMIN, Role.STAFF, Role.AUDITOR})
CAP_WRITE_ROLES = AUDIT_WRITE_ROLES

SEVERITY_PENALTY = {"zero_tolerance": 100, "major": 25, "minor": 10}


def current_provision_ids(*, program):
    return current_provisions(program=program)


def policy(*, program):
    return AuditPolicy.objects.filter(program=program).first()


def _assigned_audits(*, program, user):
    return get_objects_for_user(
        user,
        "audits.view_audit",
        # Always program-filtered: a grant can never reach another program's audit.
        klass=Audit.objects.filter(program=program),
        with_superuser=False,
        accept_global_perms=False,
    )


def _count_of(queryset, field, output=IntegerField):
    """A correlated COUNT per outer row, as a subquery: PostgreSQL evaluates it only
    for the rows of the page (after ORDER BY/LIMIT), where ``Count(..., distinct=True)``
    grouped every row of the program before the page was cut."""
    counted = (
        queryset.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=output()), 0)


def audit_list(
    *,
    program,
    user=None,
    membership=None,
    search=None,
    status=None,
    audit_type=None,
    facility=None,
    date_from=None,
    date_to=None,
):
    """Audits ``membership`` may see, newest first. One query (grants become a subquery)."""
    qs = (
        Audit.objects.filter(program=program)
        .select_related("facility", "facility__supplier", "lead_auditor")
        .annotate(finding_count=_count_of(Finding.objects.all(), "audit"))
    )
    if membership is not None:
        if membership.program_id != program.pk or not membership.is_active:
            return qs.none()
        if membership.role not in AUDIT_FULL_VIEW_ROLES:
            if membership.role != Role.AUDITOR:
                return qs.none()
            qs = qs.filter(pk__in=_assigned_audits(program=program, user=user).values("pk"))
    if search:
        qs = qs.filter(
            Q(facility__name__icontains=search)
            | Q(facility__supplier__legal_name__icontains=search)
        )
    if status:
        qs = qs.filter(status=status)
    if audit_type:
        qs = qs.filter(audit_type=audit_type)
    if facility:
        qs = qs.filter(facility_id=facility)
    if date_from:
        qs = qs.filter(scheduled_date__gte=date_from)
    if date_to:
        qs = qs.filter(scheduled_date__lte=date_to)
    return qs.order_by("-scheduled_date", "-pk")


def audit_can_edit(*, audit, user, membership):
    """Admin/staff always; an auditor when on the audit's team (any grant)."""
    if membership is None or membership.program_id != audit.program_id:
        return False
    if membership.role in AUDIT_MANAGE_ROLES:
        return True
    if membership.role != Role.AUDITOR:
        return False
    return AuditUserObjectPermission.objects.filter(
        content_object=audit, user=user, content_object__program_id=audit.program_id
    ).exists()


def audit_team(*, audit):
    rows = (
        AuditUserObjectPermission.objects.filter(
            content_object=audit, content_object__program_id=audit.program_id
        )
        .select_related("user", "permission")
        .order_by("user__username")
    )
    team = {}
    for row in rows:
        entry = team.setdefault(row.user_id, {"user": row.user, "lead": False})
        if row.permission.codename == "change_audit":
            entry["lead"] = True
    return list(team.values())


def finding_list(*, program, audit=None, facility=None, candidates_only=False):
    qs = (
        Finding.objects.filter(program=program)
        .select_related("provision", "audit", "facility")
        .annotate(evidence_count=_count_of(EvidenceFile.objects.all(), "finding"))
    )
    if audit is not None:
        qs = qs.filter(audit=audit)
    if facility is not None:
        qs = qs.filter(facility=facility)
    if candidates_only:
        qs = qs.filter(violation_candidate=True)
    return qs.order_by("provision__section", "provision__number", "pk")


def findings_visible(*, program, user, membership, **filters):
    visible = audit_list(program=program, user=user, membership=membership)
    return finding_list(program=program, **filters).filter(audit__in=visible.values("pk"))


def evidence_list(*, program, finding=None, cap_item=None):
    qs = EvidenceFile.objects.filter(program=program).select_related("uploaded_by")
    if finding is not None:
        qs = qs.filter(finding=finding)
    if cap_item is not None:
        qs = qs.filter(cap_item=cap_item)
    return qs


def evidence_visible(*, program, user, membership):
    """Evidence files the member may download: a finding's files follow the audit's
    visibility; CAP item files are open to every internal role."""
    visible_audits = audit_list(program=program, user=user, membership=membership).values("pk")
    return EvidenceFile.objects.filter(program=program).filter(
        Q(finding__audit__in=visible_audits) | Q(cap_item__isnull=False)
    )


def cap_list(*, program, search=None):
    """The program's CAPs by facility name, without their item counts: cut the page
    first, then ``with_cap_counts`` counts the items of the page's CAPs only."""
    return (
        CorrectiveActionPlan.objects.filter(program=program)
        .select_related("facility", "facility__supplier")
        .filter(Q(facility__name__icontains=search) if search else Q())
        .order_by("facility__name", "pk")
    )


def with_cap_counts(caps):
    """Set ``item_count``, ``verified_count`` and ``overdue_count`` on each CAP of a
    page (a list): one GROUP BY over the items of those CAPs only, however many CAPs and
    items the program has."""
    caps = list(caps)
    counts = {
        row["cap"]: row
        for row in CAPItem.objects.filter(cap__in=[c.pk for c in caps])
        .values("cap")
        .annotate(
            item_count=Count("pk"),
            verified_count=Count("pk", filter=Q(status=CAPItemStatus.VERIFIED)),
            overdue_count=Count("pk", filter=Q(status=CAPItemStatus.OVERDUE)),
        )
        .order_by()
    }
    for cap in caps:
        row = counts.get(cap.pk, {})
        for name in ("item_count", "verified_count", "overdue_count"):
            setattr(cap, name, row.get(name, 0))
    return caps


def cap_item_list(*, program, status=None, facility=None, search=None, cap=None):
    qs = CAPItem.objects.filter(program=program).select_related(
        "facility", "facility__supplier", "finding__provision"
    )
    if status:
        qs = qs.filter(status=status)
    if facility:
        qs = qs.filter(facility_id=facility)
    if cap is not None:
        qs = qs.filter(cap=cap)
    if search:
        qs = qs.filter(
            Q(observation__icontains=search)
            | Q(responsible_party__icontains=search)
            | Q(facility__name__icontains=search)
        )
    return qs.order_by("deadline", "pk")


def cap_item_history(*, item):
    return CAPItemStatusChange.objects.filter(program_id=item.program_id, item=item).select_related(
        "actor"
    )


def cap_item_deadline_changes(*, item):
    """The item's deadline moves with their reasons, newest first, from its audit events
    (the record they were written to); every one, however long the item's thread."""
    events = AuditEvent.objects.filter(
        program_id=item.program_id,
        object_type="audits.capitem",
        object_id=str(item.pk),
        verb="cap_item.updated",
        payload__has_key="deadline",
    ).order_by("-seq")
    return [
        {
            "at": event.created_at,
            "by": event.actor_label,
            "old": event.payload["deadline"][0],
            "new": event.payload["deadline"][1],
            "reason": event.payload.get("reason", ""),
        }
        for event in events
    ]


def cap_item_comments(*, item):
    return CAPItemComment.objects.filter(program_id=item.program_id, item=item).select_related(
        "author"
    )


def education_list(*, program, facility=None, search=None):
    qs = EducationSession.objects.filter(program=program).select_related("facility")
    if facility:
        qs = qs.filter(facility_id=facility)
    if search:
        qs = qs.filter(Q(educator__icontains=search) | Q(facility__name__icontains=search))
    return qs.order_by("-date", "-pk")


def report_list(*, program, audit=None):
    qs = Report.objects.filter(program=program).select_related("audit", "audit__facility")
    if audit is not None:
        qs = qs.filter(audit=audit)
    return qs


# ---------------------------------------------------------------- progress (from history)


def _end_of_day(value):
    if value is None:
        return timezone.now()
    if isinstance(value, datetime.datetime):
        return value
    tz = timezone.get_current_timezone()
    return datetime.datetime.combine(value, datetime.time.max, tzinfo=tz)


def cap_progress_by_facility(*, program, as_of=None, facilities=None):
    """facility_id → verified items / items as of ``as_of`` (date or datetime; default
    now), for every facility of the program, or only ``facilities`` (ids: the ones a
    page shows) (None where it had no CAP item yet).

    Computed from the status history, not from the current status: an item counts as
    existing from its creation row and as verified from its "verified" row. One query.
    """
    moment = _end_of_day(as_of)
    history = CAPItemStatusChange.objects.filter(
        program=program, facility=OuterRef("pk"), at__lte=moment
    )
    total = (
        history.filter(from_status="")
        .values("facility")
        .annotate(n=Count("item", distinct=True))
        .values("n")
    )
    verified = (
        history.filter(to_status=CAPItemStatus.VERIFIED)
        .values("facility")
        .annotate(n=Count("item", distinct=True))
        .values("n")
    )
    shown = Facility.objects.filter(program=program)
    if facilities is not None:
        shown = shown.filter(pk__in=list(facilities))
    rows = shown.annotate(
        total=Coalesce(Subquery(total, output_field=IntegerField()), 0),
        verified=Coalesce(Subquery(verified, output_field=IntegerField()), 0),
    ).values_list("pk", "total", "verified")
    return {pk: (verified / total if total else None) for pk, total, verified in rows}


def cap_progress_program(*, program, as_of=None):
    moment = _end_of_day(as_of)
    agg = CAPItemStatusChange.objects.filter(program=program, at__lte=moment).aggregate(
        total=Count("item", filter=Q(from_status=""), distinct=True),
        verified=Count("item", filter=Q(to_status=CAPItemStatus.VERIFIED), distinct=True),
    )
    return agg["verified"] / agg["total"] if agg["total"] else None


def _month_ends(points, today):
    """The last ``points`` month ends, oldest first; the last point is ``today``."""
    ends = [today]
    first = today.replace(day=1)
    for _ in range(points - 1):
        end = first - datetime.timedelta(days=1)
        ends.append(end)
        first = end.replace(day=1)
    return list(reversed(ends))


def cap_progress_series(*, program, points=12):
    """Monthly program-wide progress rate: [{date, rate}] over the last ``points``
    month ends (the last one is today). One query with one filtered count per point."""
    dates = _month_ends(points, timezone.localdate())
    aggregates = {}
    for i, day in enumerate(dates):
        moment = _end_of_day(day)
        aggregates[f"t{i}"] = Count("item", filter=Q(from_status="", at__lte=moment), distinct=True)
        aggregates[f"v{i}"] = Count(
            "item", filter=Q(to_status=CAPItemStatus.VERIFIED, at__lte=moment), distinct=True
        )
    agg = CAPItemStatusChange.objects.filter(program=program).aggregate(**aggregates)
    return [
        {"date": day, "rate": (agg[f"v{i}"] / agg[f"t{i}"] if agg[f"t{i}"] else None)}
        for i, day in enumerate(dates)
    ]


# ---------------------------------------------------------------- education reach


def season_of(day, start_month):
    """Season label: the calendar year, or "2025-26" for seasons spanning two years."""
    if start_month == 1:
        return str(day.year)
    first = day.year if day.month >= start_month else day.year - 1
    return f"{first}-{(first + 1) % 100:02d}"


def _season_start_month(program):
    return (
        AuditPolicy.objects.filter(program=program)
        .values_list("season_start_month", flat=True)
        .first()
        or 1
    )


def education_reach_by_facility(*, program, facility=None):
    """[{facility_id, season, workers_reached, workforce, share}] — attendance per
    facility and season, capped at the facility's workforce (repeat sessions reach the
    same people). Two queries plus the policy lookup."""
    start = _season_start_month(program)
    sessions = EducationSession.objects.filter(program=program)
    if facility is not None:
        sessions = sessions.filter(facility=facility)
    monthly = (
        sessions.annotate(month=TruncMonth("date"))
        .values("facility_id", "month")
        .annotate(n=Sum("attendance_count"))
        .order_by()
    )
    reached = defaultdict(int)
    for row in monthly:
        reached[(row["facility_id"], season_of(row["month"], start))] += row["n"] or 0
    workforce = dict(
        Facility.objects.filter(program=program, pk__in={f for f, _ in reached}).values_list(
            "pk", "worker_count"
        )
    )
    rows = []
    for (facility_id, season), n in sorted(reached.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        size = workforce.get(facility_id, 0)
        capped = min(n, size) if size else n
        rows.append(
            {
                "facility_id": facility_id,
                "season": season,
                "workers_reached": capped,
                "workforce": size,
                "share": (capped / size) if size else 0.0,
            }
        )
    return rows


def education_reach(*, program):
    """Program-wide reach per season: [{season, workers_reached, workforce, share}].
    Workforce = the program's active facilities' worker counts."""
    per_facility = education_reach_by_facility(program=program)
    workforce = (
        Facility.objects.filter(program=program, status="active").aggregate(n=Sum("worker_count"))[
            "n"
        ]
        or 0
    )
    seasons = defaultdict(int)
    for row in per_facility:
        seasons[row["season"]] += row["workers_reached"]
    return [
        {
            "season": season,
            "workers_reached": n,
            "workforce": workforce,
            "share": (min(n, workforce) / workforce) if workforce else 0.0,
        }
        for season, n in sorted(seasons.items())
    ]


# ---------------------------------------------------------------- grades


def latest_final_audits(*, program):
    """The latest final audit of each facility (DISTINCT ON facility)."""
    return (
        Audit.objects.filter(program=program, status=AuditStatus.FINAL)
        .order_by("facility_id", "-finalized_at", "-pk")
        .distinct("facility_id")
    )


def _penalties(*, program, audit_ids):
    rows = (
        Finding.objects.filter(program=program, audit_id__in=audit_ids)
        .values("facility_id", "provision__section", "severity")
        .annotate(n=Count("pk"))
        .order_by()
    )
    penalties = defaultdict(int)
    for row in rows:
        penalties[(row["facility_id"], row["provision__section"])] += (
            SEVERITY_PENALTY.get(row["severity"], 0) * row["n"]
        )
    return penalties


_AVERAGES_SQL = """
WITH latest AS (
    SELECT DISTINCT ON (a.facility_id) a.id
    FROM {audit} a
    WHERE a.program_id = %(program)s AND a.status = %(final)s
    ORDER BY a.facility_id, a.finalized_at DESC, a.id DESC
),
per_facility AS (
    SELECT f.facility_id, p.section,
           SUM(CASE f.severity {penalties} ELSE 0 END) AS penalty
    FROM {finding} f JOIN {provision} p ON p.id = f.provision_id
    WHERE f.program_id = %(program)s AND f.audit_id IN (SELECT id FROM latest)
    GROUP BY f.facility_id, p.section
)
SELECT (SELECT COUNT(*) FROM latest), section, SUM(GREATEST(0, 100 - penalty)), COUNT(*)
FROM per_facility GROUP BY section
UNION ALL SELECT (SELECT COUNT(*) FROM latest), NULL, 0, 0
"""


def grade_averages(*, program, sections):
    """{section: program average} of the scores of every facility's latest final audit
    (the same scores as ``facility_grades``), aggregated in PostgreSQL in one query
    instead of scoring every facility in Python: a facility without a finding in a
    section scores 100 there."""
    from django.db import connection

    sql = _AVERAGES_SQL.format(
        audit=Audit._meta.db_table,
        finding=Finding._meta.db_table,
        provision=Provision._meta.db_table,
        penalties=" ".join(f"WHEN '{k}' THEN {int(v)}" for k, v in SEVERITY_PENALTY.items()),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"program": program.pk, "final": AuditStatus.FINAL})
        rows = cursor.fetchall()
    n = rows[0][0]  # the UNION ALL row is always there
    sums = {section: (total, k) for _n, section, total, k in rows if section is not None}
    if not n:
        return {s: None for s in sections}
    averages = {}
    for s in sections:
        total, k = sums.get(s, (0, 0))
        averages[s] = (float(total) + 100 * (n - k)) / n
    return averages


def facility_grades(*, program, audits=None):
    """Scores per code section per facility from its latest final audit.

    Score = 100 minus a penalty per finding in the section (zero tolerance 100, major
    25, minor 10), floored at 0. Returns (sections, {facility_id: {section: score}},
    {section: program average}, {facility_id: audit}). ``audits``: the latest final
    audits to score (a page of them); default every facility's. The averages are over
    the whole program either way, aggregated in SQL.
    """
    sections = sorted(set(current_provisions(program=program).values_list("section", flat=True)))
    if audits is None:
        audits = latest_final_audits(program=program).select_related("facility")
    latest = {a.facility_id: a for a in audits}
    penalties = _penalties(program=program, audit_ids=[a.pk for a in latest.values()])
    scores = {}
    for facility_id in latest:
        scores[facility_id] = {
            s: max(0, 100 - penalties.get((facility_id, s), 0)) for s in sections
        }
    return sections, scores, grade_averages(program=program, sections=sections), latest


def graded_audits_by_name(*, program):
    """Every facility's latest final audit, by facility name (for paging the grades)."""
    return (
        Audit.objects.filter(pk__in=latest_final_audits(program=program).values("pk"))
        .select_related("facility")
        .order_by("facility__name", "facility_id")
    )


def facility_grade_rows(*, program, facility):
    """One facility's grades beside the program averages, without grading every
    facility of the program."""
    audit = latest_final_audits(program=program).filter(facility=facility).first()
    sections, scores, averages, latest = facility_grades(
        program=program, audits=[audit] if audit else []
    )
    own = scores.get(facility.pk)
    return [
        {"section": s, "score": own[s] if own else None, "program_average": averages[s]}
        for s in sections
    ], latest.get(facility.pk)
