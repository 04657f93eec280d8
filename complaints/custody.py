"""Identity custody: a program may require a second person's approval before a
complainant's identity is shown to anyone but its admins (as GlobaLeaks' custodian).

- ``ComplaintPolicy.identity_requires_custodian`` turns it on; the policy's
  ``identity_custodians`` are the members who decide (set by an admin).
- A member whose role or per-case grant allows the identity (complaints/access.py)
  asks with a reason; a custodian other than the requester approves or declines, with a
  reason. An approval lets the requester see that case's identity for
  ``APPROVAL_VALID``; each reveal is still its own audit event.
- Admins are not held by it: they see identities by role (docs/security.md, gap 5).

Request, decision and reveal are each an audit event in the program's chain.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from core.audit import audit_log
from core.authz import require_member
from core.errors import DomainError
from core.roles import ADMIN_ROLES, Role

from .models import ComplaintPolicy, IdentityRevealRequest, RevealStatus

APPROVAL_VALID = datetime.timedelta(days=7)


def _policy(program):
    return ComplaintPolicy.objects.filter(program=program).first()


def needs_approval(*, case, membership):
    """Whether this member must hold an approval to see ``case``'s identity."""
    if membership is None or membership.role in ADMIN_ROLES:
        return False
    policy = _policy(case.program_id if hasattr(case, "program_id") else case.program)
    return bool(policy and policy.identity_requires_custodian)


def live_approval(*, case, user):
    return (
        IdentityRevealRequest.objects.filter(
            program_id=case.program_id,
            case=case,
            requester=user,
            status=RevealStatus.APPROVED,
            decided_at__gt=timezone.now() - APPROVAL_VALID,
        )
        .order_by("-decided_at")
        .first()
    )


def custody_gate(user, program, case, membership):
    """core.authz's gate on "case.identity" (registered in ComplaintsConfig.ready): under
    custody, anyone but an admin needs a live approval for this case. Returns why it
    refuses, or None."""
    if not needs_approval(case=case, membership=membership):
        return None
    if live_approval(case=case, user=user) is None:
        return "A custodian must approve your request before you can see the identity."
    return None


def custodian_gate(user, program, obj, membership):
    """core.authz's gate on "identity_request.decide": the member is one of the
    program's custodians."""
    if membership is None or not _policy(program):
        return "Only a custodian of this program decides identity requests."
    if not _policy(program).identity_custodians.filter(pk=user.pk).exists():
        return "Only a custodian of this program decides identity requests."
    return None


def is_custodian(*, user, program):
    from .access import membership_of

    policy = _policy(program)
    if policy is None or membership_of(user, program) is None:
        return False
    return policy.identity_custodians.filter(pk=user.pk).exists()


@transaction.atomic
def identity_custody_set(*, actor, program, required, custodians):
    """An admin turns custody on or off and names the custodians (active internal
    members of the program; at least one when it is on)."""
    require_member(actor, program, "custody.set")
    from programs.models import Membership

    from .services import policy_for

    custodians = list(custodians)
    members = set(
        Membership.objects.filter(program=program, is_active=True, user__in=custodians)
        .exclude(role=Role.BUYER_OFFICER)
        .values_list("user_id", flat=True)
    )
    if any(u.pk not in members for u in custodians):
        raise DomainError("Custodians must be active members of this program.")
    if required and not custodians:
        raise DomainError("Name at least one custodian before requiring approval.")
    policy = policy_for(program)
    policy.identity_requires_custodian = bool(required)
    policy.save()
    policy.identity_custodians.set(custodians)
    audit_log(
        program=program,
        actor=actor,
        verb="complaints.identity_custody_set",
        obj=policy,
        payload={"required": bool(required), "custodians": sorted(u.pk for u in custodians)},
    )
    return policy


@transaction.atomic
def identity_reveal_request(*, actor, case, reason):
    require_member(actor, case.program, "case.identity_request", case)
    from .access import membership_of
    from .services._common import _access

    reason = (reason or "").strip()
    if not _access(actor, case).identity:
        raise DomainError("You are not allowed to see the complainant's identity.", "forbidden")
    if not needs_approval(case=case, membership=membership_of(actor, case.program)):
        raise DomainError("No approval is needed: you may show the identity directly.")
    if not reason:
        raise DomainError("Say why you need to see who filed this complaint.")
    if IdentityRevealRequest.objects.filter(
        case=case, requester=actor, status=RevealStatus.PENDING
    ).exists():
        raise DomainError("Your request for this case is already waiting for a custodian.")
    request = IdentityRevealRequest.objects.create(
        program=case.program, case=case, requester=actor, reason=reason
    )
    audit_log(
        program=case.program,
        actor=actor,
        verb="case.identity_reveal_requested",
        obj=case,
        payload={"request": request.pk, "reason": reason},
    )
    return request


@transaction.atomic
def identity_reveal_decide(*, actor, request, approve, reason):
    """A custodian of the request's program, not the requester, decides a pending
    request. Locks the request row so two custodians cannot both decide it."""
    require_member(actor, request.program, "identity_request.decide")
    request = IdentityRevealRequest.objects.select_for_update().get(pk=request.pk)
    if request.requester_id == actor.pk:
        raise DomainError(
            "A second person must decide: you cannot approve your own request.", "forbidden"
        )
    if request.status != RevealStatus.PENDING:
        raise DomainError("This request was already decided.", "illegal_transition")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give a reason for the decision.")
    request.status = RevealStatus.APPROVED if approve else RevealStatus.DECLINED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_reason = reason
    request.save()
    audit_log(
        program=request.program,
        actor=actor,
        verb="case.identity_reveal_approved" if approve else "case.identity_reveal_declined",
        obj=request.case,
        payload={"request": request.pk, "requester": request.requester_id, "reason": reason},
    )
    return request


def custody_context(*, case, membership, user):
    """What the case page shows about custody to this member (no query when custody is
    off for them)."""
    if not needs_approval(case=case, membership=membership):
        return {"on": False}
    pending = IdentityRevealRequest.objects.filter(
        case=case, requester=user, status=RevealStatus.PENDING
    ).exists()
    return {"on": True, "approval": live_approval(case=case, user=user), "pending": pending}
