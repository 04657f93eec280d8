"""Small-number suppression: a month's or a facility's count of complaints below the
program's threshold (default 5) is published as "fewer than 5", on the page, in the API
and in the report, so no worker is identifiable from the public figures."""

import pytest

from complaints import services
from core.roles import Role
from disclosure.policy import POLICY
from tests.complaints.conftest import submit

pytestmark = pytest.mark.django_db


def _stats(client, world):
    return client.get(f"/api/v1/public/{world.program.slug}/stats/").json()["complaints"]


def test_a_small_monthly_count_is_published_as_fewer_than_the_threshold(personas, client_for):
    world = personas.a
    for _ in range(3):
        submit(world)
    anonymous = client_for(None)
    stats = _stats(anonymous, world)
    assert stats["fewer_than"] == 5
    assert stats["monthly"][-1]["received"] is None  # 3 this month: suppressed
    assert stats["monthly"][0]["received"] == 0  # none is not a person
    page = anonymous.get(f"/public/{world.program.slug}/").content.decode()
    assert "fewer than 5" in page

    # Two more make five: published as is.
    submit(world)
    submit(world)
    assert _stats(anonymous, world)["monthly"][-1]["received"] == 5

    # The program may lower its threshold (1: every count).
    services.complaint_policy_set(
        actor=world.user(Role.ADMIN), program=world.program, public_count_threshold=1
    )
    submit(world)
    assert _stats(anonymous, world)["monthly"][-1]["received"] == 6


def test_a_facility_on_fewer_closed_log_entries_than_the_threshold_is_not_named():
    closed = {"status": "closed", "outcome": "substantiated", "category": "wages"}
    raw = [{**closed, "reference": f"C-2026-{i:05d}", "facility": "Big Farm"} for i in range(1, 6)]
    raw.append({**closed, "reference": "C-2026-00006", "facility": "Small Farm"})
    log = POLICY.complaint_log(raw, threshold=5)
    assert {row["facility"] for row in log} == {"Big Farm", None}
    assert POLICY.complaint_log(raw, threshold=1)[-1]["facility"] == "Small Farm"
    # No threshold given: the default, never "publish everything".
    assert POLICY.complaint_log(raw)[-1]["facility"] is None


def test_no_threshold_from_the_source_fails_closed():
    out = POLICY.complaint_stats({"monthly": [{"month": "2026-10", "received": 2, "resolved": 7}]})
    assert out["fewer_than"] == 5
    assert out["monthly"] == [{"month": "2026-10", "received": None, "resolved": 7}]


def test_the_threshold_is_checked(personas):
    from django.core.exceptions import ValidationError

    world = personas.a
    with pytest.raises(ValidationError):
        services.complaint_policy_set(
            actor=world.user(Role.ADMIN), program=world.program, public_count_threshold=0
        )


def test_the_policy_page_sets_the_threshold_and_the_checkin_days(personas, client_for):
    from complaints.models import ComplaintPolicy

    world = personas.a
    staff = client_for(world.user(Role.STAFF))
    url = f"/p/{world.program.slug}/complaints/policy/"
    page = staff.get(url)
    data = {k: v.initial for k, v in page.context["form"].fields.items()}
    assert data["public_count_threshold"] == 5 and data["retaliation_checkin_days"] == ""
    data.update({"public_count_threshold": 3, "retaliation_checkin_days": "90, 30"})
    assert staff.post(url, data).status_code == 302
    policy = ComplaintPolicy.objects.get(program=world.program)
    assert (policy.public_count_threshold, policy.retaliation_checkin_days) == (3, [30, 90])
    # Bad input: a clear error, nothing changes.
    bad = staff.post(url, {**data, "retaliation_checkin_days": "30, soon"})
    assert bad.status_code == 400 and b"whole numbers of days" in bad.content
    bad = staff.post(url, {**data, "retaliation_checkin_days": "0"})
    assert bad.status_code == 400
    policy.refresh_from_db()
    assert policy.retaliation_checkin_days == [30, 90]
