"""Open data: the files parse back, agree with the database, stream, carry validators,
and a program that is not public has no public URL at all."""

import csv
import io
import json

import pytest
from django.http import StreamingHttpResponse

from programs import services as program_services
from programs.models import Buyer, Facility, Supplier
from tests.utils import count_queries

from .conftest import SYSTEM, add_suppliers, body_of, public_urls


@pytest.fixture
def a(personas):
    add_suppliers(personas.a, 3)
    # A supplier without a facility, and a facility without coordinates.
    bare = program_services.supplier_create(
        actor=SYSTEM, program=personas.a.program, legal_name="Bare Supplier Co", country="MX"
    )
    program_services.facility_create(
        actor=SYSTEM,
        program=personas.a.program,
        supplier=personas.a.supplier,
        name="Unmapped Packhouse",
        address="Somewhere, FL",
        country="US",
        worker_count=7,
    )
    personas.a.bare_supplier = bare
    return personas.a


def _get(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response


def test_suppliers_csv_agrees_with_the_database(a, client_for):
    response = _get(client_for(None), f"/public/{a.slug}/suppliers.csv")
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body_of(response))))
    facilities = Facility.objects.filter(program=a.program)
    by_facility = {int(r["facility_id"]): r for r in rows if r["facility_id"]}
    assert set(by_facility) == set(facilities.values_list("pk", flat=True))
    for facility in facilities.select_related("supplier"):
        row = by_facility[facility.pk]
        assert row["facility_name"] == facility.name
        assert row["address"] == facility.address
        assert row["supplier_id"] == str(facility.supplier_id)
        assert row["supplier_name"] == facility.supplier.legal_name
        assert int(row["worker_count"]) == facility.worker_count
        assert row["os_id"] == facility.os_id
        if facility.latitude is None:
            assert row["latitude"] == row["longitude"] == ""
        else:
            assert float(row["latitude"]) == pytest.approx(float(facility.latitude))
            assert float(row["longitude"]) == pytest.approx(float(facility.longitude))
    # Every supplier appears, the one without a facility on a row of its own.
    assert {int(r["supplier_id"]) for r in rows} == set(
        Supplier.objects.filter(program=a.program).values_list("pk", flat=True)
    )
    bare = [r for r in rows if r["supplier_id"] == str(a.bare_supplier.pk)]
    assert len(bare) == 1 and bare[0]["facility_id"] == ""
    assert rows[0]["standing"] == "good" and rows[0]["escalation_stage"] == "0"
    # Nothing of program B.
    assert not any("Bravo" in r["supplier_name"] for r in rows)


def test_suppliers_json_agrees_with_the_database(a, client_for):
    response = _get(client_for(None), f"/public/{a.slug}/suppliers.json")
    data = json.loads(body_of(response))
    assert data["licence"] == "CC BY 4.0"
    assert data["schema"].endswith(f"/public/{a.slug}/data/")
    suppliers = {s["id"]: s for s in data["suppliers"]}
    assert set(suppliers) == set(
        Supplier.objects.filter(program=a.program).values_list("pk", flat=True)
    )
    main = suppliers[a.supplier.pk]
    assert main["name"] == a.supplier.legal_name
    assert main["buyer_count"] == 1  # Buyer One sources from it under an active agreement
    assert sorted(f["id"] for f in main["facilities"]) == sorted(
        a.supplier.facilities.values_list("pk", flat=True)
    )
    assert suppliers[a.bare_supplier.pk]["facilities"] == []


def test_geojson_is_valid_with_lon_lat_coordinates(a, client_for):
    response = _get(client_for(None), f"/public/{a.slug}/suppliers.geojson")
    assert response["Content-Type"] == "application/geo+json"
    data = json.loads(body_of(response))
    assert data["type"] == "FeatureCollection"
    features = {f["id"]: f for f in data["features"]}
    assert set(features) == set(
        Facility.objects.filter(program=a.program).values_list("pk", flat=True)
    )
    farm = features[a.facility.pk]
    assert farm["type"] == "Feature"
    assert farm["geometry"]["type"] == "Point"
    # RFC 7946: [longitude, latitude]. Immokalee is at 26.4188 N, 81.4173 W.
    assert farm["geometry"]["coordinates"] == [-81.4173, 26.4188]
    assert farm["properties"]["facility_name"] == a.facility.name
    assert "latitude" not in farm["properties"]
    unmapped = next(
        f for f in data["features"] if f["properties"]["facility_name"] == "Unmapped Packhouse"
    )
    assert unmapped["geometry"] is None


