"""Writes of the audits app.

Every function is ``<noun>_<verb>(*, actor, ...)``, runs in one transaction, validates,
and appends an AuditEvent in that same transaction. Side effects (report rendering,
calls into enforcement) are deferred with ``transaction.on_commit`` or made idempotent
by unique constraints and conditional updates.
"""

import datetime
import hashlib
import logging
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from programs.models import Membership
from wsr.audit import audit_log
from wsr.errors import DomainError, check_transition
from wsr.roles import Role

from . import selectors
from .models import (
    AUDIT_TRANSITIONS,
    CAP_ITEM_TRANSITIONS,
    DEFAULT_DOCUMENT_CHECKLIST,
    DEFAULT_ESCALATION_POLICY,
    OVERDUE_FROM,
    Audit,
    AuditPolicy,
    AuditStatus,
    AuditType,
    CAPEscalationRequest,
    CAPItem,
    CAPItemComment,
    CAPItemStatus,
    CAPItemStatusChange,
    CorrectiveActionPlan,
    EducationSession,
    EvidenceFile,
    Finding,
    ReferralStatus,
    Report,
    ReportKind,
    ReportStatus,
    SourceKind,
)
from .uploads import check_upload

log = logging.getLogger(__name__)

AUDIT_EDITABLE = {
    "audit_type",
    "scheduled_date",
    "actual_start",
    "actual_end",
    "workforce_size",
    "workers_interviewed",
    "management_interviewed",
    "documents_reviewed",
    "coverage_justification",
    "summary",
}


def _same_program(program, *objs):
    for obj in objs:
        if obj is not None and obj.program_id != program.pk:
            raise DomainError("That record belongs to another program.")


def _user_id(actor):
    return actor.pk if getattr(actor, "is_authenticated", False) else None


def _member_role(program, user):
    m = Membership.objects.filter(program=program, user=user, is_active=True).first()
    return m.role if m else None


# ---------------------------------------------------------------- policy


def policy_for(program):
    """The program's AuditPolicy, created with the defaults on first use."""
    policy, _ = AuditPolicy.objects.get_or_create(
        program=program,
        defaults={
            "document_checklist": list(DEFAULT_DOCUMENT_CHECKLIST),
            "escalation_policy": list(DEFAULT_ESCALATION_POLICY),
        },
    )
    return policy


@transaction.atomic
def audit_policy_update(*, actor, program, **fields):
    policy = policy_for(program)
    allowed = {
        "min_interview_coverage",
        "document_checklist",
        "escalation_policy",
        "season_start_month",
    }
    changes = {}
    for key, value in fields.items():
        if key not in allowed:
            raise DomainError(f"'{key}' cannot be changed here.")
        if key == "escalation_policy":
            for row in value:
                if int(row["days_overdue"]) < 0 or int(row["stage"]) not in (1, 2, 3):
                    raise DomainError("Escalation rows need days_overdue ≥ 0 and stage 1–3.")
        changes[key] = str(value)
        setattr(policy, key, value)
    policy.full_clean()
    policy.save()
    audit_log(
        program=program, actor=actor, verb="audit_policy.updated", obj=policy, payload=changes
    )
    return policy


# ---------------------------------------------------------------- audits


def _grant_team(audit, user, *, lead=False):
    assign_perm("audits.view_audit", user, audit)
    if lead:
        assign_perm("audits.change_audit", user, audit)


@transaction.atomic
def audit_create(
    *,
    actor,
    program,
    facility,
    audit_type,
    scheduled_date,
    lead_auditor=None,
    team=(),
    **fields,
):
    """Plan an audit. The lead auditor gets view+change grants, team members view
    (and may record findings: ``audit_can_edit``)."""
    _same_program(program, facility)
    if audit_type not in AuditType.values:
        raise DomainError(f"Unknown audit type '{audit_type}'.")
    for user in [lead_auditor, *team]:
        if user is not None and _member_role(program, user) not in (
            Role.AUDITOR,
            Role.ADMIN,
            Role.STAFF,
        ):
            raise DomainError(f"{user} is not an auditor or staff member of this program.")
    unknown = set(fields) - AUDIT_EDITABLE
    if unknown:
        raise DomainError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    audit = Audit(
        program=program,
        facility=facility,
        audit_type=audit_type,
        scheduled_date=scheduled_date,
        lead_auditor=lead_auditor,
        **fields,
    )
    if audit.workforce_size is None and facility.worker_count:
        audit.workforce_size = facility.worker_count
    audit.full_clean()
    audit.save()
    if lead_auditor is not None:
        _grant_team(audit, lead_auditor, lead=True)
    for user in team:
        _grant_team(audit, user)
    audit_log(
        program=program,
        actor=actor,
        verb="audit.created",
        obj=audit,
        payload={
            "facility": facility.pk,
            "type": audit_type,
            "scheduled_date": scheduled_date,
            "lead": lead_auditor.pk if lead_auditor else None,
            "team": [u.pk for u in team],
        },
    )
    return audit


