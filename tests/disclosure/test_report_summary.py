"""The public report summarizes a large program (issue 16): counts per standing, the
suppliers not in good standing, and links to the open data for the full list, instead
of a table row per facility (216 s and 3.8 GB of worker memory at 20,000 facilities)."""

import datetime
import io

import pytest
from django.core.cache import cache
from pypdf import PdfReader

from disclosure import page_cache, reports, selectors
from enforcement.models import SupplierStanding
from tests.utils import count_queries

from .conftest import add_suppliers

pytestmark = pytest.mark.django_db


def _text(pdf):
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.split())


def _sanction(world, supplier, standing, stage, until=None):
    SupplierStanding.objects.create(
        program=world.program,
        supplier=supplier,
        standing=standing,
        stage=stage,
        suspended_until=until,
    )


def test_large_program_report_is_a_summary_with_the_sanctioned_and_open_data(personas, monkeypatch):
    a = personas.a
    made = add_suppliers(a, 6)
    _sanction(a, made[1], "suspended", 2, datetime.date(2026, 9, 30))
    _sanction(a, made[4], "terminated", 3)
    _sanction(a, made[2], "probation", 1)
    monkeypatch.setattr(reports, "FULL_LIST_MAX_FACILITIES", 3)

    version = selectors.data_version(a.program)
    context = reports.report_context(a.program, version)
    assert not context["full_list"] and context["suppliers"] == []
    counts = {code: n for code, _label, n in context["standing_counts"]}
    assert counts == {
        "good": 4,
        "probation": 1,
        "suspended": 1,
        "terminated": 1,
        "reinstatement_review": 0,
    }
    assert [s["name"] for s in context["sanctioned"]] == [
        made[1].legal_name,
        made[2].legal_name,
        made[4].legal_name,
    ]

    text = _text(reports.render_report_pdf(a.program, version))
    assert "Ranch 000" not in text and "Ranch 003" not in text  # no row per facility
    assert made[1].legal_name in text and "until Sept. 30, 2026" in text
    assert made[4].legal_name in text and made[0].legal_name not in text
    assert f"/{a.slug}/suppliers.csv" in text.replace(" ", "")

    # The summary's queries do not grow with the suppliers and facilities (both counted
    # with nothing cached).
    def cold():
        cache.clear()
        page_cache.forget_local()
        version = selectors.data_version(a.program)
        return count_queries(lambda: reports.report_context(a.program, version))[0]

    before = cold()
    add_suppliers(a, 20, start=100)
    assert cold() == before


def test_small_program_report_still_lists_every_facility(personas):
    a = personas.a
    add_suppliers(a, 3)
    version = selectors.data_version(a.program)
    text = _text(reports.render_report_pdf(a.program, version))
    assert "Ranch 000" in text and "Ranch 002" in text
    assert "Good standing" in text
