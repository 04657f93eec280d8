"""State changes the buyer portal itself owns (the obligation services are enforcement's:
``obligation_acknowledge`` and ``obligation_attest`` in ``enforcement.services``).

The notification preference lives in ``portal_notifications.portal_notifications_set``.
"""

from django.db import transaction
from rest_framework.authtoken.models import Token

from core.audit import audit_log
from core.errors import DomainError

from . import portal_selectors


@transaction.atomic
def portal_api_token_rotate(*, actor):
    """Issue the officer a new API token for /api/v1/buyer/ (the old one stops working at
    once). Only users with an active buyer_officer membership get one: the token reaches
    nothing but the portal's own buyer-scoped data plus what their memberships allow.
    Recorded on the platform audit chain without the key itself."""
    if not portal_selectors.officer_memberships(user=actor):
        raise DomainError("Only buyer compliance officers can create a portal API token.")
    replaced = Token.objects.filter(user=actor).delete()[0] > 0
    token = Token.objects.create(user=actor)
    audit_log(
        program=None,
        actor=actor,
        verb="buyer_portal.api_token_rotated",
        object_type="auth.user",
        object_id=str(actor.pk),
        payload={"replaced": replaced},
    )
    return token


@transaction.atomic
def portal_api_token_revoke(*, actor):
    deleted = Token.objects.filter(user=actor).delete()[0] > 0
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
