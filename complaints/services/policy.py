"""The program's complaint policy (clocks, retention) and clock reminders."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from complaints.models import (
    DEFAULT_CLOCKS,
    Case,
    ComplaintPolicy,
)
from core import audit
from core.audit import audit_log
from core.authz import require_member
from core.errors import DomainError
from core.models import NotificationKind
from core.notifications import notify
from core.roles import MANAGE_ROLES, Role
from programs.models import Membership

from ._common import SYSTEM


@transaction.atomic
def complaint_policy_set(
    *,
    actor,
    program,
    clocks=None,
    identity_retention_days=None,
    retaliation_checkin_days=None,
    public_count_threshold=None,
):
    require_member(actor, program, "complaint_policy.set")
    membership = Membership.objects.filter(user=actor, program=program, is_active=True).first()
    if membership is None or membership.role not in MANAGE_ROLES:
        raise DomainError("Only admins and staff change the complaint policy.", "forbidden")
    audit.chain_lock(program.pk)  # the lock order (core/audit.py): chain, then rows
    policy, _ = ComplaintPolicy.objects.select_for_update(no_key=True).get_or_create(
        program=program
    )
    if clocks is not None:
        clean = {}
        for priority, values in clocks.items():
            if priority not in DEFAULT_CLOCKS:
                raise ValidationError({"clocks": f"Unknown priority '{priority}'."})
            clean[priority] = {}
            for key in ("ack_hours", "triage_hours", "resolution_days"):
                if key in values:
                    value = values[key]
                    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                        raise ValidationError(
                            {"clocks": f"{priority}.{key} must be a positive whole number."}
                        )
                    clean[priority][key] = value
        policy.clocks = clean
    if identity_retention_days is not None:
        if identity_retention_days < 1:
            raise ValidationError({"identity_retention_days": "At least one day."})
        policy.identity_retention_days = identity_retention_days
    if retaliation_checkin_days is not None:
        days = sorted(set(retaliation_checkin_days))
        if len(days) > 4 or any(
            not isinstance(d, int) or isinstance(d, bool) or not 1 <= d <= 730 for d in days
        ):
            raise ValidationError(
                {"retaliation_checkin_days": "Up to four days between 1 and 730, e.g. 30, 90."}
            )
        policy.retaliation_checkin_days = days
    if public_count_threshold is not None:
        if (
            not isinstance(public_count_threshold, int)
            or isinstance(public_count_threshold, bool)
            or not 1 <= public_count_threshold <= 50
        ):
            raise ValidationError(
                {"public_count_threshold": "A whole number from 1 (publish every count) to 50."}
            )
        policy.public_count_threshold = public_count_threshold
    policy.save()
    audit_log(
        program=program,
        actor=actor,
        verb="complaint_policy.set",
        obj=policy,
        payload={
            "clocks": policy.clocks,
            "identity_retention_days": policy.identity_retention_days,
            "retaliation_checkin_days": policy.retaliation_checkin_days,
            "public_count_threshold": policy.public_count_threshold,
        },
    )
    return policy


@transaction.atomic
def case_remind(*, case, cutoff, kinds):
    """Claim a reminder for an overdue case (conditional UPDATE: at most one per
    ``cutoff`` window whatever the redelivery); the mails are outbox rows written in
    this transaction. Returns True if a reminder was claimed."""
    now = timezone.now()
    audit.chain_lock(case.program_id)  # the lock order (core/audit.py): chain, then rows
    claimed = (
        Case.objects.filter(pk=case.pk)
        .filter(models_q_reminder(cutoff))
        .update(last_reminder_at=now)
    )
    if not claimed:
        return False
    audit_log(
        program=case.program,
        actor=SYSTEM,
        verb="case.reminder_sent",
        obj=case,
        payload={"overdue": sorted(kinds)},
    )
    _notify_overdue(case, sorted(kinds), now)
    return True


def models_q_reminder(cutoff):
    from django.db.models import Q

    return Q(last_reminder_at__isnull=True) | Q(last_reminder_at__lt=cutoff)


def _notify_overdue(case, kinds, claimed_at):
    """Outbox rows for the assignee and the program's admins and staff, in the claim's
    transaction (keyed by the claim's time: one per reminder, whatever the redelivery).
    No narrative or identity in mail: only the reference and what is overdue."""
    users = {
        m.user.pk: m.user
        for m in Membership.objects.filter(
            program_id=case.program_id, is_active=True, role__in=[Role.ADMIN, Role.STAFF]
        )
        .exclude(user__email="")
        .select_related("user")
    }
    if case.assigned_to_id and case.assigned_to.email:
        users.setdefault(case.assigned_to_id, case.assigned_to)
    notify(
        kind=NotificationKind.CASE_OVERDUE,
        program=case.program,
        obj=case,
        key=claimed_at.isoformat(),
        recipients=list(users.values()),
        context={
            "program": case.program.name,
            "reference": case.reference,
            "kinds": ", ".join(kinds),
            "priority": case.priority,
            "status": case.status,
        },
    )
