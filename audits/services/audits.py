"""Audit policy, audits, findings (and their referral to enforcement), evidence."""

import hashlib
import logging
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from core.audit import audit_log, chain_lock
from core.authz import require_member
from core.errors import DomainError, check_transition
from core.roles import Role
from core.tenancy import same_program
from enforcement.services import violation_propose

from .. import selectors
from ..models import (
    AUDIT_TRANSITIONS,
    DEFAULT_DOCUMENT_CHECKLIST,
    DEFAULT_ESCALATION_POLICY,
    Audit,
    AuditPolicy,
    AuditStatus,
    AuditType,
    EvidenceFile,
    Finding,
    ReferralStatus,
)
from ..uploads import check_upload
from ._common import _member_role, _user_id

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


# ---------------------------------------------------------------- policy


def _policy_defaults():
    return {
        "document_checklist": list(DEFAULT_DOCUMENT_CHECKLIST),
        "escalation_policy": list(DEFAULT_ESCALATION_POLICY),
    }


def policy_for(program):
    """The program's AuditPolicy, or the defaults (unsaved) until someone changes them:
    reading a page never writes a row, and every stored row has its audit event."""
    return AuditPolicy.objects.filter(program=program).first() or AuditPolicy(
        program=program, **_policy_defaults()
    )


@transaction.atomic
def audit_policy_update(*, actor, program, **fields):
    require_member(actor, program, "audit_policy.update")
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
    require_member(actor, program, "audit.create")
    same_program(program, facility)
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
    chain_lock(audit.program_id)  # the lock order (core/audit.py): chain, then rows
    return Audit.objects.select_for_update(no_key=True).get(
        pk=audit.pk, program_id=audit.program_id
    )


@transaction.atomic
def audit_update(*, actor, audit, **fields):
    require_member(actor, audit.program, "audit.edit", audit)
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
    require_member(actor, audit.program, "audit.team")
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
    require_member(actor, audit.program, "audit.team")
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
    require_member(actor, audit.program, "audit.edit", audit)
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
    require_member(actor, audit.program, "audit.edit", audit)
    program = audit.program
    same_program(program, provision)
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
    require_member(actor, finding.program, "audit.edit", finding.audit)
    chain_lock(finding.program_id)  # the lock order (core/audit.py): chain, then rows
    finding = Finding.objects.select_for_update(no_key=True).get(pk=finding.pk)
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


@transaction.atomic
def audit_finding_refer(*, actor, finding):
    """Refer a violation-candidate finding to enforcement (``violation_propose``).

    Locks the finding; referring twice is refused. The violation is proposed in the same
    transaction, as complaints' ``finding_refer`` does: a referral is never left waiting.
    """
    require_member(actor, finding.program, "audit_finding.refer")
    chain_lock(finding.program_id)  # the lock order (core/audit.py): chain, then rows
    finding = (
        Finding.objects.select_for_update(no_key=True, of=("self",))
        .select_related("provision", "facility", "program")
        .get(pk=finding.pk)
    )
    if not finding.violation_candidate:
        raise DomainError("Mark the finding as a violation candidate first.")
    if finding.referral_status:
        raise DomainError("This finding has already been referred to enforcement.")
    violation = violation_propose(
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
    finding.violation = violation
    finding.save(update_fields=["referral_status", "violation"])
    audit_log(
        program=finding.program,
        actor=actor,
        verb="finding.referred",
        obj=finding,
        payload={
            "provision": finding.provision_id,
            "facility": finding.facility_id,
            "violation": violation.pk,
        },
    )
    return finding


# ---------------------------------------------------------------- evidence


@transaction.atomic
def evidence_attach(*, actor, program, upload, finding=None, cap_item=None, description=""):
    """Store a private evidence file after checking its size and real type (magic bytes)."""
    require_member(actor, program, "audit.evidence", cap_item or finding)
    if (finding is None) == (cap_item is None):
        raise DomainError("Evidence belongs to exactly one finding or CAP item.")
    same_program(program, finding, cap_item)
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
