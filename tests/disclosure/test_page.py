"""The public program page: content, languages, filters, strict CSP, no cookies, cached
fragments invalidated by writes, and a query count independent of the supplier count."""

import datetime
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache

from programs import services as program_services
from tests.utils import assert_constant_queries, count_queries

from .conftest import SYSTEM, add_suppliers, body_of


@pytest.fixture
def a(personas):
    return personas.a


def test_page_shows_program_parties_and_code(a, client_for):
    response = client_for(None).get(f"/public/{a.slug}/")
    assert response.status_code == 200
    page = body_of(response)
    assert a.program.name in page
    assert a.program.worker_organization.replace("'", "&#x27;") in page
    # Buyers with a signed agreement, with country and start.
    assert a.buyer.name in page and "2025-07-01" in page
    assert a.other_buyer.name not in page  # no agreement: not participating
    # Suppliers and facilities with address, workers, standing, stage.
    assert a.supplier.legal_name in page
    assert a.facility.name in page and a.facility.address in page
    assert "Good standing" in page
    assert "0 · None" in page
    # The ratified code, the complaint form, the open data.
    assert "No forced labor" in page and "Free shade and water at every field." in page
    assert f'href="/public/{a.slug}/complaints/new/"' in page
    assert f'href="/public/{a.slug}/complaints/status/"' in page
    for name in ("suppliers.csv", "suppliers.json", "suppliers.geojson", "buyers.csv"):
        assert f"/public/{a.slug}/{name}" in page


def test_index_lists_public_programs(personas, client_for):
    page = body_of(client_for(None).get("/"))
    assert f'href="/public/{personas.a.slug}/"' in page
    assert f'href="/public/{personas.b.slug}/"' in page


def test_code_is_readable_in_the_programs_languages(a, client_for):
    draft = program_services.code_version_draft_create(actor=SYSTEM, code=a.code)
    provision = draft.provisions.get(number="1.1")
    program_services.provision_update(
        actor=SYSTEM,
        provision=provision,
        translations={
            "es": {"title": "Nada de trabajo forzoso", "text": "Nadie puede ser obligado."},
            "ht": {"title": "Pa gen travay fòse", "text": "Pèsonn pa ka fòse travay."},
        },
    )
    program_services.code_version_ratify(
        actor=a.user("admin"), version=draft, effective_date=datetime.date(2026, 3, 1)
    )
    client = client_for(None)
    spanish = body_of(client.get(f"/public/{a.slug}/?lang=es"))
    assert "Nada de trabajo forzoso" in spanish and "Nadie puede ser obligado." in spanish
    creole = body_of(client.get(f"/public/{a.slug}/?lang=ht"))
    assert "Pa gen travay fòse" in creole
    english = body_of(client.get(f"/public/{a.slug}/"))
    assert "No forced labor" in english and "Nada de trabajo forzoso" not in english
    # Untranslated provisions fall back to the original text.
    assert "Shade and water" in spanish
    # The active language (Accept-Language) chooses too.
    by_header = body_of(client.get(f"/public/{a.slug}/", HTTP_ACCEPT_LANGUAGE="es"))
    assert "Nada de trabajo forzoso" in by_header


def test_search_and_filters(a, client_for):
    add_suppliers(a, 3)
    add_suppliers(a, 1, start=50, country="MX")
    client = client_for(None)
    page = body_of(client.get(f"/public/{a.slug}/", {"q": "Ranch 001"}))
    assert "Grower 001 Inc" in page and "Grower 002 Inc" not in page
    page = body_of(client.get(f"/public/{a.slug}/", {"country": "MX"}))
    assert "Grower 050 Inc" in page and "Grower 001 Inc" not in page
    page = body_of(client.get(f"/public/{a.slug}/", {"standing": "good", "stage": "0"}))
    assert "Grower 001 Inc" in page
    # An unknown choice drops that filter only.
    page = body_of(client.get(f"/public/{a.slug}/", {"q": "Ranch 002", "country": "ZZ"}))
    assert "Grower 002 Inc" in page and "Grower 001 Inc" not in page
    page = body_of(client.get(f"/public/{a.slug}/", {"standing": "suspended"}))
    assert "Grower 001 Inc" not in page and "No supplier matches." in page


def test_strict_csp_and_no_inline_script(a, client_for):
    response = client_for(None).get(f"/public/{a.slug}/")
    csp = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "https://tile.openstreetmap.org" in re.search(r"img-src ([^;]*)", csp).group(1)
    page = body_of(response)
    scripts = re.findall(r"<script\b([^>]*)>", page)
    assert len(scripts) >= 4  # chart data + leaflet + chart.js + our script
    for attrs in scripts:
        assert "src=" in attrs or "nonce=" in attrs or 'type="application/json"' in attrs, attrs
    assert not re.search(r"\sstyle=", page)
    assert not re.search(r"\son[a-z]+=", page)
    assert 'id="disclosure-charts" type="application/json"' in page


def test_page_sets_no_cookie(a, client_for):
    client = client_for(None)
    for url in (f"/public/{a.slug}/", f"/public/{a.slug}/?lang=es", "/", f"/public/{a.slug}/data/"):
        response = client.get(url)
        assert set(response.cookies) <= {"csrftoken", "django_language"}, url
        assert "sessionid" not in response.cookies


def test_front_end_libraries_come_from_npm(a, client_for):
    page = body_of(client_for(None).get(f"/public/{a.slug}/"))
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="/static/([^"]+)"', page)
    assert "vendor/leaflet/dist/leaflet.js" in sources
    assert "vendor/chart.js/dist/chart.umd.min.js" in sources
    for path in sources:
        found = finders.find(path)
        assert found, f"static file {path} is not found (npm ci?)"
        if path.startswith("vendor/"):
            assert "/node_modules/" in str(found)


def test_query_count_is_constant_in_the_number_of_suppliers(a, client_for):
    client = client_for(None)

    def cold_get():
        cache.clear()  # compare uncached renders (fragments are cached per version)
        return client.get(f"/public/{a.slug}/")

    assert_constant_queries(cold_get, lambda n: add_suppliers(a, n, start=100))


def test_fragments_are_cached_and_writes_invalidate_them(a, client_for):
    client = client_for(None)
    url = f"/public/{a.slug}/"
    cold, _ = count_queries(lambda: client.get(url))
    warm, response = count_queries(lambda: client.get(url))
    assert warm < cold
    assert "Grower 900 Inc" not in body_of(response)
    add_suppliers(a, 1, start=900)
    page = body_of(client.get(url))
    assert "Grower 900 Inc" in page
    # The key figures fragment was recomputed: two suppliers now.
    assert re.search(r"<strong>2</strong>suppliers", page)
