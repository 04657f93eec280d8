"""Response headers on every public route, inline scripts on every page, and HSTS under
the production settings.

The public routes are the ones tests/test_route_isolation.py declares public
(PUBLIC_NAMESPACES / PUBLIC_ROUTES): a route added there is checked here too.
"""

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from core.roles import Role
from tests.test_route_isolation import (
    PRIVATE_ROUTES,
    ROUTES,
    SELF_ROUTES,
    _is_public,
    load_samples,
)

PUBLIC = [r for r in ROUTES if _is_public(r[0])]
ALLOWED_COOKIES = {settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME}
REPO = Path(__file__).resolve().parents[2]


def _public_samples(personas):
    user = personas.a.user(Role.VIEWER)
    samples = {
        "password_reset_confirm": {
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    }
    samples.update(load_samples(personas.a))
    return samples


def _public_url(name, kwarg_names, personas, samples):
    kwargs = dict(samples.get(name, {}))
    if "program" in kwarg_names:
        kwargs["program"] = personas.a.slug
    missing = [k for k in kwarg_names if k not in kwargs]
    assert not missing, f"public route {name} needs sample arguments {missing}"
    return reverse(name, kwargs=kwargs)


def parse_csp(header):
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_strict_csp(response, url):
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{url}: no Content-Security-Policy"
    csp = parse_csp(header)
    script_src = csp.get("script-src", csp.get("default-src"))
    assert script_src, f"{url}: CSP without script-src/default-src: {header}"
    assert "'unsafe-inline'" not in script_src, f"{url}: script-src allows inline: {header}"
    assert "'unsafe-eval'" not in script_src, f"{url}: script-src allows eval: {header}"
    assert "*" not in script_src and "https:" not in script_src, f"{url}: {header}"
    assert csp.get("object-src") == ["'none'"], f"{url}: {header}"
    assert csp.get("frame-ancestors") == ["'none'"], f"{url}: {header}"
    return csp


def _header_problems(name, url, response):
    problems = []
    if response.status_code >= 500:
        return [f"{url}: {response.status_code}"]
    try:
        assert_strict_csp(response, url)
    except AssertionError as exc:
        problems.append(str(exc))
    expected = {
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    for header, value in expected.items():
        if response.headers.get(header) != value:
            problems.append(f"{url}: {header} is {response.headers.get(header)!r}")
    cache_control = response.headers.get("Cache-Control", "")
    if getattr(response, "shared_cacheable", False):
        # Only open data may be cached, and only briefly and revalidated.
        if not name.startswith(("disclosure:", "disclosure-api:")):
            problems.append(f"{url}: {name} is not open data but allows caching")
        elif "public" not in cache_control or "max-age=" not in cache_control:
            problems.append(f"{url}: open data Cache-Control is {cache_control!r}")
    elif "no-store" not in cache_control:
        problems.append(f"{url}: Cache-Control is {cache_control!r}")
    cookies = set(response.cookies)
    if name == "password_reset_confirm":
        # Django moves the reset token from the URL into the session (so it cannot leak
        # through a Referer) before showing the form: that one needs a session.
        cookies.discard(settings.SESSION_COOKIE_NAME)
    if not cookies <= ALLOWED_COOKIES:
        problems.append(f"{url} sets cookies {cookies - ALLOWED_COOKIES}")
    return problems


def test_public_route_headers(personas, client_for):
    """Every public route (one test, so the personas are built once): GET, and for
    POST-only endpoints (receipt-code lookups) an empty, invalid POST too."""
    samples = _public_samples(personas)
    problems, checked = [], 0
    for name, kwarg_names in PUBLIC:
        url = _public_url(name, kwarg_names, personas, samples)
        client = client_for(None)
        responses = [client.get(url, REMOTE_ADDR="203.0.113.9")]
        if responses[0].status_code == 405:
            responses.append(client.post(url, {}, REMOTE_ADDR="203.0.113.9"))
        for response in responses:
            problems += _header_problems(name, url, response)
            checked += 1
    assert checked >= len(PUBLIC)
    assert not problems, "\n".join(problems)


def test_public_page_drops_session_cookie_even_for_a_logged_in_visitor(personas, client_for):
    """A member who opens the public complaint form must not carry their session into it
    (the response may not refresh or set it), so the visit cannot be linked to them."""
    client = client_for(personas.a.user(Role.STAFF))
    response = client.get(reverse("disclosure:program", kwargs={"program": personas.a.slug}))
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies


class ScriptAudit(HTMLParser):
    """Collects inline scripts without a nonce, inline event handlers and style attributes
    (all blocked by the CSP, so each one is either an attack surface or a broken page)."""

    def __init__(self):
        super().__init__()
        self.problems = []
        self.nonces = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            if attrs.get("src"):
                pass
            elif attrs.get("type") in ("application/json", "application/ld+json"):
                pass  # data blocks are not executed
            elif not attrs.get("nonce"):
                self.problems.append(f"<script> without src or nonce at {self.getpos()}")
            else:
                self.nonces.add(attrs["nonce"])
        if tag == "style" and not attrs.get("nonce"):
            self.problems.append(f"<style> without nonce at {self.getpos()}")
        for attr in attrs:
            if attr.startswith("on"):
                self.problems.append(f"inline handler {attr}= on <{tag}> at {self.getpos()}")
            if attr == "style":
                self.problems.append(f"style= attribute on <{tag}> at {self.getpos()}")
        if tag == "a" and (attrs.get("href") or "").strip().lower().startswith("javascript:"):
            self.problems.append(f"javascript: link at {self.getpos()}")


def audit_html(response, url):
    if "text/html" not in response.headers.get("Content-Type", ""):
        return []
    audit = ScriptAudit()
    audit.feed(response.content.decode(response.charset or "utf-8", "replace"))
    problems = [f"{url}: {p}" for p in audit.problems]
    if audit.nonces:
        header = response.headers.get("Content-Security-Policy", "")
        for nonce in audit.nonces:
            if f"'nonce-{nonce}'" not in header:
                problems.append(f"{url}: script nonce {nonce} is not the CSP's nonce")
    return problems


# Known and reported: drf-spectacular's SpectacularSwaggerView renders an inline <script>
# and <style> and loads Swagger UI from a CDN, all of which the CSP blocks (the page is
# blank in a browser). Fix: SpectacularSwaggerSplitView + self-hosted assets
# (drf-spectacular-sidecar, SWAGGER_UI_DIST="SIDECAR"). Checked on its own below.
KNOWN_INLINE = {"api-docs"}


def test_public_pages_have_no_inline_script_without_nonce(personas, client_for):
    problems, checked = [], 0
    samples = _public_samples(personas)
    for name, kwarg_names in PUBLIC:
        if name in KNOWN_INLINE:
            continue
        url = _public_url(name, kwarg_names, personas, samples)
        response = client_for(None).get(url)
        if response.status_code == 200:
            checked += 1
            problems += audit_html(response, url)
    assert checked, "no public page rendered"
    assert not problems, "\n".join(problems)


def test_api_docs_page_has_no_inline_script(client_for):
    response = client_for(None).get(reverse("api-docs"))
    assert response.status_code == 200
    assert not audit_html(response, "/api/docs/")


def test_workspace_pages_have_no_inline_script_without_nonce(personas, client_for):
    """The same over every staff and buyer page, as the first member of program A that
    may open it (an investigator's case page is as exposed to injected script as the
    public form)."""
    samples = load_samples(personas.a)
    clients = {role: client_for(user) for role, user in personas.a.members.items()}
    problems, checked = [], 0
    for name, kwarg_names in PRIVATE_ROUTES + [(n, ()) for n in SELF_ROUTES]:
        kwargs = dict(samples.get(name, {}))
        if "program" in kwarg_names:
            kwargs["program"] = personas.a.slug
        if any(k not in kwargs for k in kwarg_names):
            continue  # the isolation test fails such a route already
        url = reverse(name, kwargs=kwargs)
        for client in clients.values():
            response = client.get(url)
            if response.status_code == 200:
                checked += 1
                problems += audit_html(response, url)
                break
    assert checked > 10, f"only {checked} pages rendered"
    assert not problems, "\n".join(problems)


HSTS_PROBE = """
import django
django.setup()
from django.test import Client
client = Client()
https = client.get("/healthz/", secure=True)
plain = client.get("/p/", secure=False)
print("HSTS=" + https.headers.get("Strict-Transport-Security", ""))
print("REDIRECT=%s %s" % (plain.status_code, plain.headers.get("Location", "")))
print("SESSION_SECURE=%s" % __import__("django.conf").conf.settings.SESSION_COOKIE_SECURE)
"""


def test_hsts_and_https_redirect_under_production_settings():
    """Production settings load in a fresh interpreter (they refuse to start without
    their secrets, so the probe provides throwaway ones)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "WSR_", "DATABASE_", "FIELD_", "RECEIPT_", "AUDIT_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY="x" * 64,
        DJANGO_ALLOWED_HOSTS="testserver",
        FIELD_ENCRYPTION_KEYS="hP2kV6bBDo4dTf3mR2PCHqP1GxgqVQpIYRzSxQ3ZKUo=",
        RECEIPT_CODE_HMAC_KEY="probe-key",
        AUDIT_CHECKPOINT_KEY="probe-checkpoint-key",
        DATABASE_URL="postgres:///nonexistent_never_connected",
    )
    result = subprocess.run(
        [sys.executable, "-c", HSTS_PROBE],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    hsts = out["HSTS"]
    max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))
    assert max_age >= 31536000, hsts
    assert "includeSubDomains" in hsts and "preload" in hsts, hsts
    status, location = out["REDIRECT"].split(" ", 1)
    assert status == "301" and location.startswith("https://"), out["REDIRECT"]
    assert out["SESSION_SECURE"] == "True"
