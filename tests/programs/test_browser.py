"""A staff member, in a real browser: log in, create a supplier with a facility, find it
in the lists."""

import pytest

from core.roles import Role
from tests.conftest import browser_login


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_creates_supplier_with_facility(personas, browser_page):
    page = browser_page
    a = personas.a
    browser_login(page, a.user(Role.STAFF))
    assert page.url.endswith(f"/p/{a.slug}/")  # one program: straight to its dashboard

    page.click("nav >> text=Suppliers")
    page.click("text=New supplier")
    page.fill("input[name=legal_name]", "Lakeside Tomato Growers")
    page.fill("input[name=country]", "us")
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Lakeside Tomato Growers')")
    assert "created" in page.inner_text(".messages")

    page.click("text=Add facility")
    # The supplier is preselected from the page we came from.
    assert page.input_value("select[name=supplier]") != ""
    page.fill("input[name=name]", "Lakeside Farm North")
    page.fill("input[name=address]", "400 County Road 29, Immokalee, FL")
    page.fill("input[name=country]", "US")
    page.fill("input[name=latitude]", "26.4500")
    page.fill("input[name=longitude]", "-81.4100")
    page.fill("input[name=worker_count]", "230")
    page.click("button[type=submit]")
    page.wait_for_selector("td:has-text('Lakeside Farm North')")

    page.click("nav >> text=Suppliers")
    page.fill("input[name=q]", "Lakeside")
    page.click("button:has-text('Filter')")
    row = page.locator("tr", has_text="Lakeside Tomato Growers")
    assert row.locator("td").nth(1).inner_text() == "US"
    assert row.locator("td").nth(2).inner_text() == "1"

    page.click("text=Facilities")
    assert page.locator("tr", has_text="Lakeside Farm North").count() == 1
    assert "230" in page.locator("tr", has_text="Lakeside Farm North").inner_text()
