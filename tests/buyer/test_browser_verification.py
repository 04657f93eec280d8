"""Issue 17, defect 6, in the browser: the officer attests, the worker organization's
staff reject with a reason, the officer reads the reason and attests again, the staff
verify; only then is the obligation fulfilled."""

import os

import pytest

from core.roles import Role
from enforcement.models import ObligationState
from tests.conftest import ARTIFACTS, browser_login

from .helpers import make_obligation


def as_user(page, user):
    page.context.clear_cookies()
    browser_login(page, user)


def officer_attests(page, obligation, note):
    page.goto(f"/buyer/obligations/{obligation.pk}/")
    page.fill("textarea[name=note]", note)
    page.get_by_role("button", name="Attest fulfilment").click()
    page.wait_for_url(f"**/buyer/obligations/{obligation.pk}/")
    assert "worker organization will check it" in page.inner_text("main")
    assert page.locator("[data-testid=awaiting-verification]").count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_attest_reject_with_reason_attest_again_verify(personas, browser_page):
    a = personas.a
    obligation = make_obligation(a)
    officer, staff = a.user(Role.BUYER_OFFICER), a.user(Role.STAFF)
    page = browser_page
    detail = f"/p/{a.slug}/enforcement/obligations/{obligation.pk}/"

    as_user(page, officer)
    officer_attests(page, obligation, "Purchase orders put on hold.")
    obligation.refresh_from_db()
    assert obligation.state == ObligationState.ATTESTED

    # The staff find it in the queue of attestations to verify and reject it.
    as_user(page, staff)
    page.goto(f"/p/{a.slug}/enforcement/obligations/")
    page.get_by_role("link", name="attested, to verify").click()
    page.get_by_role("link", name=a.buyer.name).first.click()
    page.wait_for_url(f"**{detail}")
    assert "Attested, awaiting verification" in page.inner_text("[data-testid=obligation-state]")
    # The panels are closed until opened: no open forms on arrival.
    assert not page.locator("textarea[name=reason]").first.is_visible()
    page.get_by_text("Reject, with a reason for the buyer").click()
    page.locator("#id_reject-reason, textarea[name=reason]").first.fill(
        "The hold letter is not signed by the supplier."
    )
    page.get_by_role("button", name="Reject the attestation").click()
    page.wait_for_url(f"**{detail}")
    assert "Attestation rejected" in page.inner_text("main")
    obligation.refresh_from_db()
    assert obligation.state == ObligationState.ACKNOWLEDGED

    # The officer sees the reason, and attests again.
    as_user(page, officer)
    page.goto(f"/buyer/obligations/{obligation.pk}/")
    rejection = page.locator("[data-testid=rejection]")
    assert "not signed by the supplier" in rejection.inner_text()
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, "buyer-obligation-rejected.png"), full_page=True)
    officer_attests(page, obligation, "Signed hold letter attached.")
    assert page.locator("[data-testid=rejection]").count() == 0

    # The staff verify: only now is it fulfilled.
    as_user(page, staff)
    page.goto(detail)
    page.get_by_text("Verify: the obligation is fulfilled").click()
    page.get_by_role("button", name="Verify fulfilment").click()
    page.wait_for_url(f"**{detail}")
    assert "Fulfilled" in page.inner_text("[data-testid=obligation-state]")
    obligation.refresh_from_db()
    assert obligation.state == ObligationState.FULFILLED
    assert obligation.verified_by == staff
