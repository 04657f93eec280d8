"""The public report: rendered by a real Celery worker (queue "reports"), served from the
cache until the data changes, with a "being prepared" answer in the meantime."""

import io

import pytest
from pypdf import PdfReader

from disclosure import reports, selectors
from tests.utils import wait_for

from .conftest import add_suppliers


def _pdf_text(content):
    # Whitespace normalized: table cells wrap long names over lines.
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.split())


def _wait_for(client, url, predicate):
    """Poll ``url`` until the worker has produced what ``predicate`` accepts."""

    def answer():
        response = client.get(url)
        return response if predicate(response) else None

    return wait_for(answer, f"{url} to be ready", timeout=90, interval=0.5)


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_report_is_rendered_by_the_worker_and_cached_until_data_changes(
    personas, client_for, celery_worker_real
):
    a = personas.a
    client = client_for(None)
    url = f"/public/{a.slug}/report.pdf"

    pending = client.get(url)
    assert pending.status_code == 202
    assert pending["Retry-After"]
    assert "being prepared" in pending.content.decode()
    assert 'http-equiv="refresh"' in pending.content.decode()

    ready = _wait_for(client, url, lambda r: r.status_code == 200)
    assert ready["Content-Type"] == "application/pdf"
    assert ready["X-Report-Current"] == "true"
    text = _pdf_text(ready.content)
    assert a.program.name in text
    assert a.supplier.legal_name in text and a.buyer.name in text
    first_version = ready["X-Report-Version"]

    # Unchanged data: the same stored report, nothing re-rendered.
    again = client.get(url)
    assert again.status_code == 200 and again.content == ready.content

    # A write changes the data version: the previous report is served (marked not
    # current) while the worker renders the new one, which then replaces it.
    add_suppliers(a, 1, start=700)
    stale = client.get(url)
    assert stale.status_code == 200
    if stale["X-Report-Current"] == "false":
        assert stale["X-Report-Version"] == first_version
    fresh = _wait_for(client, url, lambda r: r["X-Report-Current"] == "true")
    assert fresh["X-Report-Version"] != first_version
    assert "Grower 700 Inc" in _pdf_text(fresh.content)


def test_build_report_is_idempotent(personas):
    a = personas.a
    version = selectors.data_version(a.program)
    assert reports.build_report(a.program) == version.figures_key
    key, pdf = reports.stored_report(a.program)
    assert key == version.figures_key and pdf.startswith(b"%PDF")
    # A redelivered task finds the version stored and renders nothing.
    assert reports.build_report(a.program) == version.figures_key
    assert reports.stored_report(a.program)[1] == pdf


def test_render_is_enqueued_once_per_version(personas):
    a = personas.a
    version = selectors.data_version(a.program)
    from config.celery import app

    app.control.purge()
    try:
        assert reports.request_render(a.program, version) is True
        assert reports.request_render(a.program, version) is False
    finally:
        app.control.purge()
