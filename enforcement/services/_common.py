"""Helpers shared by the enforcement services."""

from django.utils import timezone


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
