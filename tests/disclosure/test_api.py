"""The read-only public API: paginated, policy-shaped, validators, in the OpenAPI schema."""

import pytest
from django.core.cache import cache
from django.db.models import Sum

from disclosure.api import (
    PublicBuyerSerializer,
    PublicFacilityRowSerializer,
    PublicFacilitySerializer,
    PublicSupplierSerializer,
)
from disclosure.policy import POLICY
from programs.models import Facility
from tests.utils import assert_constant_queries

from .conftest import add_suppliers


@pytest.fixture
def a(personas):
    return personas.a


def api(slug, name):
    return f"/api/v1/public/{slug}/{name}/"


def test_lists_are_paginated(a, client_for):
    add_suppliers(a, 12)
    client = client_for(None)
    first = client.get(api(a.slug, "suppliers"), {"page_size": 5}).json()
    assert first["count"] == 13
    assert len(first["results"]) == 5
    assert first["next"] and "page=2" in first["next"]
    ids = [r["id"] for r in first["results"]]
    second = client.get(first["next"]).json()
    assert not set(ids) & {r["id"] for r in second["results"]}
    # Search and country filters.
    found = client.get(api(a.slug, "suppliers"), {"search": "Ranch 004"}).json()
    assert [r["name"] for r in found["results"]] == ["Grower 004 Inc"]
    facilities = client.get(api(a.slug, "facilities"), {"page_size": 500}).json()
    assert {r["facility_id"] for r in facilities["results"]} == set(
        Facility.objects.filter(program=a.program).values_list("pk", flat=True)
    )


def test_stats_agree_with_the_database(a, client_for):
    add_suppliers(a, 2)
    stats = client_for(None).get(api(a.slug, "stats")).json()
    workers = Facility.objects.filter(program=a.program).aggregate(n=Sum("worker_count"))["n"]
    assert stats["counts"] == {"buyers": 1, "suppliers": 3, "facilities": 3, "workers": workers}
    assert stats["licence"] == "CC BY 4.0"
    assert stats["complaints"]["total_received"] == 0
    assert stats["enforcement"]["confirmed_violations"] == 0


def test_read_only_and_anonymous(a, client_for):
    client = client_for(None)
    for name in ("suppliers", "facilities", "buyers", "stats"):
        assert client.get(api(a.slug, name)).status_code == 200
        assert client.post(api(a.slug, name), {}).status_code == 405
        assert client.delete(api(a.slug, name)).status_code == 405
    assert client.get(api("no-such-program", "suppliers")).status_code == 404


def test_etag_last_modified_and_304(a, client_for):
    client = client_for(None)
    url = api(a.slug, "suppliers")
    response = client.get(url)
    etag = response["ETag"]
    assert etag and response["Last-Modified"] and response["Cache-Control"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304
    # Another query string is another representation.
    assert client.get(url, {"page_size": 1}, HTTP_IF_NONE_MATCH=etag).status_code == 200
    add_suppliers(a, 1)
    fresh = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200 and fresh["ETag"] != etag


def test_serializers_declare_exactly_the_policy_fields():
    """The schema documents what the policy publishes, no more, no less."""
    assert set(PublicSupplierSerializer().fields) == {f.name for f in POLICY.supplier_fields}
    assert set(PublicFacilitySerializer().fields) == {f.name for f in POLICY.facility_fields}
    assert set(PublicFacilityRowSerializer().fields) == {f.name for f in POLICY.facility_row_fields}
    assert set(PublicBuyerSerializer().fields) == {f.name for f in POLICY.buyer_fields}


def test_endpoints_are_in_the_openapi_schema(db, client_for):
    response = client_for(None).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for name in ("suppliers", "facilities", "buyers", "stats"):
        path = f"/api/v1/public/{{program}}/{name}/"
        assert path in paths, path
        assert set(paths[path]) <= {"get", "parameters"}
    suppliers = paths["/api/v1/public/{program}/suppliers/"]["get"]
    assert {p["name"] for p in suppliers["parameters"]} >= {"page", "page_size", "search"}


def _cold_get(client, url):
    # Compare uncached requests: per-version caches would otherwise make the first
    # fetch of an unchanged version cheaper than the fetch after growing.
    cache.clear()
    return client.get(url)


def test_list_query_count_is_constant(a, client_for):
    client = client_for(None)
    for name in ("suppliers", "facilities"):
        assert_constant_queries(
            lambda name=name: _cold_get(client, api(a.slug, name)),
            lambda n, name=name: add_suppliers(a, n, start=100 if name == "suppliers" else 200),
        )


def test_answers_are_stored_per_version_and_query(a, client_for):
    from tests.utils import count_queries

    add_suppliers(a, 3)
    client = client_for(None)
    url = api(a.slug, "suppliers") + "?page_size=2&country=us"
    cold, first = count_queries(lambda: client.get(url))
    warm, second = count_queries(lambda: client.get(url))
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json() and warm < cold
    assert first.json()["next"].startswith("http://testserver/")
    # Absolute links follow the host that asked.
    mirrored = client.get(url, HTTP_HOST="mirror.example.org").json()
    assert mirrored["next"].startswith("http://mirror.example.org/")
    # A write is a new version: the new supplier is listed at once.
    add_suppliers(a, 1, start=300)
    names = [s["name"] for s in client.get(api(a.slug, "suppliers")).json()["results"]]
    assert "Grower 300 Inc" in names
    # Unknown parameters are answered but not stored: the second asking costs as much.
    odd = api(a.slug, "suppliers") + "?utm=1"
    once, response = count_queries(lambda: client.get(odd))
    twice, _ = count_queries(lambda: client.get(odd))
    assert response.status_code == 200 and once == twice
