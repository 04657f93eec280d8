"""The public page in Chromium: charts and map drawn under the strict CSP, the supplier
list filtered through the form, the chart tables holding the seeded figures."""

import os

import pytest
from django.utils import timezone

from complaints import services as complaint_services
from core.actors import PUBLIC
from enforcement import services as enforcement_services
from tests.conftest import ARTIFACTS

from .conftest import add_suppliers


@pytest.fixture
def seeded(personas):
    a = personas.a
    add_suppliers(a, 3)
    cases = [
        complaint_services.complaint_submit(
            actor=PUBLIC,
            program=a.program,
            narrative=f"Complaint number {i} about the crew boss.",
            category="wages",
            facility=a.facility,
        )[0]
        for i in range(3)
    ]
    complaint_services.case_resolve(
        actor=a.user("admin"), case=cases[0], outcome="withdrawn", summary=""
    )
    violation = enforcement_services.violation_propose(
        actor=a.user("investigator"),
        program=a.program,
        provision=a.provision,
        facility=a.facility,
        source_kind="manual",
        source_ref="browser-1",
        summary="Private facts of the case.",
    )
    enforcement_services.violation_confirm(actor=a.user("admin"), violation=violation)
    enforcement_services.consequences_apply(violation=violation)
    # The chart checks the monthly counts themselves: publish every count (small-number
    # suppression has its own tests, tests/disclosure/test_small_numbers.py).
    from complaints.models import ComplaintPolicy

    ComplaintPolicy.objects.update_or_create(
        program=a.program, defaults={"public_count_threshold": 1}
    )
    return a


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_public_page_in_a_browser(seeded, browser_page, live_server, settings):
    a = seeded
    # Tiles from the test server itself (404s, fast): no network in tests.
    settings.MAP_TILE_URL = live_server.url + "/static/no-tiles/{z}/{x}/{y}.png"
    page = browser_page
    csp_errors = []
    page.on(
        "console",
        lambda msg: (
            csp_errors.append(msg.text)
            if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text
            else None
        ),
    )
    page_errors = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))

    page.goto(f"/public/{a.slug}/")
    assert page.locator("h1").first.inner_text() == a.program.name

    # Charts drawn by our script from the json_script data, under the strict CSP.
    page.wait_for_selector("canvas[data-chart=complaints][data-drawn=true]")
    page.wait_for_selector("canvas[data-chart=violations][data-drawn=true]")
    # The map fetched the GeoJSON and placed a marker per located facility.
    page.wait_for_selector("#facility-map[data-markers]")
    assert page.locator("#facility-map").get_attribute("data-markers") == "4"
    assert page.locator("#facility-map .leaflet-interactive").count() == 4

    # The chart tables hold the seeded figures.
    month = timezone.now().strftime("%Y-%m")
    row = page.locator("table[data-table=complaints] tr", has_text=month)
    assert row.locator("td").all_inner_texts() == ["3", "1"]
    assert page.locator("[data-figure=total_received]").inner_text() == "3"
    assert page.locator("[data-figure=open_cases]").inner_text() == "2"
    violations = page.locator("table[data-table=violations] tr", has_text="Forced labor or debt")
    assert violations.locator("td").all_inner_texts() == ["1"]

    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, "disclosure-public-page.png"), full_page=True)

    # Filter the supplier list with the server-side form.
    rows = page.locator("#supplier-table tbody tr.supplier-row")
    assert rows.count() == 4
    page.fill("input[name=q]", "Ranch 001")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**q=Ranch+001**")
    assert rows.count() == 1
    assert "Grower 001 Inc" in rows.first.inner_text()
    assert "Grower 002 Inc" not in page.locator("#supplier-table").inner_text()
    page.screenshot(
        path=os.path.join(ARTIFACTS, "disclosure-public-page-filtered.png"), full_page=True
    )

    assert not csp_errors, csp_errors
    assert not page_errors, page_errors
