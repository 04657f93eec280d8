"""The interface the disclosure app consumes: public statistics and the complaint log."""

import datetime

import pytest
import time_machine

from complaints import selectors, services
from complaints.models import Outcome
from core.roles import Role
from tests.utils import count_queries

from .conftest import assigned, submit, triaged

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)


def _resolve(world, case, days_after, at):
    with time_machine.travel(at + datetime.timedelta(days=days_after), tick=False):
        triaged(world, case)
        assigned(world, case)
        inv = world.user(Role.INVESTIGATOR)
        services.case_start_investigation(actor=inv, case=case)
        services.case_resolve(actor=inv, case=case, outcome=Outcome.NOT_SUBSTANTIATED)


def test_public_complaint_stats(personas):
    world = personas.a
    t_april = datetime.datetime(2026, 4, 2, tzinfo=datetime.UTC)
    t_may = datetime.datetime(2026, 5, 10, tzinfo=datetime.UTC)
    with time_machine.travel(t_april, tick=False):
        a, _ = submit(world, category="wages")  # normal: 60 days to resolve
        b, _ = submit(world, category="wages")
    with time_machine.travel(t_may, tick=False):
        c, _ = submit(world, category="violence")  # urgent: 14 days
    _resolve(world, a, 10, t_april)
    _resolve(world, c, 20, t_may)  # late
    submit(personas.b)  # another program: not counted
    with time_machine.travel(NOW, tick=False):
        queries, stats = count_queries(
            lambda: selectors.public_complaint_stats(program=world.program)
        )
    assert queries <= 4
    assert len(stats["monthly"]) == 12
    assert stats["monthly"][-1]["month"] == "2026-06"
    months = {m["month"]: m for m in stats["monthly"]}
    assert months["2026-04"] == {"month": "2026-04", "received": 2, "resolved": 1}
    assert months["2026-05"]["received"] == 1
    assert months["2026-05"]["resolved"] == 1
    assert stats["total_received"] == 3 and stats["total_resolved"] == 2
    assert stats["open_cases"] == 1
    assert stats["median_days_to_resolution"] == 15.0
    assert stats["share_resolved_within_deadline"] == 0.5


def test_stats_of_an_empty_program(personas):
    stats = selectors.public_complaint_stats(program=personas.b.program)
    assert stats["median_days_to_resolution"] is None
    assert stats["share_resolved_within_deadline"] is None
    assert stats["total_received"] == 0 and len(stats["monthly"]) == 12


def test_public_complaint_log_has_only_public_fields_and_constant_queries(personas):
    world = personas.a
    case, code = submit(world, identity={"name": "Rosa"}, facility_description="")
    described, _ = submit(world, facility=None, facility_description="Rancho de Pedro, km 4")
    queries, rows = count_queries(lambda: selectors.public_complaint_log(program=world.program))
    assert queries == 1
    for _ in range(10):
        submit(world)
    queries, rows = count_queries(lambda: selectors.public_complaint_log(program=world.program))
    assert queries == 1 and len(rows) == 12
    row = next(r for r in rows if r["reference"] == case.reference)
    assert set(row) == {"reference", "category", "facility", "received_month", "status", "outcome"}
    assert row["facility"] == world.facility.name
    assert row["category"] == "Health and safety" and row["status"] == "Received"
    text = str(rows)
    assert "Rosa" not in text and "Rancho de Pedro" not in text  # worker's words stay private
    assert code not in text and "No water" not in text
    assert next(r for r in rows if r["reference"] == described.reference)["facility"] == ""
