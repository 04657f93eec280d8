"""The shared PDF helper: renders real pages, and its fetcher serves only static files."""

import io

import pytest
from django.template import engines
from pypdf import PdfReader
from weasyprint.urls import FatalURLFetchingError

from core.pdf import PDFResourceRefused, StaticOnlyURLFetcher, render_pdf


def _pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_fetcher_refuses_external_url():
    fetcher = StaticOnlyURLFetcher()
    with pytest.raises(PDFResourceRefused, match="refuses https"):
        fetcher("https://example.com/tracker.png")
    with pytest.raises(PDFResourceRefused, match="refuses http"):
        fetcher("http://169.254.169.254/latest/meta-data/")


def test_fetcher_refuses_file_outside_static():
    fetcher = StaticOnlyURLFetcher()
    with pytest.raises(PDFResourceRefused, match="not a file in the static"):
        fetcher("file:///etc/passwd")
    # Path traversal through the static prefix is not a way out either.
    with pytest.raises(PDFResourceRefused):
        fetcher("file:///static/../../../../etc/passwd")
    with pytest.raises(PDFResourceRefused):
        fetcher("ftp://example.com/x")


def test_fetcher_serves_static_and_data_uris():
    fetcher = StaticOnlyURLFetcher()
    css = fetcher("file:///static/audits/pdf.css")
    assert b"@page" in css.read()
    css.close()
    data = fetcher("data:text/plain;base64,aGVsbG8=")
    assert data.read() == b"hello"
    data.close()


def test_render_refuses_external_image_in_document(settings, tmp_path):
    tpl = tmp_path / "evil.html"
    tpl.write_text('<html><body><p>x</p><img src="https://example.com/a.png"></body></html>')
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    engines._engines = {}  # settings changed: drop the cached engines
    try:
        # An ordinary Exception (WeasyPrint's own is a BaseException that callers'
        # ``except Exception`` would miss), naming the refusal.
        with pytest.raises(PDFResourceRefused, match="https") as excinfo:
            render_pdf("evil.html", {})
        assert isinstance(excinfo.value.__cause__, FatalURLFetchingError)
        tpl.write_text('<html><body><img src="file:///etc/passwd"><p>x</p></body></html>')
        with pytest.raises(PDFResourceRefused):
            render_pdf("evil.html", {})
    finally:
        engines._engines = {}


def test_render_pdf_produces_real_pages(settings, tmp_path):
    tpl = tmp_path / "two_pages.html"
    tpl.write_text(
        '{% extends "audits/pdf_base.html" %}{% block body %}<h1>{{ title }}</h1>'
        '<p>first page</p><h2 class="page-break">Second</h2><p>second page</p>'
        "{% endblock %}"
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    engines._engines = {}
    try:
        data = render_pdf("two_pages.html", {"title": "Hello <b>PDF</b>"})
    finally:
        engines._engines = {}
    assert data.startswith(b"%PDF-")
    pages, text = _pdf_text(data)
    assert pages == 2
    assert "Hello <b>PDF</b>" in text  # escaped, not markup
    assert "second page" in text
    assert "Page 2 of 2" in text  # the static stylesheet was loaded (its @page footer)
