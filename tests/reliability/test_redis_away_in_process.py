"""The fast half of the Redis outage probes (``make test``): the public complaint API,
the public form and the public program page answered in this process with the cache on
the test's own redis-server, stopped or hung (SIGSTOP). The slow half, through gunicorn
and a worker, is test_redis_outage.py (``make chaos``)."""

import logging
import time

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from complaints.models import Case
from core.audit import verify_chain

from .procs import COMPLAINT

# A cache call fails within its socket timeout (0.5 s), then the breaker skips Redis.
PROMPT = 10


@pytest.mark.parametrize("how", ["stopped", "hung"])
@pytest.mark.django_db
def test_public_intake_and_pages_answer_with_redis_away(personas, private_redis, how, caplog):
    a = personas.a
    client = Client()
    submit = f"/api/v1/public/{a.slug}/complaints/submit/"
    page = reverse("disclosure:program", kwargs={"program": a.slug})
    cache = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": private_redis.url(1),
            "KEY_PREFIX": "probe",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    with override_settings(CACHES=cache):
        assert client.get(page).status_code == 200
        if how == "stopped":
            private_redis.stop()
        else:
            private_redis.hang()
        caplog.set_level(logging.WARNING, logger="core.cache")
        t0 = time.monotonic()
        responses = [
            client.post(submit, COMPLAINT, content_type="application/json") for _ in range(5)
        ]
        pages = [client.get(page) for _ in range(2)]
        form = client.get(f"/public/{a.slug}/complaints/new/")
        seconds = time.monotonic() - t0
        if how == "hung":
            private_redis.resume()
    assert [r.status_code for r in responses] == [201] * 5
    codes = {r.json()["receipt_code"] for r in responses}
    assert len(codes) == 5 and all(codes)
    references = {r.json()["reference"] for r in responses}
    assert set(Case.objects.filter(program=a.program).values_list("reference", flat=True)) >= (
        references
    )
    assert Case.objects.filter(reference__in=references).count() == 5
    assert [p.status_code for p in pages] == [200, 200]
    assert a.program.name in pages[0].content.decode()
    assert form.status_code == 200
    assert seconds < PROMPT, f"{seconds:.1f} s for eight requests"
    assert "Redis unavailable" in caplog.text
    assert verify_chain(a.program.pk) is None