def test_buyers_csv_lists_buyers_with_a_signed_agreement(a, client_for):
    rows = list(
        csv.DictReader(io.StringIO(body_of(_get(client_for(None), f"/public/{a.slug}/buyers.csv"))))
    )
    # Buyer Two has no agreement: not a participating buyer yet.
    assert [r["name"] for r in rows] == [a.buyer.name]
    assert rows[0]["buyer_id"] == str(a.buyer.pk)
    assert rows[0]["agreement_since"] == "2025-07-01"
    assert rows[0]["agreement_status"] == "active"
    assert rows[0]["headquarters_country"] == "US"
    assert Buyer.objects.filter(program=a.program).count() == 2


def test_files_are_streamed_in_chunks(a, client_for):
    """The rows are read through server-side cursors in chunks: two queries (suppliers,
    facilities) whatever the chunk size, and a small chunk size still yields every row."""
    from disclosure import selectors

    total = Supplier.objects.filter(program=a.program).count()
    list(selectors.supplier_records(program=a.program))  # warm the per-version caches
    small, records = count_queries(
        lambda: list(selectors.supplier_records(program=a.program, chunk_size=2))
    )
    large, same = count_queries(
        lambda: list(selectors.supplier_records(program=a.program, chunk_size=500))
    )
    assert len(records) == total == 5
    assert records == same
    assert small == large
    response = client_for(None).get(f"/public/{a.slug}/suppliers.csv")
    assert response.streaming
    parts = list(response.streaming_content)
    assert len(parts) > 2  # header and rows are separate chunks, written as they come


def test_validators_and_not_modified(a, client_for):
    client = client_for(None)
    url = f"/public/{a.slug}/suppliers.csv"
    first = client.get(url)
    body_of(first)
    etag = first["ETag"]
    assert etag and first["Last-Modified"]
    assert 'rel="license"' in first["Link"] and "/data/" in first["Link"]
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    # A write (it appends an audit event) changes the version and the ETag.
    add_suppliers(a, 1, start=500)
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert "Grower 500 Inc" in body_of(changed)


def test_data_page_documents_every_column(a, client_for):
    from disclosure.policy import POLICY

    page = body_of(_get(client_for(None), f"/public/{a.slug}/data/"))
    assert "CC BY 4.0" in page
    assert "Open Supply Hub" in page
    for field in POLICY.facility_row_fields + POLICY.buyer_fields + POLICY.supplier_fields:
        assert f"<code>{field.name}</code>" in page


def test_private_program_has_no_public_url(personas, client_for):
    b = personas.b
    program_services.program_update(actor=SYSTEM, program=b.program, is_public=False)
    client = client_for(None)
    urls = public_urls(b.slug) + [f"/public/{b.slug}/report.pdf"]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert b.program.name not in body_of(client.get("/"))
    # A member of B gets no public page either: it is not public, whoever asks.
    assert client_for(b.user("admin")).get(f"/public/{b.slug}/").status_code == 404
    # Program A is unaffected.
    assert client.get(f"/public/{personas.a.slug}/").status_code == 200


def test_streamed_records_equal_the_page_records(a):
    """The streams build rows from plain values, the page from model instances: the
    records must be the same, facilities matched to the right supplier, in every case
    the merge could get wrong (neighbouring names, no facility, several facilities,
    filters)."""
    from disclosure import selectors

    add_suppliers(a, 3, start=20)
    add_suppliers(a, 2, start=40, with_facility=False)
    # Names are unique per program; a near twin sorts right beside its namesake.
    twin = program_services.supplier_create(
        actor=SYSTEM, program=a.program, legal_name="Grower 020 Inc.", country="MX"
    )
    for name in ("Zeta Ranch", "Alpha Ranch"):
        program_services.facility_create(
            actor=SYSTEM,
            program=a.program,
            supplier=twin,
            name=name,
            address="2 Road",
            country="MX",
            worker_count=5,
        )
    for filters in ({}, {"country": "mx"}, {"search": "Grower 02"}, {"standing": "good"}):
        version = selectors.data_version(a.program)
        standings = selectors.supplier_standings(program=a.program, version=version)
        caps = selectors.cap_by_facility(program=a.program, version=version)
        expected = selectors.supplier_page_records(
            selectors.public_suppliers(program=a.program, standings=standings, **filters),
            standings=standings,
            caps=caps,
        )
        streamed = list(selectors.supplier_records(program=a.program, chunk_size=2, **filters))
        assert streamed == expected, filters
        assert expected, filters
    everything = list(selectors.supplier_records(program=a.program, chunk_size=3))
    twins = [r for r in everything if r["name"].startswith("Grower 020 Inc")]
    assert len(twins) == 2
    mexican = next(r for r in twins if r["country"] == "MX")
    assert len(next(r for r in twins if r["country"] == "US")["facilities"]) == 1
    assert [f["name"] for f in mexican["facilities"]] == ["Alpha Ranch", "Zeta Ranch"]
