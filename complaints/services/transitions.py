"""A case's status: investigation, resolution, closing, reopening, retaliation flags."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from complaints.models import (
    CASE_TRANSITIONS,
    EARLY_OUTCOMES,
    CaseStatus,
    Finding,
    Note,
    Outcome,
    Priority,
)
from core.audit import audit_log
from core.authz import require_member
from core.errors import DomainError, IllegalTransition, check_transition
from core.tenancy import same_program

from ._common import _access, _clean_text, _lock, _require, _set_clocks


@transaction.atomic
def case_start_investigation(*, actor, case):
    require_member(actor, case.program, "case.work", case)
    case = _lock(case)
    _require(_access(actor, case).work)
    check_transition(CASE_TRANSITIONS, case.status, CaseStatus.INVESTIGATING, "case")
    if case.status == CaseStatus.TRIAGED and case.assigned_to_id is None:
        raise DomainError("Assign an investigator before the investigation starts.")
    old = case.status
    case.status = CaseStatus.INVESTIGATING
    case.save(update_fields=["status", "updated_at"])
    audit_log(
        program=case.program,
        actor=actor,
        verb="case.investigation_started",
        obj=case,
        payload={"from": old},
    )
    return case


@transaction.atomic
def case_resolve(*, actor, case, outcome, summary=""):
    """End the case with an outcome. Substantiated needs at least one finding; a case
    not yet investigated can only be withdrawn or referred."""
    require_member(actor, case.program, "case.work", case)
    case = _lock(case)
    _require(_access(actor, case).work)
    check_transition(CASE_TRANSITIONS, case.status, CaseStatus.RESOLVED, "case")
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": "Choose an outcome."})
    if case.status != CaseStatus.INVESTIGATING and outcome not in EARLY_OUTCOMES:
        raise IllegalTransition(
            "A case that was not investigated can only be withdrawn or referred."
        )
    if outcome == Outcome.SUBSTANTIATED and not Finding.objects.filter(case=case).exists():
        raise DomainError("Record at least one finding before resolving as substantiated.")
    summary = _clean_text(summary, field="summary", label="Summary", required=False)
    old = case.status
    now = timezone.now()
    case.status = CaseStatus.RESOLVED
    case.outcome = outcome
    case.outcome_summary = summary
    case.resolved_at = now
    case.acknowledged_at = case.acknowledged_at or now
    case.save()
    audit_log(
        program=case.program,
        actor=actor,
        verb="case.resolved",
        obj=case,
        payload={"from": old, "outcome": outcome},
    )
    return case


@transaction.atomic
def case_close(*, actor, case):
    require_member(actor, case.program, "case.manage", case)
    case = _lock(case)
    _require(_access(actor, case).manage)
    check_transition(CASE_TRANSITIONS, case.status, CaseStatus.CLOSED, "case")
    case.status = CaseStatus.CLOSED
    case.closed_at = timezone.now()
    case.save(update_fields=["status", "closed_at", "updated_at"])
    audit_log(program=case.program, actor=actor, verb="case.closed", obj=case, payload={})
    return case


@transaction.atomic
def case_reopen(*, actor, case, reason):
    """Back to investigating, with a reason; the resolution clock restarts now."""
    require_member(actor, case.program, "case.manage", case)
    case = _lock(case)
    _require(_access(actor, case).manage)
    check_transition(CASE_TRANSITIONS, case.status, CaseStatus.INVESTIGATING, "case")
    if case.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        raise IllegalTransition("Only a resolved or closed case can be reopened.")
    reason = _clean_text(reason, field="reason", label="A reason", limit=2000)
    if case.identity_purged_at is not None and not case.is_anonymous:
        # Reopening after the purge is allowed; the identity is simply gone.
        pass
    old = {"status": case.status, "outcome": case.outcome}
    case.status = CaseStatus.INVESTIGATING
    case.outcome = ""
    case.resolved_at = None
    case.closed_at = None
    _set_clocks(case, start=timezone.now())
    case.save()
    audit_log(
        program=case.program,
        actor=actor,
        verb="case.reopened",
        obj=case,
        payload={"from": old, "reason": reason},
    )
    return case


def case_transition(*, actor, case, status, outcome="", summary="", reason=""):
    """Dispatch a requested target status to the service that performs it."""
    require_member(actor, case.program, "case.work", case)
    if status == CaseStatus.INVESTIGATING and case.status in (
        CaseStatus.RESOLVED,
        CaseStatus.CLOSED,
    ):
        return case_reopen(actor=actor, case=case, reason=reason)
    if status == CaseStatus.INVESTIGATING:
        return case_start_investigation(actor=actor, case=case)
    if status == CaseStatus.RESOLVED:
        return case_resolve(actor=actor, case=case, outcome=outcome, summary=summary)
    if status == CaseStatus.CLOSED:
        return case_close(actor=actor, case=case)
    if status == CaseStatus.TRIAGED:
        raise DomainError("Use triage to set category and priority.")
    raise IllegalTransition(f"A case cannot go from '{case.status}' to '{status}'.")


@transaction.atomic
def case_flag_retaliation(*, actor, case, original, note=""):
    """Mark ``case`` as retaliation for having complained in ``original``: linked, urgent."""
    require_member(actor, case.program, "case.manage", case)
    case = _lock(case)
    _require(_access(actor, case).manage)
    same_program(case.program, original)
    if original.pk == case.pk:
        raise DomainError("A case cannot be retaliation for itself.")
    if not case.is_open:
        raise IllegalTransition("Only an open case can be flagged as retaliation.")
    case.is_retaliation = True
    case.retaliation_of = original
    case.priority = Priority.URGENT
    _set_clocks(case)
    case.save()
    if note and note.strip():
        Note.objects.create(program=case.program, case=case, author=actor, body=note.strip())
    audit_log(
        program=case.program,
        actor=actor,
        verb="case.retaliation_flagged",
        obj=case,
        payload={"original": original.pk, "original_reference": original.reference},
    )
    return case
