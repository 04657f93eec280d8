"""Corrective action plans: items, follow-ups, the overdue job and escalation."""

import logging

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.actors import SystemActor
from core.audit import audit_log, chain_lock
from core.authz import require_member
from core.errors import DomainError, check_transition
from core.roles import Role
from core.tenancy import same_program
from enforcement.services import escalation_advance
from programs.models import Facility, FacilityStatus

from ..models import (
    CAP_ITEM_TRANSITIONS,
    OVERDUE_FROM,
    CAPEscalationRequest,
    CAPItem,
    CAPItemComment,
    CAPItemStatus,
    CAPItemStatusChange,
    CorrectiveActionPlan,
    SourceKind,
)
from ._common import _member_role, _user_id
from .audits import policy_for

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- CAPs


def _cap_for(*, actor, program, facility, because=None):
    """The facility's CAP, opened (and the opening audited) if it has none.
    ``because``: what required it, recorded in the audit event (a sanction's ids)."""
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
            payload={"facility": facility.pk, **(because or {})},
        )
    return cap


@transaction.atomic
def caps_open_for_sanction(*, actor, sanction):
    """A sanction that requires a corrective action plan opens one: for the violation's
    facility, or, when the violation names none, for each active facility of the
    sanctioned supplier. A facility that already has its CAP keeps it (one per facility;
    the sanction's items go on it). Returns the CAPs; each opening is one audit event.

    Called by enforcement's ``consequences_apply`` (as its SystemActor) inside its
    transaction, after the chain lock it already holds (the lock order of core/audit.py).
    """
    require_member(actor, sanction.program, "cap_item.create")
    program = sanction.program
    violation = sanction.violation
    same_program(program, violation)
    if violation.facility_id:
        facilities = [violation.facility]
    else:
        facilities = list(
            Facility.objects.filter(
                program=program, supplier_id=sanction.supplier_id, status=FacilityStatus.ACTIVE
            ).order_by("pk")
        )
    because = {"sanction": sanction.pk, "violation": violation.pk}
    caps = []
    for facility in facilities:
        same_program(program, facility)
        caps.append(_cap_for(actor=actor, program=program, facility=facility, because=because))
    return caps


# Roles that manage every CAP of the program. An auditor may add items only to the CAP
# of a facility they audit. (The authorization module's can() takes this rule over at
# merge; until then it lives here, next to the service it guards.)
CAP_MANAGE_ROLES = frozenset({Role.ADMIN, Role.STAFF})


def _require_cap_creator(*, actor, program, facility, finding):
    if isinstance(actor, SystemActor):  # seeding, imports, jobs
        return
    from ..models import Audit, AuditUserObjectPermission

    role = _member_role(program, actor)
    if role in CAP_MANAGE_ROLES:
        return
    if role == Role.AUDITOR:
        audits = Audit.objects.filter(program=program, facility=facility)
        if finding is not None:
            audits = audits.filter(pk=finding.audit_id)
        if AuditUserObjectPermission.objects.filter(
            user_id=_user_id(actor), content_object__in=audits
        ).exists():
            return
    raise DomainError(
        "Only admins, staff or an auditor of this facility's audit may add CAP items.",
        code="forbidden",
    )


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
    finding, a complaint finding (``source_kind``/``source_ref``) or on its own.

    An item's deadline starts the overdue job and, through it, escalation up to
    termination: so only the roles that manage CAPs (admin, staff) or an auditor on the
    team of an audit of that facility may create one, and never with a deadline before
    today (as ``cap_item_update`` refuses for extensions)."""
    require_member(actor, program, "cap_item.create")
    if finding is not None:
        same_program(program, finding)
        facility = facility or finding.facility
        if finding.facility_id != facility.pk:
            raise DomainError("The finding is from another facility.")
        source_kind = source_kind or SourceKind.AUDIT_FINDING
        source_ref = source_ref or str(finding.pk)
    if facility is None:
        raise DomainError("A CAP item needs a facility.")
    same_program(program, facility)
    _require_cap_creator(actor=actor, program=program, facility=facility, finding=finding)
    if deadline is None or deadline < timezone.localdate():
        raise DomainError(
            "The deadline is in the past: the item would be overdue, and escalate, at once.",
            code="deadline_in_past",
        )
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
    require_member(actor, item.program, "cap_item.update", item)
    chain_lock(item.program_id)  # the lock order (core/audit.py): chain, then rows
    item = CAPItem.objects.select_for_update(no_key=True).get(
        pk=item.pk, program_id=item.program_id
    )
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
def cap_item_update(*, actor, item, reason="", **fields):
    """Change an item's terms. Locks the item.

    Moving the deadline needs a written ``reason`` (kept in the audit event: extensions
    decide when escalation starts) and cannot set it before today (a deadline in the
    past would make the overdue job escalate at once).
    """
    require_member(
        actor,
        item.program,
        "cap_item.deadline" if "deadline" in fields else "cap_item.update",
        item,
    )
    allowed = {"deadline", "planned_completion_date", "responsible_party", "recommendation"}
    chain_lock(item.program_id)  # the lock order (core/audit.py): chain, then rows
    item = CAPItem.objects.select_for_update(no_key=True).get(
        pk=item.pk, program_id=item.program_id
    )
    if item.status == CAPItemStatus.VERIFIED:
        raise DomainError("A verified item is closed.")
    changes = {}
    for key, value in fields.items():
        if key not in allowed:
            raise DomainError(f"'{key}' cannot be changed here.")
        if getattr(item, key) != value:
            changes[key] = [str(getattr(item, key)), str(value)]
            setattr(item, key, value)
    if "deadline" in changes:
        if item.deadline < timezone.localdate():
            raise DomainError("The new deadline is in the past.", code="deadline_in_past")
        if not (reason or "").strip():
            raise DomainError("Give a reason for changing the deadline.", code="reason_required")
    payload = dict(changes)
    if (reason or "").strip():
        payload["reason"] = reason.strip()
    reopened = "deadline" in changes and item.status == CAPItemStatus.OVERDUE
    if reopened:
        # An extension granted to an overdue item: it is back in progress (the overdue
        # job only moves items the other way), or it would go on counting as overdue.
        item.status = CAPItemStatus.IN_PROGRESS
        payload["status"] = [CAPItemStatus.OVERDUE, CAPItemStatus.IN_PROGRESS]
    item.full_clean()
    item.save()
    if reopened:
        CAPItemStatusChange.objects.create(
            program_id=item.program_id,
            item=item,
            facility_id=item.facility_id,
            from_status=CAPItemStatus.OVERDUE,
            to_status=CAPItemStatus.IN_PROGRESS,
            at=timezone.now(),
            actor=actor if _user_id(actor) else None,
            note="deadline extended",
        )
    audit_log(program=item.program, actor=actor, verb="cap_item.updated", obj=item, payload=payload)
    return item


@transaction.atomic
def cap_item_comment(*, actor, item, body):
    require_member(actor, item.program, "cap_item.update", item)
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


def cap_items_mark_overdue(*, program, today=None):
    """The beat job's work for one program; safe to run any number of times.

    1. Each item past its deadline and still open/in progress moves to ``overdue`` by a
       conditional UPDATE (``WHERE status IN (open, in_progress)``): only the run whose
       UPDATE matched writes the history row and the audit event.
    2. For every overdue item, each escalation threshold it has crossed becomes one
       ``CAPEscalationRequest`` (unique per item and threshold: a second insert is
       impossible).
    3. Unsent requests go to ``escalations_dispatch``, which raises the supplier to
       the stage the policy names (``escalation_advance`` with that target stage).

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
                actor=SystemActor("audits.overdue_job"),
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
                        actor=SystemActor("audits.overdue_job"),
                        verb="cap_item.escalation_requested",
                        object_type="audits.capitem",
                        object_id=str(pk),
                        payload={"days_overdue": threshold, "stage": stage, "request": obj.pk},
                    )
                    requested += 1
    return requested


