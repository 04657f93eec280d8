import pytest

from audits import demo, selectors
from audits.models import Audit, CAPItem, EducationSession

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent_and_builds_a_history(personas):
    a = personas.a
    demo.seed(program=a.program, members=a.members)
    counts = (
        Audit.objects.filter(program=a.program).count(),
        CAPItem.objects.filter(program=a.program).count(),
        EducationSession.objects.filter(program=a.program).count(),
    )
    assert counts == (1, 2, 1)
    demo.seed(program=a.program, members=a.members)
    assert Audit.objects.filter(program=a.program).count() == 1
    series = selectors.cap_progress_series(program=a.program, points=8)
    assert series[-1]["rate"] == 0.5 and series[0]["rate"] is None