def _lock_audit(audit):
    return Audit.objects.select_for_update().get(pk=audit.pk, program_id=audit.program_id)


@transaction.atomic
def audit_update(*, actor, audit, **fields):
    audit = _lock_audit(audit)
    if audit.status == AuditStatus.FINAL:
        raise DomainError("A final audit cannot be changed.")
    changes = {}
    for key, value in fields.items():
        if key not in AUDIT_EDITABLE:
            raise DomainError(f"'{key}' cannot be changed here.")
        old = getattr(audit, key)
        if old != value:
            changes[key] = [old, value]
            setattr(audit, key, value)
    if audit.workforce_size is not None and audit.workers_interviewed > audit.workforce_size:
        raise DomainError("More workers interviewed than the workforce on the day.")
    audit.full_clean()
    audit.save()
    audit_log(
        program=audit.program,
        actor=actor,
        verb="audit.updated",
        obj=audit,
        payload={k: [str(a), str(b)] for k, (a, b) in changes.items()},
    )
    return audit


@transaction.atomic
def audit_team_add(*, actor, audit, user, lead=False):
    if _member_role(audit.program, user) not in (Role.AUDITOR, Role.ADMIN, Role.STAFF):
        raise DomainError(f"{user} is not an auditor or staff member of this program.")
    audit = _lock_audit(audit)
    _grant_team(audit, user, lead=lead)
    if lead:
        audit.lead_auditor = user
        audit.save(update_fields=["lead_auditor"])
    audit_log(
        program=audit.program,
        actor=actor,
        verb="audit.team_added",
        obj=audit,
        payload={"user": user.pk, "lead": lead},
    )
    return audit


@transaction.atomic
def audit_team_remove(*, actor, audit, user):
    audit = _lock_audit(audit)
    if audit.lead_auditor_id == user.pk:
        raise DomainError("Assign another lead auditor before removing the lead.")
    remove_perm("audits.view_audit", user, audit)
    remove_perm("audits.change_audit", user, audit)
    audit_log(
        program=audit.program,
        actor=actor,
        verb="audit.team_removed",
        obj=audit,
        payload={"user": user.pk},
    )
    return audit


def coverage_shortfall(audit, policy):
    """None if coverage meets the program minimum, else a sentence saying why not."""
    if not audit.workforce_size:
        return "The workforce size on the day is not recorded."
    coverage = Decimal(audit.workers_interviewed) / Decimal(audit.workforce_size)
    if coverage < policy.min_interview_coverage:
        return (
            f"Interview coverage {coverage:.0%} is below the program minimum "
            f"{policy.min_interview_coverage:.0%}."
        )
    return None


@transaction.atomic
def audit_transition(*, actor, audit, status, justification=None):
    """Move an audit along planned → fieldwork → draft report → final.

    Locks the audit row. Finalizing checks interview coverage against the program
    minimum: below it, a written justification is required (given here or recorded
    earlier on the audit) and is kept in the audit event.
    """
    audit = _lock_audit(audit)
    check_transition(AUDIT_TRANSITIONS, audit.status, status, "audit")
    previous = audit.status
    payload = {"from": previous, "to": status}
    if status == AuditStatus.FIELDWORK and audit.actual_start is None:
        audit.actual_start = timezone.localdate()
    if status == AuditStatus.DRAFT_REPORT and audit.actual_end is None:
        audit.actual_end = max(timezone.localdate(), audit.actual_start or timezone.localdate())
    if status == AuditStatus.FINAL:
        if justification is not None and justification.strip():
            audit.coverage_justification = justification.strip()
        shortfall = coverage_shortfall(audit, policy_for(audit.program))
        if shortfall:
            if not audit.coverage_justification.strip():
                raise DomainError(
                    f"{shortfall} Record a justification before finalizing.",
                    code="coverage_below_minimum",
                )
            payload["coverage_shortfall"] = shortfall
            payload["justification"] = audit.coverage_justification
        audit.finalized_at = timezone.now()
    audit.status = status
    audit.save()
    audit_log(
        program=audit.program, actor=actor, verb="audit.transitioned", obj=audit, payload=payload
    )
    return audit


