"""Helpers shared by the enforcement services."""

from django.utils import timezone

from core.actors import actor_label  # noqa: F401 (re-exported for the services)


def user_or_none(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def today():
    return timezone.localdate()
