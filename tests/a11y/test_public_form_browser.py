"""The complaint form and its receipt on a phone, in Bengali (issue 17 items 3 and 4 and
the worker's receipt): the contact fields show only when the worker chooses to give a way
to be reached, nothing typed is lost, the category starts unchosen, and the receipt has
a copy button and opens the status page with the code."""

import os

import pytest

from complaints.models import Case
from tests.conftest import ARTIFACTS


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_contact_choice_and_receipt_on_a_phone(personas, browser_page):
    world = personas.a
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 800})
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"/public/{world.slug}/complaints/new/?lang=bn")

    assert page.locator("select[name=category]").input_value() == ""  # "Choose one…"
    phone = page.locator("input[name=contact_phone]")
    assert not phone.is_visible()  # anonymous by default, and nothing to fill in
    page.check("input[name=stay_anonymous][value=no]")
    assert phone.is_visible()
    phone.fill("+880 1711 000000")
    # Back to "anonymous" with a number typed: the number stays in view, and the server
    # asks rather than dropping it.
    page.check("input[name=stay_anonymous][value=yes]")
    assert phone.is_visible()
    page.select_option("select[name=category]", index=1)
    page.fill("input[name=facility_description]", "নদীর ধারের কারখানা")
    page.fill("textarea[name=narrative]", "আমাদের মজুরি আটকে রাখা হয়েছে।")
    with page.expect_navigation():
        page.locator("main form.form button[type=submit]").click()
    summary = page.locator("[data-error-summary]")
    assert summary.is_visible()
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    assert phone.input_value() == "+880 1711 000000"
    assert Case.objects.count() == 0
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(
        path=os.path.join(ARTIFACTS, "complaint-anonymity-asked-bn.png"), full_page=True
    )

    page.check("input[name=stay_anonymous][value=no]")
    with page.expect_navigation():
        page.locator("main form.form button[type=submit]").click()
    code = page.inner_text("#receipt-code").strip()
    case = Case.objects.get()
    assert not case.is_anonymous and case.language == "bn"

    copy = page.locator("button[data-copy-target=receipt-code]")
    assert copy.is_visible()
    copy.click()
    page.wait_for_function("document.getElementById('copy-status').textContent.length > 0")
    assert page.evaluate("navigator.clipboard.readText()") == code.replace(" ", "")
    page.screenshot(path=os.path.join(ARTIFACTS, "complaint-receipt-bn.png"), full_page=True)

    with page.expect_navigation():
        page.locator("main form[action$='/complaints/status/'] button").click()
    assert page.locator("#case-status").is_visible()
    assert page.locator("html").get_attribute("lang") == "bn"
    assert code.replace(" ", "") not in page.url  # the code never went into an address
