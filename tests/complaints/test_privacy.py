"""No IP address stored or logged on the public side; the logging filter; cookies."""

import logging

import pytest
from django.test import Client
from django.urls import reverse

from core.logging import StripClientAddressFilter

pytestmark = pytest.mark.django_db


def test_public_views_never_see_the_client_address(personas, monkeypatch):
    seen = []
    from complaints import public_views

    original = public_views.IntakeView.get

    def spy(self, request, *args, **kwargs):
        seen.append(dict(request.META))
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(public_views.IntakeView, "get", spy)
    Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.7").get(
        reverse("complaints-public:new", kwargs={"program": personas.a.slug})
    )
    [meta] = seen
    assert "203.0.113.9" not in str(meta) and "198.51.100.7" not in str(meta)


def test_error_log_records_do_not_carry_the_address(personas):
    """Django logs 4xx/5xx with the request attached; the project filter strips it."""
    handler_filter = StripClientAddressFilter()
    records = []

    class Capture(logging.Handler):
        def emit(self, record):
            if handler_filter.filter(record):
                records.append(record)

    capture = Capture(level=logging.DEBUG)
    logger = logging.getLogger("django.request")
    logger.addHandler(capture)
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        client = Client(REMOTE_ADDR="203.0.113.9")
        client.get("/p/alpha/complaints/does-not-exist/")  # a staff 404, address present
        client.post(
            reverse("complaints-public:status", kwargs={"program": personas.a.slug}),
            {"receipt_code": "x"},
        )
    finally:
        logger.removeHandler(capture)
        logger.setLevel(old_level)
    assert records, "expected Django to log the 4xx responses"
    for record in records:
        formatted = logging.Formatter("%(message)s %(request)s").format(record)
        assert "203.0.113.9" not in formatted
        request = getattr(record, "request", None)
        assert "203.0.113.9" not in str(getattr(request, "META", {}))
