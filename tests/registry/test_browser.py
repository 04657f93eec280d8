"""Staff import a supplier list in a real browser: the file has deliberate errors, the
preview shows them per row, a corrected file is uploaded, applied, and the report says
what was created. Screenshots of the pages at phone and desktop size go to
test-artifacts/ (looked at by the person who changes these pages)."""

import os

import pytest

from core.roles import Role
from programs.models import Facility
from tests.conftest import ARTIFACTS, browser_login

from .conftest import HEADER, csv_bytes

ROWS = [
    [
        "Dhaka Knit Ltd",
        "Dhaka Knit Unit 1",
        "12 Tongi Road, Gazipur",
        "BD",
        "23.9",
        "90.4",
        "1200",
        "Apparel",
        "",
        "",
    ],
    [
        "Dhaka Knit Ltd",
        "Dhaka Knit Unit 2",
        "14 Tongi Road, Gazipur",
        "XX",
        "",
        "",
        "300",
        "",
        "",
        "",
    ],
    [
        "Chittagong Denim",
        "Denim Mill",
        "Plot 7 EPZ, Chattogram",
        "BD",
        "123",
        "91.8",
        "many",
        "Denim",
        "",
        "",
    ],
]


def _shot(page, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    for label, size in (("desktop", (1280, 900)), ("phone", (390, 844))):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        page.screenshot(path=os.path.join(ARTIFACTS, f"import-{name}-{label}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_upload_with_errors_fix_and_apply(personas, browser_page, tmp_path):
    page = browser_page
    a = personas.a
    bad = tmp_path / "suppliers.csv"
    bad.write_bytes(csv_bytes([HEADER, *ROWS]))
    browser_login(page, a.user(Role.STAFF))

    page.click("nav >> text=Suppliers")
    page.click("text=Import from a file")
    _shot(page, "upload")
    page.set_input_files("input[name=file]", str(bad))
    page.click("button:has-text('Upload and check')")
    page.wait_for_selector("h1:has-text('Import: suppliers.csv')")

    # Each bad row says what is wrong with it; the good one is not among them.
    line3 = page.locator("tr[data-line='3']").inner_text()
    assert "“XX” is not a two-letter ISO country code" in line3
    line4 = page.locator("tr[data-line='4']").inner_text()
    assert "Latitude must be between -90 and 90" in line4
    assert "Number of workers “many”" in line4
    assert page.locator("tr[data-line='2']").count() == 0
    assert "2 rows with errors" in page.inner_text("main")
    _shot(page, "preview-errors")

    # Fix the file and upload it again.
    fixed = [r[:] for r in ROWS]
    fixed[1][3] = "BD"
    fixed[2][4], fixed[2][6] = "22.3", "2500"
    good = tmp_path / "suppliers-fixed.csv"
    good.write_bytes(csv_bytes([HEADER, *fixed]))
    page.click("text=← Imports")
    page.set_input_files("input[name=file]", str(good))
    page.click("button:has-text('Upload and check')")
    page.wait_for_selector("h1:has-text('Import: suppliers-fixed.csv')")
    assert "0 rows with errors" in page.inner_text("main")
    page.click("button:has-text('Apply 3 changes')")
    page.wait_for_selector("h2:has-text('Report')")
    report = page.inner_text("table.report")
    assert "Facilities created\t3" in report
    assert "Suppliers created\t2" in report
    _shot(page, "report")
    assert Facility.objects.filter(program=a.program, name="Denim Mill", worker_count=2500).exists()

    # The same file again: nothing to do, nothing asked.
    page.click("text=← Imports")
    page.set_input_files("input[name=file]", str(good))
    page.click("button:has-text('Upload and check')")
    page.wait_for_selector("h1:has-text('Import: suppliers-fixed.csv')")
    text = page.inner_text("main")
    assert "0 new facilities" in text and "3 unchanged" in text
    assert "0 possible matches to decide" in text
