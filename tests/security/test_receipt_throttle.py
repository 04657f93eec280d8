"""Receipt-code lookups are throttled per program (no client address exists to key on):
the throttle engages after the limit, refuses even the right code while engaged, leaves
other programs alone, and releases when the window passes. Same for the HTML page and
the API, and for the public complaint submission."""

import datetime
import random

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from complaints import services as complaint_services
from complaints.crypto import format_receipt_code
from complaints.throttle import lookup_rate
from core.actors import PUBLIC

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_buckets():
    cache.clear()  # our own Redis db (WSR_TEST_REDIS_BASE + 1)
    yield
    cache.clear()


def _file(world):
    case, code = complaint_services.complaint_submit(
        actor=PUBLIC,
        program=world.program,
        narrative="The supervisor holds our passports.",
        facility=world.facility,
    )
    return case, format_receipt_code(code)


def _wrong_code(rng):
    return "".join(str(rng.randrange(10)) for _ in range(16))


def _api(client, world, code):
    url = reverse("complaints-public-api:status", kwargs={"program": world.slug})
    return client.post(url, {"receipt_code": code}, content_type="application/json")


def _html(client, world, code):
    url = reverse("complaints-public:status", kwargs={"program": world.slug})
    return client.post(url, {"receipt_code": code})


def _window_start():
    """A moment at the start of a fresh fixed window, so the test never straddles two."""
    _, window = lookup_rate()
    now = timezone.now().timestamp()
    return datetime.datetime.fromtimestamp(
        (now // window + 1) * window + 1, tz=datetime.UTC
    ), window


@pytest.mark.parametrize("lookup", [_api, _html], ids=["api", "html"])
def test_lookup_throttle_engages_and_releases(lookup, personas, client_for):
    a, b = personas.a, personas.b
    case, code = _file(a)
    _, b_code = _file(b)
    limit, _ = lookup_rate()
    rng = random.Random(9)
    start, window = _window_start()
    with time_machine.travel(start, tick=False):
        client = client_for(None)
        assert lookup(client, a, code).status_code == 200
        for _ in range(limit - 1):
            assert lookup(client, a, _wrong_code(rng)).status_code == 404
        # Over the limit: refused, even with the right code, from a fresh client too.
        assert lookup(client, a, _wrong_code(rng)).status_code == 429
        assert lookup(client_for(None), a, code).status_code == 429
        # Another program's lookups are counted apart.
        assert lookup(client_for(None), b, b_code).status_code == 200
    with time_machine.travel(start + datetime.timedelta(seconds=window), tick=False):
        response = lookup(client_for(None), a, code)
        assert response.status_code == 200
        assert case.reference in response.content.decode()


def test_throttled_response_reveals_nothing(personas, client_for):
    a = personas.a
    _, code = _file(a)
    limit, _ = lookup_rate()
    start, _ = _window_start()
    with time_machine.travel(start, tick=False):
        client = client_for(None)
        for _ in range(limit):
            _api(client, a, "0000 0000 0000 0000")
        right = _api(client, a, code)
        wrong = _api(client, a, "1111 1111 1111 1111")
    assert right.status_code == wrong.status_code == 429
    assert right.json() == wrong.json()


def test_submission_throttle_engages_and_releases(personas, client_for, settings):
    a = personas.a
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], public_submit="3/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    url = reverse("complaints-public-api:submit", kwargs={"program": a.slug})
    data = {
        "narrative": "No water in the field.",
        "category": "health_safety",
        "facility": a.facility.pk,
        "language": "en",
    }
    start = datetime.datetime.fromtimestamp(
        (timezone.now().timestamp() // 60 + 1) * 60 + 1, tz=datetime.UTC
    )
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            assert client_for(None).post(url, data).status_code == 201
        assert client_for(None).post(url, data).status_code == 429
    with time_machine.travel(start + datetime.timedelta(minutes=1), tick=False):
        assert client_for(None).post(url, data).status_code == 201
