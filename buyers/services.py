"""State changes the buyer portal itself owns (the obligation services are enforcement's:
``obligation_acknowledge`` and ``obligation_attest`` in ``enforcement.services``).

The notification preference lives in ``notifications.portal_notifications_set``.
"""

from django.db import transaction

from core.audit import audit_log
from core.errors import DomainError
from core.models import ExportJobKind
from exports import jobs

from . import selectors, statement


def statement_job_start(*, actor, memberships, program_filter=""):
    """Queue the officer's obligations statement for ``memberships`` (all of theirs, or
    those of ``?program=``) as a background job; return the job. Not recorded in an
    audit chain: like the CSV of the same rows, it is a read of the officer's own data."""
    if not memberships:
        raise DomainError("Only buyer compliance officers can ask for a statement.")
    with transaction.atomic():
        return jobs.job_create(
            kind=ExportJobKind.OBLIGATIONS_STATEMENT,
            requested_by=actor,
            params={"pairs": statement.statement_pairs(memberships), "program": program_filter},
        )


@transaction.atomic
def portal_api_token_rotate(*, actor):
    """Issue the officer a new API token for /api/v1/buyer/ (the old one stops working at
    once). Only users with an active buyer_officer membership get one: the token reaches
    nothing but the portal's own buyer-scoped data plus what their memberships allow.
    Recorded on the platform audit chain without the key itself."""
    from accounts import services as account_services

    if not selectors.officer_memberships(user=actor):
        raise DomainError("Only buyer compliance officers can create a portal API token.")
    # The portal keeps one token per officer, named PORTAL_TOKEN_NAME (accounts.ApiToken:
    # stored hashed, expiring); other named tokens of the user are left alone.
    replaced = _revoke_portal_tokens(actor)
    _, secret = account_services.api_token_create(actor=actor, user=actor, name=PORTAL_TOKEN_NAME)
    audit_log(
        program=None,
        actor=actor,
        verb="buyer_portal.api_token_rotated",
        object_type="auth.user",
        object_id=str(actor.pk),
        payload={"replaced": replaced},
    )
    return secret


PORTAL_TOKEN_NAME = "Buyer portal"  # noqa: S105 - a name, not a secret


def _revoke_portal_tokens(user):
    from django.utils import timezone

    from accounts.models import ApiToken

    return (
        ApiToken.objects.filter(user=user, name=PORTAL_TOKEN_NAME, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        > 0
    )


@transaction.atomic
def portal_api_token_revoke(*, actor):
    deleted = _revoke_portal_tokens(actor)
    if deleted:
        audit_log(
            program=None,
            actor=actor,
            verb="buyer_portal.api_token_revoked",
            object_type="auth.user",
            object_id=str(actor.pk),
            payload={},
        )
    return deleted
