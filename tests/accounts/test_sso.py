"""Optional OpenID Connect single sign-on, against a small provider served from this
test on 127.0.0.1 (authorization code flow with PKCE, HS256-signed ID token)."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from django.test import Client

from core.roles import Role

pytestmark = pytest.mark.django_db

CLIENT_ID, CLIENT_SECRET = "wsr-test", "a-shared-secret-of-the-test-provider-0123456789"


class Provider:
    """What the provider will say about the next user who signs in."""

    def __init__(self):
        self.claims = {}
        self.nonce = None
        self.token_requests = []


@pytest.fixture
def provider(settings):
    state = Provider()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep the test output clean
            pass

        def _json(self, body):
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):  # token endpoint
            length = int(self.headers["Content-Length"])
            form = parse_qs(self.rfile.read(length).decode())
            state.token_requests.append(form)
            now = int(time.time())
            id_token = jwt.encode(
                {
                    "iss": "http://127.0.0.1",
                    "aud": CLIENT_ID,
                    "sub": "user-1",
                    "iat": now,
                    "exp": now + 300,
                    "nonce": state.nonce,
                    **state.claims,
                },
                CLIENT_SECRET,
                algorithm="HS256",
            )
            self._json({"id_token": id_token, "access_token": "at-1", "token_type": "Bearer"})

        def do_GET(self):  # userinfo endpoint
            self._json({"sub": "user-1", **state.claims})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    settings.OIDC_ENABLED = True
    settings.OIDC_PROVIDER_NAME = "Test Workers' Council SSO"
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_RP_SIGN_ALGO = "HS256"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{base}/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{base}/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{base}/userinfo"
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "accounts.oidc.OIDCBackend",
    ]
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def sign_in(provider, claims):
    client = Client()
    assert "Log in with Test Workers" in client.get("/accounts/login/").content.decode()
    start = client.get("/accounts/oidc/authenticate/")
    assert start.status_code == 302
    query = parse_qs(urlparse(start["Location"]).query)
    assert start["Location"].startswith(provider_base(provider))
    assert query["client_id"] == [CLIENT_ID] and query["code_challenge_method"] == ["S256"]
    provider.nonce = query["nonce"][0]
    provider.claims = claims
    done = client.get("/accounts/oidc/callback/", {"code": "code-1", "state": query["state"][0]})
    return client, done


def provider_base(provider):
    from django.conf import settings

    return settings.OIDC_OP_AUTHORIZATION_ENDPOINT


def test_existing_member_signs_in_with_the_provider(personas, provider):
    a = personas.a
    viewer = a.user(Role.VIEWER)
    client, done = sign_in(provider, {"email": viewer.email.upper(), "email_verified": True})
    assert done.status_code == 302
    assert client.get(f"/p/{a.slug}/").status_code == 200
    assert int(client.session["_auth_user_id"]) == viewer.pk
    assert provider.token_requests[0]["code_verifier"]  # PKCE


def test_unknown_or_unverified_address_gets_no_account(personas, provider):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.count()
    client, _ = sign_in(provider, {"email": "stranger@example.org", "email_verified": True})
    assert "_auth_user_id" not in client.session
    viewer = personas.a.user(Role.VIEWER)
    client, _ = sign_in(provider, {"email": viewer.email, "email_verified": False})
    assert "_auth_user_id" not in client.session
    assert get_user_model().objects.count() == users


def test_sso_is_off_by_default(db):
    client = Client()
    assert client.get("/accounts/oidc/authenticate/").status_code == 404
    assert client.get("/accounts/oidc/callback/").status_code == 404
    assert "Log in with" not in client.get("/accounts/login/").content.decode()
