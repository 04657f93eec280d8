"""Two-factor authentication in Debian's Chromium: enrolment is forced at the first
login, the code is asked at the next; and a passkey through Chromium's virtual
authenticator (DevTools' WebAuthn domain)."""

import base64
import time

import pytest
from django_otp.oath import TOTP
from django_otp_webauthn.models import WebAuthnCredential

from core.models import AuditEvent
from core.roles import Role
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.mfa, pytest.mark.django_db(transaction=True)]


def code_for(secret, steps_ahead=0):
    totp = TOTP(base64.b32decode(secret), 30, 0, 6)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def logout(page):
    page.click("header form button")  # the topbar's "Log out"
    page.wait_for_url("**/accounts/login/")


def test_totp_enrolment_is_forced_then_asked_at_every_login(personas, browser_page):
    page = browser_page
    world = personas.a
    browser_login(page, world.user(Role.STAFF))
    assert "/accounts/mfa/setup/" in page.url
    # Nothing else opens before enrolment.
    page.goto(f"/p/{world.slug}/complaints/")
    assert "/accounts/mfa/setup/" in page.url
    page.click("text=Use an authenticator app")
    secret = page.inner_text("#totp-secret")
    page.fill("input[name=code]", code_for(secret))
    page.click("button[type=submit]")
    assert len(page.locator("#recovery-codes li").all()) == 10
    page.click("text=Continue")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/p/{world.slug}/complaints/")

    logout(page)
    browser_login(page, world.user(Role.STAFF))
    assert "/accounts/mfa/verify/" in page.url
    page.goto(f"/p/{world.slug}/")
    assert "/accounts/mfa/verify/" in page.url
    page.fill("input[name=code]", code_for(secret, 1))  # the enrolment used this step's
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/p/{world.slug}/")
    assert page.locator("h1").first.is_visible()


def test_passkey_enrolment_and_login_with_a_virtual_authenticator(
    personas, browser_page, live_server, settings
):
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    page = browser_page
    world = personas.a
    admin = world.user(Role.ADMIN)
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    browser_login(page, admin)
    assert "/accounts/mfa/setup/" in page.url
    page.click("text=Use a passkey")
    page.click("#passkey-register-button")
    # Generous: two round trips and the authenticator's signature on a loaded machine.
    for _ in range(300):
        if WebAuthnCredential.objects.filter(user=admin, confirmed=True).exists():
            break
        page.wait_for_timeout(100)
    assert WebAuthnCredential.objects.filter(user=admin, confirmed=True).exists()
    page.goto(f"/p/{world.slug}/")
    assert page.url.endswith(f"/p/{world.slug}/")  # registering verified the session
    assert AuditEvent.objects.filter(program=None, actor=admin, verb="mfa.passkey_added").exists()

    logout(page)
    browser_login(page, admin)
    assert "/accounts/mfa/verify/" in page.url
    page.click("#passkey-verification-button")
    page.wait_for_url(f"**/p/{world.slug}/", timeout=30_000)
