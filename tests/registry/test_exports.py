"""The facility list in Open Supply Hub's contribution format and the Transparency
Pledge's fields."""

import csv
import datetime
import io

import pytest

from programs import services as program_services
from registry import exports

pytestmark = pytest.mark.django_db

# The columns Open Supply Hub's list upload reads (its contribution template): the
# required three, and the optional ones this platform has data for.
OSHUB_REQUIRED = {"country", "name", "address"}
OSHUB_OPTIONAL = {
    "sector",
    "product_type",
    "facility_type",
    "processing_type",
    "number_of_workers",
    "parent_company",
    "lat",
    "lng",
    "os_id",
}


def _rows(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_oshub_contribution_csv_uses_only_oshub_columns(a, client_for):
    program_services.facility_update(
        actor=a.user("staff"), facility=a.facility, product_type="Tomatoes", os_id="US2021123ABCDEF"
    )
    rows = _rows(client_for(a.user("viewer")), f"/p/{a.slug}/registry/export/opensupplyhub.csv")
    assert OSHUB_REQUIRED <= set(rows[0]) <= OSHUB_REQUIRED | OSHUB_OPTIONAL
    row = next(r for r in rows if r["name"] == a.facility.name)
    assert row == {
        "country": "US",
        "name": a.facility.name,
        "address": a.facility.address,
        "sector": a.program.sector,
        "product_type": "Tomatoes",
        "number_of_workers": "120",
        "parent_company": a.supplier.legal_name,
        "lat": "26.4188",
        "lng": "-81.4173",
        "os_id": "US2021123ABCDEF",
    }
    assert all(r["country"] and r["name"] and r["address"] for r in rows)


def test_pledge_csv_has_the_pledge_fields_and_bands(a, client_for):
    rows = _rows(
        client_for(a.user("staff")), f"/p/{a.slug}/registry/export/transparency-pledge.csv"
    )
    assert list(rows[0]) == list(exports.PLEDGE_COLUMNS)
    row = next(r for r in rows if r["name"] == a.facility.name)
    assert row["parent_company"] == a.supplier.legal_name
    assert row["number_of_workers"] == "Less than 1000"


def test_closed_facilities_are_left_out_and_formulas_neutralised(a, client_for):
    staff = a.user("staff")
    program_services.facility_update(
        actor=staff, facility=a.facility, status="closed", status_date=datetime.date(2026, 1, 5)
    )
    program_services.facility_create(
        actor=staff,
        program=a.program,
        supplier=a.supplier,
        name="=HYPERLINK(1)",
        address="2 Road",
        country="US",
    )
    rows = _rows(client_for(staff), f"/p/{a.slug}/registry/export/opensupplyhub.csv")
    names = [r["name"] for r in rows]
    assert a.facility.name not in names
    assert "'=HYPERLINK(1)" in names


def test_other_programs_member_and_outsider_get_404(a, b, personas, client_for):
    from tests.conftest import make_user

    for user in (b.user("admin"), make_user("nobody@example.org")):
        response = client_for(user).get(f"/p/{a.slug}/registry/export/opensupplyhub.csv")
        assert response.status_code == 404


def test_public_open_data_validates_against_the_oshub_field_list(a, client_for):
    from tests.disclosure.conftest import body_of

    program_services.facility_update(
        actor=a.user("staff"), facility=a.facility, product_type="Tomatoes"
    )
    anonymous = client_for(None)
    response = anonymous.get(f"/public/{a.slug}/opensupplyhub.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(body_of(response))))
    assert rows, "the program's facilities are listed"
    # Only Open Supply Hub's columns, the three it requires filled on every row.
    assert OSHUB_REQUIRED <= set(rows[0]) <= OSHUB_REQUIRED | OSHUB_OPTIONAL
    assert all(r["country"] and r["name"] and r["address"] for r in rows)
    assert all(len(r["country"]) == 2 for r in rows)
    row = next(r for r in rows if r["name"] == a.facility.name)
    assert (row["parent_company"], row["product_type"], row["number_of_workers"]) == (
        a.supplier.legal_name,
        "Tomatoes",
        "120",
    )
    assert float(row["lat"]) == pytest.approx(26.4188)
    # The data page documents the file and states the licence.
    page = anonymous.get(f"/public/{a.slug}/data/").content.decode()
    assert "opensupplyhub.csv" in page
    assert "CC BY 4.0" in page and "creativecommons.org/licenses/by/4.0" in page