# ---------------------------------------------------------------- findings


@transaction.atomic
def finding_create(*, actor, audit, provision, facts, severity=None, violation_candidate=False):
    program = audit.program
    _same_program(program, provision)
    if audit.status == AuditStatus.FINAL:
        raise DomainError("A final audit takes no new findings.")
    if not selectors.current_provision_ids(program=program).filter(pk=provision.pk).exists():
        raise DomainError("Findings cite provisions of the current ratified code.")
    if not (facts or "").strip():
        raise DomainError("Describe the facts of the finding.")
    finding = Finding(
        program=program,
        audit=audit,
        facility_id=audit.facility_id,
        provision=provision,
        severity=severity or provision.severity,
        facts=facts.strip(),
        violation_candidate=violation_candidate,
        created_by=actor if _user_id(actor) else None,
    )
    finding.full_clean()
    finding.save()
    audit_log(
        program=program,
        actor=actor,
        verb="finding.created",
        obj=finding,
        payload={
            "audit": audit.pk,
            "provision": provision.pk,
            "severity": finding.severity,
            "violation_candidate": violation_candidate,
        },
    )
    return finding


@transaction.atomic
def finding_mark_candidate(*, actor, finding, candidate=True):
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    finding.violation_candidate = candidate
    finding.save(update_fields=["violation_candidate"])
    audit_log(
        program=finding.program,
        actor=actor,
        verb="finding.candidate_marked",
        obj=finding,
        payload={"candidate": candidate},
    )
    return finding


def _violation_propose():
    try:
        from enforcement.services import violation_propose
    except ImportError:
        return None
    return violation_propose


@transaction.atomic
def audit_finding_refer(*, actor, finding):
    """Refer a violation-candidate finding to enforcement (``violation_propose``).

    Locks the finding; referring twice is refused. If enforcement's service is not
    installed yet, the finding stays ``pending`` and ``referrals_dispatch`` (beat)
    makes the call once it exists.
    """
    finding = (
        Finding.objects.select_for_update()
        .select_related("provision", "facility", "program")
        .get(pk=finding.pk)
    )
    if not finding.violation_candidate:
        raise DomainError("Mark the finding as a violation candidate first.")
    if finding.referral_status:
        raise DomainError("This finding has already been referred to enforcement.")
    finding.referral_status = ReferralStatus.PENDING
    finding.save(update_fields=["referral_status"])
    audit_log(
        program=finding.program,
        actor=actor,
        verb="finding.referred",
        obj=finding,
        payload={"provision": finding.provision_id, "facility": finding.facility_id},
    )
    _send_referral(actor=actor, finding=finding)
    return finding


def _send_referral(*, actor, finding):
    """Call enforcement for a locked pending finding; no-op if it is not installed."""
    propose = _violation_propose()
    if propose is None:
        return False
    result = propose(
        actor=actor,
        program=finding.program,
        provision=finding.provision,
        facility=finding.facility,
        severity=finding.severity,
        source_kind="audit_finding",
        source_ref=str(finding.pk),
        summary=f"Audit finding against {finding.provision}: {finding.facts[:400]}",
    )
    finding.referral_status = ReferralStatus.SENT
    finding.referral_ref = str(getattr(result, "pk", "") or "")
    finding.save(update_fields=["referral_status", "referral_ref"])
    return True


