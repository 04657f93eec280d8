"""No network address of a visitor is stored or logged: a complaint is filed, looked
up and replied to, and a staff login fails, all from a recognizable address; then every
text column of every table and every log line is searched for it."""

import logging

import pytest
from django.db import connection
from django.urls import reverse

from core.logging import StripClientAddressFilter

ADDRESS = "198.51.100.77"
FORWARDED = "203.0.113.78"
META = {
    "REMOTE_ADDR": ADDRESS,
    "HTTP_X_FORWARDED_FOR": f"{FORWARDED}, {ADDRESS}",
    "HTTP_X_REAL_IP": FORWARDED,
    "HTTP_FORWARDED": f"for={FORWARDED}",
}


def _tables_containing(needle):
    hits = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(
                f'SELECT count(*) FROM "{table}" t WHERE row_to_json(t)::text LIKE %s',  # noqa: S608
                [f"%{needle}%"],
            )
            if cursor.fetchone()[0]:
                hits.append(table)
    return hits


@pytest.mark.django_db
def test_public_journey_and_failed_login_store_and_log_no_address(personas, client_for, caplog):
    a = personas.a
    caplog.set_level(logging.DEBUG)
    client = client_for(None)
    submit = client.post(
        reverse("complaints-public-api:submit", kwargs={"program": a.slug}),
        {
            "narrative": "The foreman threatened me for talking to the monitor.",
            "category": "retaliation",
            "facility": a.facility.pk,
            "language": "es",
        },
        **META,
    )
    assert submit.status_code == 201
    code = submit.json()["receipt_code"]
    status_url = reverse("complaints-public-api:status", kwargs={"program": a.slug})
    assert client.post(status_url, {"receipt_code": code}, **META).status_code == 200
    reply_url = reverse("complaints-public-api:reply", kwargs={"program": a.slug})
    assert (
        client.post(
            reply_url, {"receipt_code": code, "body": "He did it again."}, **META
        ).status_code
        == 201
    )
    # The HTML pages too, and a page that does not exist (logged as a warning).
    assert (
        client.get(reverse("disclosure:program", kwargs={"program": a.slug}), **META).status_code
        == 200
    )
    client.get(f"/public/{a.slug}/no-such-page/", **META)
    # A failed staff login (django-axes records it).
    client.post(
        "/accounts/login/", {"username": "admin@alpha.example.org", "password": "x"}, **META
    )

    # The search works (it finds what was stored) and finds no address.
    assert "complaints_case" in _tables_containing("threatened me for talking")
    assert _tables_containing(ADDRESS) == []
    assert _tables_containing(FORWARDED) == []
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert ADDRESS not in logged and FORWARDED not in logged


def test_log_filter_strips_address_from_request_records():
    class Request:
        META = dict(META)

    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "boom", (), None)
    record.request = Request()
    assert StripClientAddressFilter().filter(record) is True
    assert "REMOTE_ADDR" not in record.request.META
    assert "HTTP_X_FORWARDED_FOR" not in record.request.META
    assert "HTTP_X_REAL_IP" not in record.request.META
    assert "HTTP_FORWARDED" not in record.request.META
