"""Issue 17, defect 7, in the browser: the officer finds the premium page empty, reports
a period by the form, then uploads a CSV: a file with an error shows the row and saves
nothing; the corrected file is saved, and the premium page shows what is owed."""

import os

import pytest

from core.roles import Role
from premiums.models import PurchaseReport
from tests.conftest import ARTIFACTS, browser_login


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_officer_reports_purchases_by_form_and_csv(personas, browser_page, tmp_path):
    a = personas.a
    page = browser_page
    browser_login(page, a.user(Role.BUYER_OFFICER))
    page.goto("/buyer/premium/")
    assert "No purchase reports yet" in page.inner_text("main")
    page.get_by_role("link", name="Report purchases").click()
    page.wait_for_url("**/buyer/premium/report/")

    page.select_option("select[name=supplier]", label=a.supplier.legal_name)
    page.fill("input[name=period_start]", "2026-01-01")
    page.fill("input[name=period_end]", "2026-01-31")
    page.fill("input[name=volume]", "10000")
    assert page.input_value("input[name=unit]") == "lb"
    page.fill("input[name=amount_paid]", "60")
    page.fill("input[name=paid_on]", "2026-02-10")
    page.get_by_role("button", name="Save the report").click()
    page.wait_for_url("**/buyer/premium/")
    main = page.inner_text("main")
    assert "Purchase report saved" in main and "10000" in main and "100.00" in main

    page.goto("/buyer/premium/report/")
    page.get_by_text("Upload a CSV file").click()
    bad = tmp_path / "feb.csv"
    bad.write_text(
        "supplier,period_start,period_end,volume,unit\n"
        f"{a.supplier.legal_name},2026-02-01,2026-02-28,abc,lb\n"
    )
    page.set_input_files("input[name=file]", str(bad))
    page.get_by_role("button", name="Upload").click()
    errors = page.locator("[data-testid=upload-errors]")
    assert "'abc' is not a number" in errors.inner_text()
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(
        path=os.path.join(ARTIFACTS, "buyer-report-csv-errors-phone.png"), full_page=True
    )
    page.set_viewport_size({"width": 1280, "height": 800})
    assert PurchaseReport.objects.count() == 1

    bad.write_text(
        "supplier,period_start,period_end,volume,unit\n"
        f"{a.supplier.legal_name},2026-02-01,2026-02-28,5000,lb\n"
    )
    page.set_input_files("input[name=file]", str(bad))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/buyer/premium/")
    assert "1 row saved" in page.inner_text("main")
    assert PurchaseReport.objects.filter(buyer=a.buyer).count() == 2
