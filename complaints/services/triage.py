"""Triage, assignment and sharing of a case."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from complaints.access import PERM_IDENTITY, PERM_INVESTIGATE
from complaints.models import (
    CASE_TRANSITIONS,
    URGENT_CATEGORIES,
    CaseProvision,
    CaseStatus,
    Note,
    Priority,
)
from core.audit import audit_log
from core.authz import require_member
from core.errors import DomainError, IllegalTransition, check_transition
from core.models import NotificationKind
from core.notifications import notify
from core.roles import INTERNAL_ROLES, Role
from core.tenancy import same_program
from programs.models import Category, Membership, Provision, Severity

from ._common import _access, _lock, _require, _set_clocks


@transaction.atomic
def case_acknowledge(*, actor, case):
    """Record that the complainant has been acknowledged (first contact). Idempotent."""
    require_member(actor, case.program, "case.work", case)
    case = _lock(case)
    if case.acknowledged_at is None:
        case.acknowledged_at = timezone.now()
        case.save(update_fields=["acknowledged_at", "updated_at"])
        audit_log(program=case.program, actor=actor, verb="case.acknowledged", obj=case)
    return case


@transaction.atomic
def case_triage(
    *, actor, case, category, priority, provisions=(), facility=None, supplier=None, note=""
):
    """Set category, priority, provisions and the workplace.

    From ``received`` this moves the case to ``triaged`` (and acknowledges it); on a
    triaged or investigating case it updates the triage. Any zero-tolerance provision
    makes the case urgent. Clocks are recomputed from the time of receipt.
    """
    require_member(actor, case.program, "case.manage", case)
    case = _lock(case)
    _require(_access(actor, case).manage)
    program = case.program
    if case.status == CaseStatus.RECEIVED:
        check_transition(CASE_TRANSITIONS, case.status, CaseStatus.TRIAGED, "case")
    elif case.status not in (CaseStatus.TRIAGED, CaseStatus.INVESTIGATING):
        raise IllegalTransition(f"A {case.status} case cannot be triaged.")
    if category not in Category.values:
        raise ValidationError({"category": "Unknown category."})
    if priority not in Priority.values:
        raise ValidationError({"priority": "Unknown priority."})
    provisions = list(provisions or [])
    for p in provisions:
        if not isinstance(p, Provision) or p.program_id != program.pk:
            raise ValidationError({"provisions": "Choose provisions of this program's code."})
    same_program(program, facility, supplier)
    if facility is not None:
        supplier = facility.supplier
    if any(p.severity == Severity.ZERO_TOLERANCE for p in provisions) or category in (
        URGENT_CATEGORIES
    ):
        priority = Priority.URGENT
    now = timezone.now()
    old = {"status": case.status, "priority": case.priority, "category": case.category}
    if case.status == CaseStatus.RECEIVED:
        case.status = CaseStatus.TRIAGED
        case.triaged_at = now
    case.acknowledged_at = case.acknowledged_at or now
    case.category = category
    case.priority = priority
    case.facility = facility or case.facility
    case.supplier = supplier or case.supplier
    _set_clocks(case)
    case.save()
    CaseProvision.objects.filter(case=case).exclude(provision__in=provisions).delete()
    existing = set(CaseProvision.objects.filter(case=case).values_list("provision_id", flat=True))
    CaseProvision.objects.bulk_create(
        [
            CaseProvision(program=program, case=case, provision=p)
            for p in provisions
            if p.pk not in existing
        ]
    )
    if note and note.strip():
        Note.objects.create(program=program, case=case, author=actor, body=note.strip())
    audit_log(
        program=program,
        actor=actor,
        verb="case.triaged",
        obj=case,
        payload={
            "from": old,
            "status": case.status,
            "category": category,
            "priority": priority,
            "provisions": [p.pk for p in provisions],
            "facility": case.facility_id,
            "supplier": case.supplier_id,
        },
    )
    return case


def _eligible_member(program, user, roles=INTERNAL_ROLES):
    membership = Membership.objects.filter(user=user, program=program, is_active=True).first()
    if membership is None or membership.role not in roles:
        raise ValidationError({"investigator": "Choose an active member of this program."})
    return membership


def _grant_identity(user, case, with_identity):
    if with_identity:
        assign_perm(f"complaints.{PERM_IDENTITY}", user, case)
    else:
        remove_perm(f"complaints.{PERM_IDENTITY}", user, case)


@transaction.atomic
def case_assign(*, actor, case, investigator, with_identity=False):
    """Assign the case to a member (django-guardian grants: work on the case, and see the
    complainant's identity only if ``with_identity``; without it an identity grant the
    member held is withdrawn, so the grant always follows the flag). The previous
    assignee's grants are withdrawn."""
    require_member(actor, case.program, "case.manage", case)
    case = _lock(case)
    _require(_access(actor, case).manage)
    if not case.is_open:
        raise IllegalTransition("Only an open case can be assigned.")
    _eligible_member(
        case.program, investigator, {Role.ADMIN, Role.STAFF, Role.INVESTIGATOR, Role.AUDITOR}
    )
    previous = case.assigned_to
    if previous is not None and previous != investigator:
        remove_perm(f"complaints.{PERM_INVESTIGATE}", previous, case)
        remove_perm(f"complaints.{PERM_IDENTITY}", previous, case)
    assign_perm(f"complaints.{PERM_INVESTIGATE}", investigator, case)
    _grant_identity(investigator, case, with_identity)
    case.assigned_to = investigator
    case.save(update_fields=["assigned_to", "updated_at"])
    event = audit_log(
        program=case.program,
        actor=actor,
        verb="case.assigned",
        obj=case,
        payload={
            "to": investigator.pk,
            "from": previous.pk if previous else None,
            "identity": bool(with_identity),
        },
    )
    if investigator.email:
        notify(
            kind=NotificationKind.CASE_ASSIGNED,
            program=case.program,
            obj=case,
            # One mail per assignment (an assignee taken off and given the case back
            # hears of it again); the event's seq tells assignments apart.
            key=event.seq,
            recipients=[investigator],
            context={
                "program": case.program.name,
                "reference": case.reference,
                "priority": case.priority,
                "resolution_due": f"{case.resolution_due:%Y-%m-%d}",
            },
        )
    return case


@transaction.atomic
def case_share(*, actor, case, user, with_identity=False):
    """Share the case file with another member (e.g. an outside investigator holding an
    investigator or viewer membership). Identity only if ``with_identity``."""
    require_member(actor, case.program, "case.manage", case)
    case = _lock(case)
    _require(_access(actor, case).manage)
    _eligible_member(case.program, user)
    assign_perm(f"complaints.{PERM_INVESTIGATE}", user, case)
    _grant_identity(user, case, with_identity)
    audit_log(
        program=case.program,
        actor=actor,
        verb="case.shared",
        obj=case,
        payload={"with": user.pk, "identity": bool(with_identity)},
    )
    return case


@transaction.atomic
def case_unshare(*, actor, case, user):
    require_member(actor, case.program, "case.manage", case)
    case = _lock(case)
    _require(_access(actor, case).manage)
    if case.assigned_to_id == user.pk:
        raise DomainError("Assign the case to someone else first.")
    remove_perm(f"complaints.{PERM_INVESTIGATE}", user, case)
    remove_perm(f"complaints.{PERM_IDENTITY}", user, case)
    audit_log(
        program=case.program, actor=actor, verb="case.unshared", obj=case, payload={"with": user.pk}
    )
    return case
