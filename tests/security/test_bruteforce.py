"""Brute force on the staff login: django-axes locks by username, stores no address,
and lets the right password in again after the cool-off."""

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.test import Client
from django.utils import timezone

from tests.conftest import PASSWORD, make_user

LOGIN = "/accounts/login/"
# Addresses the client claims; none of them may end up in the database.
CLIENT_META = {
    "REMOTE_ADDR": "203.0.113.7",
    "HTTP_X_FORWARDED_FOR": "198.51.100.23",
    "HTTP_X_REAL_IP": "198.51.100.24",
}


def _post(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password}, **CLIENT_META)


def _logged_in(client):
    return "_auth_user_id" in client.session


@pytest.fixture
def staff_user(db):
    return make_user("brute@example.org")


def _fail(client, username, times):
    for _ in range(times):
        response = _post(client, username, "wrong password")
        assert not _logged_in(client)
    return response


def test_lockout_engages_after_limit_and_refuses_right_password(staff_user):
    client = Client()
    limit = settings.AXES_FAILURE_LIMIT
    # Below the limit the right password still works...
    _fail(client, staff_user.username, limit - 1)
    assert AccessAttempt.objects.get(username=staff_user.username).failures_since_start == limit - 1
    # ...at the limit the username is locked.
    response = _fail(client, staff_user.username, 1)
    assert response.status_code == 429
    # Locked: the right password is refused too, from any client.
    fresh = Client()
    response = _post(fresh, staff_user.username, PASSWORD)
    assert response.status_code == 429
    assert not _logged_in(fresh)


def test_lockout_is_per_username_not_per_client(staff_user):
    other = make_user("bystander@example.org")
    client = Client()
    _fail(client, staff_user.username, settings.AXES_FAILURE_LIMIT)
    # The same browser may still log in as someone else: no IP-based lock exists.
    response = _post(client, other.username, PASSWORD)
    assert response.status_code == 302
    assert _logged_in(client)


def test_lockout_releases_after_cooloff(staff_user):
    cooloff = datetime.timedelta(hours=settings.AXES_COOLOFF_TIME)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _fail(Client(), staff_user.username, settings.AXES_FAILURE_LIMIT)
        assert _post(Client(), staff_user.username, PASSWORD).status_code == 429
    # Still locked just before the cool-off ends. Every attempt while locked counts as a
    # failure and restarts the cool-off (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT),
    # so guessing on through the lockout buys the attacker nothing.
    probe = start + cooloff - datetime.timedelta(seconds=30)
    with time_machine.travel(probe, tick=False):
        assert _post(Client(), staff_user.username, PASSWORD).status_code == 429
    # Past the original cool-off but within the one the probe restarted: still locked.
    later = start + cooloff + datetime.timedelta(seconds=30)
    with time_machine.travel(later, tick=False):
        assert _post(Client(), staff_user.username, PASSWORD).status_code == 429
    with time_machine.travel(later + cooloff + datetime.timedelta(seconds=30), tick=False):
        client = Client()
        response = _post(client, staff_user.username, PASSWORD)
        assert response.status_code == 302
        assert _logged_in(client)


def test_success_resets_failure_count(staff_user):
    client = Client()
    _fail(client, staff_user.username, settings.AXES_FAILURE_LIMIT - 1)
    assert _post(client, staff_user.username, PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username=staff_user.username).exists()
    # A fresh run of failures starts from zero again.
    _fail(Client(), staff_user.username, settings.AXES_FAILURE_LIMIT - 1)
    assert _post(Client(), staff_user.username, PASSWORD).status_code == 302


def test_no_address_or_secret_is_stored(staff_user):
    client = Client()
    _fail(client, staff_user.username, settings.AXES_FAILURE_LIMIT + 1)
    _post(Client(), "nobody@example.org", "guess")
    attempts = list(AccessAttempt.objects.all())
    assert attempts, "axes recorded no attempt: the lockout tests above would prove nothing"
    for row in attempts:
        assert row.ip_address is None
        assert "wrong password" not in row.post_data
        for addr in ("203.0.113.7", "198.51.100.23", "198.51.100.24"):
            assert addr not in row.post_data + row.get_data + row.user_agent
    # The per-failure log and the success log would each keep a row per request;
    # both are off, so no history of who tried when is kept beyond the counter.
    assert not AccessFailureLog.objects.exists()
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1), tick=False):
        good = Client()
        _post(good, staff_user.username, PASSWORD)
        assert _logged_in(good)
    # Successful logins are kept (who logged in when, for an insider investigation),
    # but without an address either.
    logins = list(AccessLog.objects.all())
    assert logins
    assert all(row.ip_address is None for row in logins)
