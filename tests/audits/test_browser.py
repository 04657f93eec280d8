"""An auditor records an audit with a finding and a CAP item, and sees them in the
facility's history."""

import datetime

import pytest
from django.conf import settings
from django.test import Client

from audits.models import Audit, CAPItem, Finding
from core.roles import Role
from tests.conftest import browser_login


def login_with_session(page, live_server, user):
    """Log in by handing the browser a real session cookie (quicker than the form,
    which the first test goes through)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_auditor_records_audit_finding_and_cap_item(browser_page, live_server, personas):
    a = personas.a
    page = browser_page
    auditor = a.user(Role.AUDITOR)
    browser_login(page, auditor)  # the real login form

    page.goto(f"/p/{a.slug}/audits/")
    page.click("text=Plan an audit")
    # The facility is a search picker (programs/pickers.py): its select holds only what a
    # search returned. Search for the farm as a person types, then choose it.
    search = page.locator("input[type=search]").first
    search.fill(a.facility.name[:8])
    page.wait_for_selector(
        f"select[name=facility] option[value='{a.facility.pk}']", state="attached"
    )
    page.select_option("select[name=facility]", str(a.facility.pk))
    page.select_option("select[name=audit_type]", "unannounced")
    page.fill("input[name=scheduled_date]", "2026-03-02")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    audit = Audit.objects.get(program=a.program)
    assert audit.lead_auditor_id == auditor.pk
    assert page.url.endswith(f"/p/{a.slug}/audits/{audit.pk}/")

    page.click("text=Edit fieldwork record")
    page.fill("input[name=workforce_size]", "120")
    page.fill("input[name=workers_interviewed]", "70")
    page.fill("input[name=management_interviewed]", "2")
    page.check("input[name=documents_reviewed][value='Payroll records']")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "58%" in page.inner_text("main")

    page.click("text=Record a finding")
    page.select_option("select[name=provision]", str(a.provision.pk))
    page.fill("textarea[name=facts]", "A crew leader holds workers' passports.")
    page.check("input[name=violation_candidate]")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    finding = Finding.objects.get(audit=audit)
    assert finding.violation_candidate

    page.click(f"text={a.provision.number} {a.provision.title}")
    page.click("text=Add a CAP item")
    page.fill("textarea[name=recommendation]", "Return all documents; dismiss the crew leader.")
    page.fill("input[name=deadline]", (datetime.date.today() + datetime.timedelta(30)).isoformat())
    page.fill("input[name=responsible_party]", "Grower owner")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    item = CAPItem.objects.get(finding=finding)
    assert item.observation == "A crew leader holds workers' passports."
    assert "Status history" in page.inner_text("main")

    page.goto(f"/p/{a.slug}/audits/{audit.pk}/")
    page.click(f"h1 >> text={a.facility.name}")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/facilities/{a.facility.pk}/history/")
    main = page.inner_text("main")
    assert "Unannounced" in main
    assert "No forced labor" in main
    assert "A crew leader holds workers' passports." in main
    assert "Open" in main


@pytest.mark.browser
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_report_page_polls_until_the_pdf_is_offered(
    browser_page, live_server, personas, celery_worker_real
):
    from .helpers import make_audit, make_finding

    a = personas.a
    audit = make_audit(a, workforce_size=40, workers_interviewed=30)
    make_finding(a, audit)
    page = browser_page
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    login_with_session(page, live_server, a.user(Role.STAFF))
    page.goto(f"/p/{a.slug}/audits/{audit.pk}/")
    page.click("text=Generate the audit report (PDF)")
    page.wait_for_url("**/reports/*/")
    assert page.evaluate("typeof htmx") == "object"  # the script loads under the CSP
    # htmx replaces the status block by itself once the worker has stored the file.
    page.wait_for_selector("#report-status >> text=Download", timeout=60_000)
    with page.expect_download() as info:
        page.click("#report-status a.btn")
    assert info.value.suggested_filename == f"audit-{audit.pk}-report.pdf"
    assert not [e for e in errors if "Content Security Policy" in e], errors
