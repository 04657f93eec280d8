"""Helpers shared by the audits services."""

import logging

from core.errors import DomainError
from programs.models import Membership

log = logging.getLogger(__name__)


def _same_program(program, *objs):
    for obj in objs:
        if obj is not None and obj.program_id != program.pk:
            raise DomainError("That record belongs to another program.")


def _user_id(actor):
    return actor.pk if getattr(actor, "is_authenticated", False) else None


def _member_role(program, user):
    m = Membership.objects.filter(program=program, user=user, is_active=True).first()
    return m.role if m else None