def referrals_dispatch(*, program):
    """Send pending referrals (made while enforcement was absent). Each in its own
    transaction, locked with SKIP LOCKED so two workers never send one twice."""
    sent = 0
    if _violation_propose() is None:
        return 0
    ids = list(
        Finding.objects.filter(program=program, referral_status=ReferralStatus.PENDING).values_list(
            "pk", flat=True
        )
    )
    for pk in ids:
        with transaction.atomic():
            finding = (
                Finding.objects.select_for_update(skip_locked=True)
                .select_related("provision", "facility", "program")
                .filter(pk=pk, referral_status=ReferralStatus.PENDING)
                .first()
            )
            if finding and _send_referral(actor="audits.referrals", finding=finding):
                sent += 1
    return sent


# ---------------------------------------------------------------- evidence


@transaction.atomic
def evidence_attach(*, actor, program, upload, finding=None, cap_item=None, description=""):
    """Store a private evidence file after checking its size and real type (magic bytes)."""
    if (finding is None) == (cap_item is None):
        raise DomainError("Evidence belongs to exactly one finding or CAP item.")
    _same_program(program, finding, cap_item)
    data, content_type = check_upload(upload)
    digest = hashlib.sha256(data).hexdigest()
    evidence = EvidenceFile(
        program=program,
        finding=finding,
        cap_item=cap_item,
        original_name=(getattr(upload, "name", "") or "evidence")[-200:],
        content_type=content_type,
        size=len(data),
        sha256=digest,
        description=description[:300],
        uploaded_by=actor if _user_id(actor) else None,
    )
    evidence.file.save(digest, ContentFile(data), save=False)
    evidence.save()
    audit_log(
        program=program,
        actor=actor,
        verb="evidence.attached",
        obj=evidence,
        payload={
            "finding": finding.pk if finding else None,
            "cap_item": cap_item.pk if cap_item else None,
            "sha256": digest,
            "content_type": content_type,
            "size": len(data),
        },
    )
    return evidence


# ---------------------------------------------------------------- CAPs


def _cap_for(*, actor, program, facility):
    cap = CorrectiveActionPlan.objects.filter(program=program, facility=facility).first()
    if cap is None:
        try:
            with transaction.atomic():
                cap = CorrectiveActionPlan.objects.create(
                    program=program, facility=facility, opened_by=actor if _user_id(actor) else None
                )
        except IntegrityError:  # opened concurrently
            return CorrectiveActionPlan.objects.get(program=program, facility=facility)
        audit_log(
            program=program,
            actor=actor,
            verb="cap.opened",
            obj=cap,
            payload={"facility": facility.pk},
        )
    return cap


@transaction.atomic
def cap_item_create(
    *,
    actor,
    program,
    facility=None,
    finding=None,
    observation,
    recommendation,
    deadline,
    responsible_party,
    planned_completion_date=None,
    source_kind=None,
    source_ref="",
):
    """Add an item to the facility's CAP (opening the CAP if needed), from an audit
    finding, a complaint finding (``source_kind``/``source_ref``) or on its own."""
    if finding is not None:
        _same_program(program, finding)
        facility = facility or finding.facility
        if finding.facility_id != facility.pk:
            raise DomainError("The finding is from another facility.")
        source_kind = source_kind or SourceKind.AUDIT_FINDING
        source_ref = source_ref or str(finding.pk)
    if facility is None:
        raise DomainError("A CAP item needs a facility.")
    _same_program(program, facility)
    source_kind = source_kind or SourceKind.OTHER
    if source_kind not in SourceKind.values:
        raise DomainError(f"Unknown source '{source_kind}'.")
    if not observation.strip() or not recommendation.strip() or not responsible_party.strip():
        raise DomainError("Observation, recommendation and responsible party are required.")
    cap = _cap_for(actor=actor, program=program, facility=facility)
    now = timezone.now()
    item = CAPItem(
        program=program,
        cap=cap,
        facility=facility,
        finding=finding,
        source_kind=source_kind,
        source_ref=source_ref,
        observation=observation.strip(),
        recommendation=recommendation.strip(),
        deadline=deadline,
        responsible_party=responsible_party.strip(),
        planned_completion_date=planned_completion_date,
        status=CAPItemStatus.OPEN,
        created_at=now,
    )
    item.full_clean()
    item.save()
    CAPItemStatusChange.objects.create(
        program=program,
        item=item,
        facility=facility,
        from_status="",
        to_status=CAPItemStatus.OPEN,
        at=now,
        actor=actor if _user_id(actor) else None,
        note="created",
    )
    audit_log(
        program=program,
        actor=actor,
        verb="cap_item.created",
        obj=item,
        payload={
            "facility": facility.pk,
            "finding": finding.pk if finding else None,
            "source_kind": source_kind,
            "deadline": deadline,
        },
    )
    return item


