"""Two-factor authentication: who must use it (core.mfa.mfa_required), enrolment that is
enforced before anything else is reachable, the code step at every login, recovery
codes. These tests run without the test-run bypass (marker ``mfa``)."""

import re
import time

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.mfa import mfa_required
from core.models import AuditEvent
from core.roles import Role
from enforcement.models import EnforcementSettings
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.mfa]


def totp_code(device, steps_ahead=0):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    totp.time = time.time() + steps_ahead * device.step
    return totp.token()


def password_login(user):
    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def enrol_totp(client):
    started = client.post("/accounts/mfa/totp/", {"action": "start"})
    assert started.status_code == 302, started.content
    page = client.get("/accounts/mfa/totp/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user_id=client.session["_auth_user_id"], confirmed=False)
    assert page.context["secret"] in page.content.decode()
    done = client.post("/accounts/mfa/totp/", {"code": f"{totp_code(device):06d}", "next": "/p/"})
    assert done.status_code == 200, done.content
    device.refresh_from_db()
    assert device.confirmed
    return device, done.context["new_codes"]


def test_who_must_use_a_second_factor(personas):
    a = personas.a
    assert mfa_required(a.user(Role.ADMIN))
    assert mfa_required(a.user(Role.STAFF))
    assert mfa_required(a.user(Role.INVESTIGATOR))
    for role in (Role.AUDITOR, Role.VIEWER, Role.BUYER_OFFICER):
        assert not mfa_required(a.user(role)), role
    assert not mfa_required(personas.outsider)
    # A program that lets auditors confirm violations makes them need it too.
    EnforcementSettings.objects.update_or_create(
        program=a.program, defaults={"confirm_roles": [Role.AUDITOR]}
    )
    assert mfa_required(a.user(Role.AUDITOR))
    assert not mfa_required(personas.b.user(Role.AUDITOR))


@pytest.mark.parametrize("role", [Role.ADMIN, Role.STAFF, Role.INVESTIGATOR])
def test_member_without_second_factor_reaches_only_enrolment(personas, role):
    a = personas.a
    client = password_login(a.user(role))
    for path in (
        f"/p/{a.slug}/",
        f"/p/{a.slug}/complaints/",
        "/p/",
        "/accounts/tokens/",
        "/accounts/sessions/",
        "/accounts/password_change/",
        "/buyer/",
        "/admin/",
    ):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/mfa/setup/"), path
    post = client.post(f"/p/{a.slug}/suppliers/new/", {"legal_name": "X", "country": "US"})
    assert post.status_code == 302 and post["Location"].startswith("/accounts/mfa/setup/")
    api = client.get(f"/api/v1/programs/{a.slug}/suppliers/")
    assert api.status_code == 403 and "Two-factor" in api.json()["detail"]
    # The public side and logging out still work.
    assert client.get(f"/public/{a.slug}/").status_code == 200
    assert client.get("/accounts/mfa/setup/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302


def test_enrol_totp_then_every_login_asks_for_the_code(personas):
    a = personas.a
    user = a.user(Role.STAFF)
    client = password_login(user)
    device, codes = enrol_totp(client)
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z0-9]{8}", c) for c in codes)
    assert client.get(f"/p/{a.slug}/").status_code == 200  # verified by enrolling
    verbs = set(AuditEvent.objects.filter(program=None, actor=user).values_list("verb", flat=True))
    assert {"mfa.totp_added", "mfa.recovery_codes_generated"} <= verbs

    client.post("/accounts/logout/")
    client = password_login(user)
    response = client.get(f"/p/{a.slug}/complaints/")
    assert response["Location"] == f"/accounts/mfa/verify/?next=%2Fp%2F{a.slug}%2Fcomplaints%2F"
    assert client.get(f"/api/v1/programs/{a.slug}/suppliers/").status_code == 403
    # Enrolled but not verified: adding another factor would bypass the one they have.
    assert client.get("/accounts/mfa/totp/")["Location"].startswith("/accounts/mfa/verify/")
    page = client.get(response["Location"])
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    wrong = client.post(response["Location"], {"code": "000000"})
    assert wrong.status_code == 200 and "not right" in wrong.content.decode()
    assert client.get(f"/p/{a.slug}/").status_code == 302
    # django-otp throttles a device after a failure: 1 s after one, doubling after each.
    time.sleep(1.1)
    # The code of the next time step (within the tolerance; the current one was used).
    ok = client.post(
        "/accounts/mfa/verify/",
        {"code": f"{totp_code(device, 1):06d}", "next": f"/p/{a.slug}/complaints/"},
    )
    assert ok.status_code == 302 and ok["Location"] == f"/p/{a.slug}/complaints/"
    assert client.get(f"/p/{a.slug}/complaints/").status_code == 200
    assert client.get(f"/api/v1/programs/{a.slug}/suppliers/").status_code == 200


def test_recovery_code_works_once(personas):
    user = personas.a.user(Role.ADMIN)
    client = password_login(user)
    _, codes = enrol_totp(client)
    client.post("/accounts/logout/")

    client = password_login(user)
    assert client.post("/accounts/mfa/verify/", {"code": codes[0]}).status_code == 302
    assert client.get(f"/p/{personas.a.slug}/").status_code == 200
    assert StaticToken.objects.filter(device__user=user).count() == 9
    client.post("/accounts/logout/")

    client = password_login(user)
    again = client.post("/accounts/mfa/verify/", {"code": codes[0]})
    assert again.status_code == 200 and "not right" in again.content.decode()
    assert client.get(f"/p/{personas.a.slug}/").status_code == 302


def test_open_redirect_after_the_code_is_refused(personas):
    user = personas.a.user(Role.STAFF)
    client = password_login(user)
    device, _ = enrol_totp(client)
    client.post("/accounts/logout/")
    client = password_login(user)
    response = client.post(
        "/accounts/mfa/verify/",
        {"code": f"{totp_code(device, 1):06d}", "next": "https://evil.example/"},
    )
    assert response["Location"] == "/p/"


def test_roles_that_need_no_second_factor_log_in_with_a_password(personas):
    a = personas.a
    assert password_login(a.user(Role.VIEWER)).get(f"/p/{a.slug}/").status_code == 200
    assert password_login(a.user(Role.BUYER_OFFICER)).get("/buyer/").status_code == 200


def test_a_member_promoted_mid_session_is_held_at_once(personas):
    from programs import services as program_services
    from programs.models import Membership

    a = personas.a
    viewer = a.user(Role.VIEWER)
    client = password_login(viewer)
    assert client.get(f"/p/{a.slug}/").status_code == 200
    program_services.membership_change(
        actor=a.user(Role.ADMIN),
        membership=Membership.objects.get(user=viewer, program=a.program),
        role=Role.STAFF,
    )
    assert client.get(f"/p/{a.slug}/")["Location"].startswith("/accounts/mfa/setup/")


def test_totp_setup_is_started_explicitly_audited_and_idempotent(personas):
    """Opening the page makes nothing (a GET changes nothing, and link prefetchers open
    pages); the start is a POST to a service, audited once, and a second start gives the
    same secret."""
    user = personas.a.user(Role.STAFF)
    client = password_login(user)
    page = client.get("/accounts/mfa/totp/")
    assert page.status_code == 200 and "secret" not in page.context
    assert not TOTPDevice.objects.filter(user=user).exists()
    client.post("/accounts/mfa/totp/", {"action": "start"})
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    client.post("/accounts/mfa/totp/", {"action": "start"})
    assert TOTPDevice.objects.get(user=user, confirmed=False).pk == device.pk
    assert client.get("/accounts/mfa/totp/").context["secret"]
    started = AuditEvent.objects.filter(verb="mfa.totp_setup_started", actor=user)
    assert started.count() == 1
