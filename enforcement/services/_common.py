"""Helpers shared by the enforcement services."""

from django.utils import timezone

from core.errors import DomainError


def same_program(program, *objs):
    program_id = getattr(program, "pk", program)
    for obj in objs:
        if obj is not None and obj.program_id != program_id:
            raise DomainError("That record belongs to another program.")


def user_or_none(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def actor_label(actor):
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    if getattr(actor, "is_authenticated", False):
        return actor.get_username()
    return "anonymous"


def today():
    return timezone.localdate()
