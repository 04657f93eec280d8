"""Helpers shared by the audits services."""

import logging

from programs.models import Membership

log = logging.getLogger(__name__)


def _user_id(actor):
    return actor.pk if getattr(actor, "is_authenticated", False) else None


def _member_role(program, user):
    m = Membership.objects.filter(program=program, user=user, is_active=True).first()
    return m.role if m else None