# Namespace of the advisory lock serializing escalation of one supplier.
_ESCALATION_LOCK = 0x4341


def escalations_dispatch(*, program):
    """Send owed escalation requests to enforcement, oldest first.

    The policy names the stage an overdue item calls for, and that target stage (not
    "one more") is what enforcement is asked for: when the supplier already stands
    there (another item, or a violation, got it there, even a moment ago) the request is
    settled with no change. Many late items therefore never compound into termination
    on their own, and a stage that needs a person's approval (the program's
    ``approval_stages``) becomes a proposal. Each request is claimed
    with ``FOR UPDATE SKIP LOCKED`` and a per-supplier advisory lock, and marked sent in
    the transaction that calls ``escalation_advance``; enforcement is also idempotent
    per (source_kind, source_ref).
    """
    sent = 0
    ids = list(
        CAPEscalationRequest.objects.filter(program=program, sent_at__isnull=True)
        .order_by("requested_at", "days_overdue", "pk")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        with transaction.atomic():
            chain_lock(program.pk)  # the lock order (core/audit.py): chain, then rows
            req = (
                CAPEscalationRequest.objects.select_for_update(
                    skip_locked=True, no_key=True, of=("self",)
                )
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
            # The target stage goes to enforcement, which compares it with the stage
            # under the standing's row lock: nothing read here can be stale.
            result = escalation_advance(
                actor=SystemActor("audits.overdue_job"),
                program=program,
                supplier=req.supplier,
                facility=req.facility,
                reason=(
                    f"CAP item {req.item_id} is {req.days_overdue}+ days overdue "
                    f"(policy stage {req.stage}): {req.item.observation[:200]}"
                ),
                source_kind="cap_item",
                source_ref=f"{req.item_id}:{req.days_overdue}",
                to_stage=req.stage,
            )
            outcome = getattr(result, "outcome", "escalated")
            req.sent_at = timezone.now()
            if outcome == "unchanged":
                req.result_ref = f"already at stage {result.stage}"
            elif outcome == "proposed":
                req.result_ref = f"proposal {result.proposal.pk}"
            else:
                req.result_ref = str(getattr(result, "pk", result) or "")[:64]
            req.save(update_fields=["sent_at", "result_ref"])
            verb = {
                "unchanged": "cap_item.escalation_settled",
                "proposed": "cap_item.escalation_proposed",
            }.get(outcome, "cap_item.escalated")
            audit_log(
                program=program,
                actor=SystemActor("audits.overdue_job"),
                verb=verb,
                object_type="audits.capitem",
                object_id=str(req.item_id),
                payload={
                    "stage": req.stage,
                    "days_overdue": req.days_overdue,
                    "current_stage": result.stage,
                },
            )
            if outcome != "unchanged":
                sent += 1
    return sent
