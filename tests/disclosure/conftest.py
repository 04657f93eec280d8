"""Fixtures of the disclosure tests: growing a program, reading every public URL."""

import io

import pytest
from django.core.cache import cache
from django.urls import reverse

from core.actors import SystemActor
from disclosure import page_cache
from programs import services as program_services

SYSTEM = SystemActor("test-setup")

FILE_ROUTES = ("suppliers_csv", "suppliers_json", "suppliers_geojson", "buyers_csv")
PAGE_ROUTES = ("program", "data")
API_ROUTES = ("supplier-list", "facility-list", "buyer-list", "stats")


@pytest.fixture(autouse=True)
def _clean_cache():
    # Our own Redis db (WSR_TEST_REDIS_BASE): cached fragments of one test must not
    # answer for the next test's data (ids and audit seqs restart per test database).
    cache.clear()
    page_cache.forget_local()
    yield
    cache.clear()
    page_cache.forget_local()


def add_suppliers(world, n, *, start=0, country="US", with_facility=True):
    """``n`` more suppliers, each with one facility (through the services)."""
    program = world.program
    made = []
    for i in range(start, start + n):
        supplier = program_services.supplier_create(
            actor=SYSTEM, program=program, legal_name=f"Grower {i:03d} Inc", country=country
        )
        if with_facility:
            program_services.facility_create(
                actor=SYSTEM,
                program=program,
                supplier=supplier,
                name=f"Ranch {i:03d}",
                address=f"{i} County Road, Florida",
                country=country,
                latitude=f"{25 + (i % 50) / 10:.6f}",
                longitude=f"{-80 - (i % 40) / 10:.6f}",
                worker_count=10 + i,
                os_id=f"US2026{i:03d}TEST",
            )
        made.append(supplier)
    return made


def body_of(response):
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def public_urls(slug):
    """Every public URL of a program, with the code in each of its languages."""
    kw = {"program": slug}
    urls = [reverse(f"disclosure:{name}", kwargs=kw) for name in PAGE_ROUTES + FILE_ROUTES]
    urls += [f"/public/{slug}/?lang={lang}" for lang in ("es", "ht", "bn")]
    urls += [reverse(f"disclosure-api:{name}", kwargs=kw) for name in API_ROUTES]
    return urls


def report_text(program):
    """The public report, rendered as the Celery job renders it, as text."""
    from pypdf import PdfReader

    from disclosure import reports, selectors

    pdf = reports.render_report_pdf(program, selectors.data_version(program))
    # Whitespace normalized: table cells wrap long text over lines.
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.split())
