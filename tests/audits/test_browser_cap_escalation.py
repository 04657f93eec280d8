"""Issue 21 in a browser: an auditor cannot create a past-due CAP item; a termination
proposed by CAP escalation waits for approval and happens when a person holding the
confirm role approves it."""

import datetime

import pytest
import time_machine

from audits import services
from audits.models import CAPItem
from core.roles import Role
from enforcement.models import EscalationProposal, Standing, SupplierStanding

from .helpers import make_audit, make_cap_item
from .test_browser import login_with_session


def standing_of(world):
    return SupplierStanding.objects.filter(program=world.program, supplier=world.supplier).first()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_auditor_cannot_create_a_past_due_cap_item(browser_page, live_server, personas):
    a = personas.a
    make_audit(a)  # the auditor leads an audit of this facility: only the date is wrong
    page = browser_page
    login_with_session(page, live_server, a.user(Role.AUDITOR))
    page.goto(f"/p/{a.slug}/audits/caps/items/new/?facility={a.facility.pk}")
    page.select_option("select[name=facility]", str(a.facility.pk))
    page.fill("textarea[name=observation]", "No shade at field 4.")
    page.fill("textarea[name=recommendation]", "Install shade structures.")
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    page.fill("input[name=deadline]", yesterday.isoformat())
    page.fill("input[name=responsible_party]", "Farm manager")
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "deadline is in the past" in page.inner_text("main")
    assert not CAPItem.objects.filter(program=a.program).exists()

    # The same form with a date ahead is accepted.
    page.fill("input[name=deadline]", (yesterday + datetime.timedelta(days=31)).isoformat())
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert CAPItem.objects.filter(program=a.program).count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_termination_proposed_by_cap_escalation_waits_for_approval(
    browser_page, live_server, personas
):
    a = personas.a
    with time_machine.travel(datetime.datetime(2026, 1, 10, 12, tzinfo=datetime.UTC), tick=False):
        item = make_cap_item(a, deadline=datetime.date(2026, 2, 1))
    # 95 days late: the policy's thresholds call for stages 1, 2 and then 3 (termination).
    with time_machine.travel(datetime.datetime(2026, 5, 7, 12, tzinfo=datetime.UTC), tick=False):
        services.cap_items_mark_overdue(program=a.program)
    assert standing_of(a).stage == 2
    proposal = EscalationProposal.objects.get(program=a.program)

    page = browser_page
    # Staff see the proposal on the CAP and on the supplier's page, but may not decide.
    login_with_session(page, live_server, a.user(Role.STAFF))
    page.goto(f"/p/{a.slug}/audits/caps/{item.cap_id}/")
    assert "Escalation waiting for approval" in page.inner_text("main")
    page.click("text=Decide on the supplier's page")
    page.wait_for_load_state("networkidle")
    main = page.inner_text("main")
    assert "Escalations waiting for approval" in main and "Waiting for approval" in main
    assert page.locator("text=Record decision").count() == 0
    assert standing_of(a).standing != Standing.TERMINATED

    # The admin (the program's confirm role) approves with a reason.
    page.context.clear_cookies()
    login_with_session(page, live_server, a.user(Role.ADMIN))
    page.goto(f"/p/{a.slug}/enforcement/standings/{a.supplier.pk}/")
    page.check("input[name=decision][value=approve]")
    page.fill("textarea[name=reason]", "Three months without shade; the grower refused to meet.")
    page.click("text=Record decision")
    page.wait_for_load_state("networkidle")
    standing = standing_of(a)
    assert standing.stage == 3 and standing.standing == Standing.TERMINATED
    proposal.refresh_from_db()
    assert proposal.state == "approved"
    main = page.inner_text("main")
    assert "Approved by admin@alpha.example.org" in main
    assert "refused to meet" in main
