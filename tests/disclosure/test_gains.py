"""The program's measurable gains as the audits app records them: CAP progress per
facility and over time, workers reached by education — on the page, in the open data
and in the API, through the policy."""

import csv
import datetime
import io

from django.utils import timezone

from audits import services as audit_services
from core.roles import Role

from .conftest import body_of


def _seed(a):
    auditor = a.user(Role.STAFF)  # staff manage every CAP
    items = [
        audit_services.cap_item_create(
            actor=auditor,
            program=a.program,
            facility=a.facility,
            observation=f"Confidential observation {i}: no shade at field {i}.",
            recommendation="Install shade structures and water stations.",
            responsible_party="Farm manager",
            deadline=timezone.localdate() + datetime.timedelta(days=30),
        )
        for i in range(2)
    ]
    audit_services.cap_item_transition(actor=auditor, item=items[0], status="reported_done")
    audit_services.cap_item_transition(actor=auditor, item=items[0], status="verified")
    audit_services.education_session_record(
        actor=a.user(Role.STAFF),
        program=a.program,
        facility=a.facility,
        date=timezone.localdate() - datetime.timedelta(days=1),
        language="es",
        educator="Educator Private-Name",
        attendance_count=60,
    )


def test_cap_progress_and_education_are_published(personas, client_for):
    a = personas.a
    _seed(a)
    client = client_for(None)

    page = body_of(client.get(f"/public/{a.slug}/"))
    assert "50%" in page  # the facility's CAP: one of two items verified
    assert "Confidential observation" not in page
    assert "Educator Private-Name" not in page

    rows = list(csv.DictReader(io.StringIO(body_of(client.get(f"/public/{a.slug}/suppliers.csv")))))
    farm = next(r for r in rows if r["facility_id"] == str(a.facility.pk))
    assert float(farm["cap_progress"]) == 0.5

    stats = client.get(f"/api/v1/public/{a.slug}/stats/").json()
    assert stats["cap_series"], "a CAP progress series is published"
    assert stats["cap_series"][-1]["rate"] == 0.5
    assert stats["education"]
    latest = stats["education"][-1]
    assert latest["workers_reached"] == 60
    assert latest["workforce"] == 120
    assert latest["share"] == 0.5
    # The chart tables carry the same numbers.
    assert 'data-table="cap"' in page and 'data-table="education"' in page
