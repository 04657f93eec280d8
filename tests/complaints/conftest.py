import pytest
from django.core.cache import cache

from complaints import services
from core.actors import PUBLIC
from core.roles import Role
from programs.models import Category


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clean_throttle_buckets(settings):
    # Throttle buckets live in this run's own Redis database (WSR_TEST_REDIS_BASE).
    cache.clear()
    yield
    cache.clear()


def submit(world, **overrides):
    """File a complaint in ``world``'s program through the service; (case, code)."""
    data = {
        "actor": PUBLIC,
        "program": world.program,
        "narrative": "No water at the far field for three days.",
        "category": Category.HEALTH_SAFETY,
        "facility": world.facility,
        "occurred": "last week",
        "language": "es",
    }
    data.update(overrides)
    return services.complaint_submit(**data)


def triaged(world, case, **kw):
    staff = world.user(Role.STAFF)
    return services.case_triage(
        actor=staff,
        case=case,
        category=kw.get("category", case.category),
        priority=kw.get("priority", "normal"),
        provisions=kw.get("provisions", []),
        facility=world.facility,
    )


def assigned(world, case, user=None, with_identity=True):
    return services.case_assign(
        actor=world.user(Role.STAFF),
        case=case,
        investigator=user or world.user(Role.INVESTIGATOR),
        with_identity=with_identity,
    )


def investigating(world, case=None):
    case = case or submit(world)[0]
    triaged(world, case)
    assigned(world, case)
    return services.case_start_investigation(actor=world.user(Role.INVESTIGATOR), case=case)
