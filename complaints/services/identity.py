"""The complainant's identity: reveal (audited), purge, key rotation."""

from django.db import transaction
from django.utils import timezone

from complaints import crypto
from complaints.models import (
    Case,
)
from core import audit
from core.audit import audit_log
from core.authz import require_member
from core.errors import DomainError

from ._common import _access


@transaction.atomic
def case_identity_reveal(*, actor, case, purpose="view"):
    """Decrypt the complainant's identity for an allowed member; every reveal is an
    audit event (even of an empty or purged identity)."""
    require_member(actor, case.program, "case.identity", case)
    from complaints import custody
    from complaints.access import membership_of

    case = Case.objects.get(pk=case.pk)
    if not _access(actor, case).identity:
        raise DomainError("You are not allowed to see the complainant's identity.", "forbidden")
    payload = {"purpose": purpose, "purged": case.identity_purged_at is not None}
    if custody.needs_approval(case=case, membership=membership_of(actor, case.program)):
        # require_member's custody gate let this through: the approval exists.
        payload["approved_request"] = custody.live_approval(case=case, user=actor).pk
    audit_log(
        program=case.program,
        actor=actor,
        verb="case.identity_revealed",
        obj=case,
        payload=payload,
    )
    return crypto.decrypt_identity(case.identity_ciphertext)


@transaction.atomic
def case_identity_purge(*, actor, case):
    """Erase the identity (retention job or on request). Idempotent by conditional update."""
    require_member(actor, case.program, "case.identity_purge")
    now = timezone.now()
    audit.chain_lock(case.program_id)  # the lock order (core/audit.py): chain, then rows
    updated = Case.objects.filter(pk=case.pk, identity_purged_at__isnull=True).update(
        identity_ciphertext="", identity_purged_at=now, updated_at=now
    )
    if updated:
        audit_log(program=case.program, actor=actor, verb="case.identity_purged", obj=case)
        # The worker's channel number goes too, after commit in a transaction of its own
        # (the contact row is locked before the chain elsewhere); the nightly retention
        # job erases any left behind.
        from complaints.channels.conversation import purge_contacts

        transaction.on_commit(lambda: purge_contacts([case.pk]))
    case.refresh_from_db()
    return case


@transaction.atomic
def identity_keys_rotate(*, actor, program):
    """Re-encrypt every stored identity of ``program`` with the first configured key."""
    require_member(actor, program, "identity_keys.rotate")
    count = 0
    audit.chain_lock(program.pk)  # the lock order (core/audit.py): chain, then rows
    for case in (
        Case.objects.select_for_update(no_key=True)
        .filter(program=program)
        .exclude(identity_ciphertext="")
    ):
        case.identity_ciphertext = crypto.rotate_token(case.identity_ciphertext)
        case.save(update_fields=["identity_ciphertext"])
        count += 1
    audit_log(
        program=program, actor=actor, verb="case.identity_keys_rotated", payload={"cases": count}
    )
    return count
