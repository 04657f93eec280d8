"""Helpers shared by the enforcement services."""

from django.utils import timezone

from wsr.actors import actor_label  # noqa: F401 (re-exported for the services)
from wsr.errors import DomainError


def same_program(program, *objs):
    program_id = getattr(program, "pk", program)
    for obj in objs:
        if obj is not None and obj.program_id != program_id:
            raise DomainError("That record belongs to another program.")


def user_or_none(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def today():
    return timezone.localdate()
