"""Who acts when no person does.

Services take ``actor=``: a user (a member acting through a page or the API) or one of
the actor types below. A bare string is no actor: ``core.authz`` refuses it, so a typo or
a value that came from a request can never pass for the system.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class SystemActor:
    """Tasks, beat jobs, management commands and setup code. Allowed every action (the
    code path, not a person, is what decides); the audit log records ``name``."""

    name: str
    is_authenticated = False
    is_system = True

    def __str__(self):
        return self.name

    def get_username(self):
        return self.name


@dataclass(frozen=True)
class PublicActor:
    """A member of the public on a public page (the anonymous complaint form). Allowed
    no workspace action; only the services built for the public accept it."""

    name: str = "anonymous"
    is_authenticated = False
    is_system = False

    def __str__(self):
        return self.name


PUBLIC = PublicActor()


def actor_label(actor) -> str:
    """What the audit log records as the actor's name."""
    if actor is None:
        return "system"
    if isinstance(actor, SystemActor | PublicActor):
        return actor.name
    if isinstance(actor, str):
        return actor
    if getattr(actor, "is_authenticated", False):
        return actor.get_username()
    return "anonymous"
