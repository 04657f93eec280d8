"""What real programs publish about a facility: storeys and shared building (Accord),
product type and a worker-count band (Transparency Pledge), closed/moved with a date."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError

from programs import services
from programs.models import Facility, WorkerCountBand
from tests.disclosure.conftest import body_of

from .conftest import events

pytestmark = pytest.mark.django_db


def test_the_new_fields_are_saved_and_audited(a):
    staff = a.user("staff")
    services.facility_update(
        actor=staff,
        facility=a.facility,
        storeys=6,
        shared_building=True,
        product_type="Apparel",
        worker_count_band=WorkerCountBand.FROM_1001,
        status="moved",
        status_date=datetime.date(2026, 3, 1),
    )
    f = Facility.objects.get(pk=a.facility.pk)
    assert (f.storeys, f.shared_building, f.product_type) == (6, True, "Apparel")
    assert f.worker_band == "1001-5000"
    payload = events(a.program, "facility.updated").last().payload
    assert payload["status"] == ["active", "moved"]
    assert payload["status_date"] == [None, "2026-03-01"]


def test_closed_needs_its_date_and_active_has_none(a):
    staff = a.user("staff")
    with pytest.raises(ValidationError, match="closed or moved"):
        services.facility_update(actor=staff, facility=a.facility, status="closed")
    with pytest.raises(ValidationError, match="Only a closed or moved"):
        services.facility_update(
            actor=staff,
            facility=Facility.objects.get(pk=a.facility.pk),
            status_date=datetime.date(2026, 1, 1),
        )
    assert Facility.objects.get(pk=a.facility.pk).status == "active"


@pytest.mark.parametrize(
    ("count", "band"),
    [(0, ""), (1, "1-1000"), (1000, "1-1000"), (1001, "1001-5000"), (10001, "10001+")],
)
def test_the_band_follows_the_count_unless_recorded(count, band):
    assert WorkerCountBand.for_count(count) == band
    assert Facility(worker_count=count, worker_count_band="5001-10000").worker_band == (
        "5001-10000"
    )


def test_the_open_data_publishes_the_new_fields(a, client_for):
    services.facility_update(
        actor=a.user("staff"),
        facility=a.facility,
        storeys=3,
        shared_building=False,
        product_type="Tomatoes",
    )
    data = json.loads(body_of(client_for().get(f"/public/{a.slug}/suppliers.json")))
    facility = next(
        f for s in data["suppliers"] for f in s["facilities"] if f["id"] == a.facility.pk
    )
    assert facility["number_of_storeys"] == 3
    assert facility["shared_building"] is False
    assert facility["product_type"] == "Tomatoes"
    assert facility["worker_count_band"] == "1-1000"
    body = body_of(client_for().get(f"/public/{a.slug}/suppliers.csv"))
    header = body.splitlines()[0].split(",")
    assert {"number_of_storeys", "shared_building", "product_type", "worker_count_band"} <= set(
        header
    )


def test_the_api_takes_the_new_fields(a, client_for):
    client = client_for(a.user("staff"))
    response = client.patch(
        f"/api/v1/programs/{a.slug}/facilities/{a.facility.pk}/",
        {"status": "closed", "status_date": "2026-02-01", "storeys": 4},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["storeys"] == 4
    assert response.json()["status_date"] == "2026-02-01"
