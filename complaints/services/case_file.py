"""The case file: notes, messages with the complainant, evidence, interviews, findings
and their referral to enforcement."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from complaints.models import (
    CaseStatus,
    Direction,
    Finding,
    Interview,
    Message,
    Note,
    Outcome,
)
from core import audit
from core.audit import audit_log
from core.authz import require_member
from core.errors import DomainError, IllegalTransition
from enforcement.services import violation_propose
from programs.models import Facility, Provision, Severity

from ._common import (
    COMPLAINANT,
    MAX_MESSAGE,
    _access,
    _clean_text,
    _inspect_all,
    _lock,
    _require,
    _store_evidence,
)


@transaction.atomic
def note_add(*, actor, case, body):
    require_member(actor, case.program, "case.work", case)
    _require(_access(actor, case).work)
    body = _clean_text(body, field="body", label="The note", limit=MAX_MESSAGE)
    note = Note.objects.create(program_id=case.program_id, case=case, author=actor, body=body)
    audit_log(
        program=case.program, actor=actor, verb="note.added", obj=note, payload={"case": case.pk}
    )
    return note


@transaction.atomic
def message_send(*, actor, case, body, attachments=()):
    """A message from staff to the complainant (shown on the status page). The first
    one acknowledges the case."""
    require_member(actor, case.program, "case.work", case)
    case = _lock(case)
    _require(_access(actor, case).work)
    body = _clean_text(body, field="body", label="The message", limit=MAX_MESSAGE)
    inspected = _inspect_all(attachments, "attachments")
    message = Message.objects.create(
        program_id=case.program_id,
        case=case,
        direction=Direction.TO_WORKER,
        author=actor,
        body=body,
    )
    for upload, info in inspected:
        _store_evidence(
            case=case,
            inspected=info,
            upload=upload,
            from_worker=False,
            uploaded_by=actor,
            message=message,
            field="attachments",
        )
    if case.acknowledged_at is None:
        case.acknowledged_at = timezone.now()
        case.save(update_fields=["acknowledged_at", "updated_at"])
    # The worker who wrote in by SMS or WhatsApp gets the reply there too (the outbox
    # sends it after commit; an opted-out number gets nothing).
    from complaints.channels.conversation import queue_staff_reply

    channels = queue_staff_reply(case=case, message=message)
    audit_log(
        program=case.program,
        actor=actor,
        verb="message.sent",
        obj=message,
        payload={"case": case.pk, "attachments": len(inspected), "channels": channels},
    )
    return message


@transaction.atomic
def message_receive(*, case, body, attachments=()):
    """A message from the complainant (authenticated by the receipt code, by the view)."""
    body = _clean_text(body, field="body", label="The message", limit=MAX_MESSAGE)
    inspected = _inspect_all(attachments, "attachments")
    if case.status == CaseStatus.CLOSED:
        raise DomainError("This case is closed. Please file a new complaint.")
    message = Message.objects.create(
        program_id=case.program_id, case=case, direction=Direction.FROM_WORKER, body=body
    )
    for upload, info in inspected:
        _store_evidence(
            case=case,
            inspected=info,
            upload=upload,
            from_worker=True,
            uploaded_by=None,
            message=message,
            field="attachments",
        )
    audit_log(
        program=case.program,
        actor=COMPLAINANT,
        verb="message.received",
        obj=message,
        payload={"case": case.pk, "attachments": len(inspected)},
    )
    return message


@transaction.atomic
def evidence_add(*, actor, case, upload, description=""):
    require_member(actor, case.program, "case.work", case)
    _require(_access(actor, case).work)
    [(upload, info)] = _inspect_all([upload], "file")
    evidence = _store_evidence(
        case=case,
        inspected=info,
        upload=upload,
        from_worker=False,
        uploaded_by=actor,
        desc=(description or "").strip(),
        field="file",
    )
    audit_log(
        program=case.program,
        actor=actor,
        verb="evidence.added",
        obj=evidence,
        payload={"case": case.pk, "sha256": evidence.sha256, "type": evidence.content_type},
    )
    return evidence


@transaction.atomic
def interview_record(*, actor, case, kind, conducted_on, summary, language=""):
    require_member(actor, case.program, "case.work", case)
    _require(_access(actor, case).work)
    if kind not in Interview.Kind.values:
        raise ValidationError({"kind": "Choose who was interviewed."})
    if not isinstance(conducted_on, datetime.date):
        raise ValidationError({"conducted_on": "Give the date of the interview."})
    if conducted_on > timezone.localdate():
        raise ValidationError({"conducted_on": "An interview cannot be in the future."})
    summary = _clean_text(summary, field="summary", label="The summary")
    interview = Interview.objects.create(
        program_id=case.program_id,
        case=case,
        interviewer=actor,
        kind=kind,
        conducted_on=conducted_on,
        summary=summary,
        language=(language or "")[:10],
    )
    audit_log(
        program=case.program,
        actor=actor,
        verb="interview.recorded",
        obj=interview,
        payload={"case": case.pk, "kind": kind, "conducted_on": conducted_on},
    )
    return interview


@transaction.atomic
def finding_add(*, actor, case, provision, facts, severity=None, facility=None):
    """Record a finding against a code provision. Only while investigating."""
    require_member(actor, case.program, "case.work", case)
    case = _lock(case)
    _require(_access(actor, case).work)
    if case.status != CaseStatus.INVESTIGATING:
        raise IllegalTransition("Findings are recorded while the case is being investigated.")
    if not isinstance(provision, Provision) or provision.program_id != case.program_id:
        raise ValidationError({"provision": "Choose a provision of this program's code."})
    if facility is not None and (
        not isinstance(facility, Facility) or facility.program_id != case.program_id
    ):
        raise ValidationError({"facility": "Choose a facility of this program."})
    severity = severity or provision.severity
    if severity not in Severity.values:
        raise ValidationError({"severity": "Unknown severity."})
    facts = _clean_text(facts, field="facts", label="The facts")
    finding = Finding.objects.create(
        program_id=case.program_id,
        case=case,
        provision=provision,
        facility=facility or case.facility,
        facts=facts,
        severity=severity,
        created_by=actor,
    )
    audit_log(
        program=case.program,
        actor=actor,
        verb="finding.added",
        obj=finding,
        payload={"case": case.pk, "provision": provision.pk, "severity": severity},
    )
    return finding


@transaction.atomic
def finding_refer(*, actor, finding):
    """Propose a violation to enforcement from a finding of a substantiated case.

    Locks the finding row so it is referred at most once; the violation is linked.
    """
    require_member(actor, finding.program, "case.manage")
    audit.chain_lock(finding.program_id)  # the lock order (core/audit.py): chain, then rows
    finding = (
        Finding.objects.select_for_update(no_key=True, of=("self",))
        .select_related("case", "provision", "facility")
        .get(pk=finding.pk)
    )
    case = finding.case
    _require(_access(actor, case).manage)
    if finding.violation_id:
        raise DomainError("This finding was already referred to enforcement.")
    if case.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED) or (
        case.outcome != Outcome.SUBSTANTIATED
    ):
        raise DomainError("Only findings of a substantiated case can be referred.")
    if finding.facility_id is None:
        raise DomainError("Set the facility of the finding before referring it.")
    violation = violation_propose(
        actor=actor,
        program=finding.program,
        provision=finding.provision,
        facility=finding.facility,
        severity=finding.severity,
        source_kind="complaint_finding",
        source_ref=str(finding.pk),
        summary=f"Complaint {case.reference}: {finding.facts[:400]}",
    )
    finding.violation = violation
    finding.referred_at = timezone.now()
    finding.referred_by = actor
    finding.save(update_fields=["violation", "referred_at", "referred_by"])
    audit_log(
        program=finding.program,
        actor=actor,
        verb="finding.referred",
        obj=finding,
        payload={"case": case.pk, "violation": finding.violation_id},
    )
    return finding