@transaction.atomic
def cap_item_transition(*, actor, item, status, note=""):
    """Record a follow-up: the item's new status, appended to its history. Locks the item.

    Only auditors (and admin/staff) verify; the caller checks the role, the service
    checks the table.
    """
    item = CAPItem.objects.select_for_update().get(pk=item.pk, program_id=item.program_id)
    check_transition(CAP_ITEM_TRANSITIONS, item.status, status, "CAP item")
    previous = item.status
    item.status = status
    item.save(update_fields=["status"])
    CAPItemStatusChange.objects.create(
        program_id=item.program_id,
        item=item,
        facility_id=item.facility_id,
        from_status=previous,
        to_status=status,
        at=timezone.now(),
        actor=actor if _user_id(actor) else None,
        note=note,
    )
    audit_log(
        program=item.program,
        actor=actor,
        verb="cap_item.transitioned",
        obj=item,
        payload={"from": previous, "to": status, "note": note},
    )
    return item


@transaction.atomic
def cap_item_update(*, actor, item, **fields):
    allowed = {"deadline", "planned_completion_date", "responsible_party", "recommendation"}
    item = CAPItem.objects.select_for_update().get(pk=item.pk, program_id=item.program_id)
    if item.status == CAPItemStatus.VERIFIED:
        raise DomainError("A verified item is closed.")
    changes = {}
    for key, value in fields.items():
        if key not in allowed:
            raise DomainError(f"'{key}' cannot be changed here.")
        if getattr(item, key) != value:
            changes[key] = [str(getattr(item, key)), str(value)]
            setattr(item, key, value)
    item.full_clean()
    item.save()
    audit_log(program=item.program, actor=actor, verb="cap_item.updated", obj=item, payload=changes)
    return item


@transaction.atomic
def cap_item_comment(*, actor, item, body):
    if not body.strip():
        raise DomainError("A comment cannot be empty.")
    comment = CAPItemComment.objects.create(
        program_id=item.program_id, item=item, author=actor if _user_id(actor) else None, body=body
    )
    audit_log(
        program=item.program,
        actor=actor,
        verb="cap_item.commented",
        obj=item,
        payload={"comment": comment.pk},
    )
    return comment


def _escalation_advance():
    try:
        from enforcement.services import escalation_advance
    except ImportError:
        return None
    return escalation_advance


def cap_items_mark_overdue(*, program, today=None):
    """The beat job's work for one program; safe to run any number of times.

    1. Each item past its deadline and still open/in progress moves to ``overdue`` by a
       conditional UPDATE (``WHERE status IN (open, in_progress)``): only the run whose
       UPDATE matched writes the history row and the audit event.
    2. For every overdue item, each escalation threshold it has crossed becomes one
       ``CAPEscalationRequest`` (unique per item and threshold: a second insert is
       impossible).
    3. Unsent requests go to ``escalations_dispatch``, which raises the supplier to
       the stage the policy names (one ``escalation_advance`` call per missing stage).

    Returns (marked, requested, sent).
    """
    today = today or timezone.localdate()
    marked = 0
    candidates = list(
        CAPItem.objects.filter(
            program=program, status__in=OVERDUE_FROM, deadline__lt=today
        ).values_list("pk", "status", "facility_id")
    )
    for pk, status, facility_id in candidates:
        with transaction.atomic():
            updated = CAPItem.objects.filter(pk=pk, status__in=OVERDUE_FROM).update(
                status=CAPItemStatus.OVERDUE
            )
            if updated != 1:
                continue  # another run, or a follow-up, got there first
            now = timezone.now()
            CAPItemStatusChange.objects.create(
                program=program,
                item_id=pk,
                facility_id=facility_id,
                from_status=status,
                to_status=CAPItemStatus.OVERDUE,
                at=now,
                actor=None,
                note="deadline passed",
            )
            audit_log(
                program=program,
                actor="audits.overdue_job",
                verb="cap_item.overdue",
                object_type="audits.capitem",
                object_id=str(pk),
                payload={"from": status},
            )
            marked += 1

    requested = _escalations_request(program=program, today=today)
    sent = escalations_dispatch(program=program)
    return marked, requested, sent


def _escalations_request(*, program, today):
    thresholds = policy_for(program).escalation_thresholds()
    if not thresholds:
        return 0
    requested = 0
    overdue = CAPItem.objects.filter(program=program, status=CAPItemStatus.OVERDUE).values_list(
        "pk", "deadline", "facility_id", "facility__supplier_id"
    )
    for pk, deadline, facility_id, supplier_id in overdue:
        days = (today - deadline).days
        for threshold, stage in thresholds:
            if days < threshold:
                break
            with transaction.atomic():
                obj, created = CAPEscalationRequest.objects.get_or_create(
                    item_id=pk,
                    days_overdue=threshold,
                    defaults={
                        "program": program,
                        "supplier_id": supplier_id,
                        "facility_id": facility_id,
                        "stage": stage,
                        "requested_at": timezone.now(),
                    },
                )
                if created:
                    audit_log(
                        program=program,
                        actor="audits.overdue_job",
                        verb="cap_item.escalation_requested",
                        object_type="audits.capitem",
                        object_id=str(pk),
                        payload={"days_overdue": threshold, "stage": stage, "request": obj.pk},
                    )
                    requested += 1
    return requested


def _current_stage(*, program, supplier):
    try:
        from enforcement.selectors import standing_for_supplier
    except ImportError:
        return 0
    standing = standing_for_supplier(program=program, supplier=supplier)
    return standing.stage if standing else 0


# Namespace of the advisory lock serializing escalation of one supplier.
_ESCALATION_LOCK = 0x4341


def escalations_dispatch(*, program):
    """Send owed escalation requests to enforcement, oldest first.

    The policy names the stage an overdue item calls for, so a request only raises the
    supplier to that stage: when the supplier already stands there (another item, or a
    violation, got it there) the request is settled without a call. Many late items
    therefore never compound into termination on their own. Each request is claimed
    with ``FOR UPDATE SKIP LOCKED`` and a per-supplier advisory lock, and marked sent in
    the transaction that calls ``escalation_advance``; enforcement is also idempotent
    per (source_kind, source_ref).
    """
    advance = _escalation_advance()
    if advance is None:
        return 0
    sent = 0
    ids = list(
        CAPEscalationRequest.objects.filter(program=program, sent_at__isnull=True)
        .order_by("requested_at", "days_overdue", "pk")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        with transaction.atomic():
            req = (
                CAPEscalationRequest.objects.select_for_update(skip_locked=True)
                .select_related("supplier", "facility", "item")
                .filter(pk=pk, sent_at__isnull=True)
                .first()
            )
            if req is None:
                continue
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)", [_ESCALATION_LOCK, req.supplier_id]
                )
            current = _current_stage(program=program, supplier=req.supplier)
            if current >= req.stage:
                req.sent_at = timezone.now()
                req.result_ref = f"already at stage {current}"
                req.save(update_fields=["sent_at", "result_ref"])
                audit_log(
                    program=program,
                    actor="audits.overdue_job",
                    verb="cap_item.escalation_settled",
                    object_type="audits.capitem",
                    object_id=str(req.item_id),
                    payload={"stage": req.stage, "current_stage": current},
                )
                continue
            result = advance(
                actor="audits.overdue_job",
                program=program,
                supplier=req.supplier,
                facility=req.facility,
                reason=(
                    f"CAP item {req.item_id} is {req.days_overdue}+ days overdue "
                    f"(policy stage {req.stage}): {req.item.observation[:200]}"
                ),
                source_kind="cap_item",
                source_ref=f"{req.item_id}:{req.days_overdue}",
            )
            req.sent_at = timezone.now()
            req.result_ref = str(getattr(result, "pk", result) or "")[:64]
            req.save(update_fields=["sent_at", "result_ref"])
            audit_log(
                program=program,
                actor="audits.overdue_job",
                verb="cap_item.escalated",
                object_type="audits.capitem",
                object_id=str(req.item_id),
                payload={"stage": req.stage, "days_overdue": req.days_overdue},
            )
            sent += 1
    return sent


# ---------------------------------------------------------------- education


@transaction.atomic
def education_session_record(
    *, actor, program, facility, date, language, educator, attendance_count, topics=(), materials=""
):
    _same_program(program, facility)
    if attendance_count < 0:
        raise DomainError("Attendance cannot be negative.")
    if date > timezone.localdate():
        raise DomainError("A session is recorded after it took place.")
    session = EducationSession(
        program=program,
        facility=facility,
        date=date,
        language=language,
        educator=educator,
        attendance_count=attendance_count,
        topics=list(topics),
        materials=materials,
        recorded_by=actor if _user_id(actor) else None,
    )
    session.full_clean()
    session.save()
    audit_log(
        program=program,
        actor=actor,
        verb="education_session.recorded",
        obj=session,
        payload={"facility": facility.pk, "date": date, "attendance": attendance_count},
    )
    return session


# ---------------------------------------------------------------- reports


@transaction.atomic
def report_request(*, actor, program, kind, audit=None):
    """Queue a PDF report; the Celery task (queue "reports") is sent after commit."""
    if kind not in ReportKind.values:
        raise DomainError(f"Unknown report '{kind}'.")
    if kind == ReportKind.AUDIT:
        if audit is None:
            raise DomainError("An audit report needs an audit.")
        _same_program(program, audit)
    else:
        audit = None
    report = Report.objects.create(
        program=program, kind=kind, audit=audit, requested_by=actor if _user_id(actor) else None
    )
    audit_log(
        program=program,
        actor=actor,
        verb="report.requested",
        obj=report,
        payload={"kind": kind, "audit": audit.pk if audit else None},
    )
    from .tasks import report_render_task

    transaction.on_commit(lambda: report_render_task.delay(report.pk, program.pk))
    return report


def report_render(*, report_id, program_id):
    """Render one queued report (called by the task). Claimed by a conditional UPDATE
    (queued → rendering), so a redelivered task does not render twice; a report stuck
    in rendering (worker died) can be re-queued by ``reports_requeue_stale``."""
    claimed = Report.objects.filter(
        pk=report_id, program_id=program_id, status=ReportStatus.QUEUED
    ).update(status=ReportStatus.RENDERING)
    if claimed != 1:
        return None
    report = Report.objects.select_related("program", "audit").get(pk=report_id)
    try:
        from .reports import render_report_pdf

        data = render_report_pdf(report)
    except Exception as exc:  # the page must show the failure, not spin forever
        log.exception("report %s failed", report_id)
        with transaction.atomic():
            Report.objects.filter(pk=report_id, status=ReportStatus.RENDERING).update(
                status=ReportStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
            )
            audit_log(
                program=report.program,
                actor="audits.reports",
                verb="report.failed",
                obj=report,
                payload={"error": str(exc)[:200]},
            )
        return None
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report_id)
        report.file.save(report.filename, ContentFile(data), save=False)
        report.sha256 = hashlib.sha256(data).hexdigest()
        report.size = len(data)
        report.status = ReportStatus.READY
        report.finished_at = timezone.now()
        report.save()
        audit_log(
            program=report.program,
            actor="audits.reports",
            verb="report.rendered",
            obj=report,
            payload={"sha256": report.sha256, "size": report.size},
        )
    return report


def reports_requeue_stale(*, older_than=datetime.timedelta(minutes=15)):
    """Beat sweeper: reports queued (publish lost) or rendering (worker died) too long
    ago go back to the queue."""
    from .tasks import report_render_task

    cutoff = timezone.now() - older_than
    stale = Report.objects.filter(
        status__in=[ReportStatus.QUEUED, ReportStatus.RENDERING], created_at__lt=cutoff
    ).values_list("pk", "program_id")
    count = 0
    for pk, program_id in stale:
        Report.objects.filter(pk=pk, status=ReportStatus.RENDERING).update(
            status=ReportStatus.QUEUED
        )
        report_render_task.delay(pk, program_id)
        count += 1
    return count


def max_upload_bytes():
    return settings.MAX_UPLOAD_BYTES
