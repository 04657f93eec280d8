"""Every URL pattern, HTML and API, against members of another program, an outsider and
an anonymous visitor.

Each app declares sample arguments for its routes in ``tests/<app>/route_samples.py``:

    def samples(world):   # world: ProgramWorld of program A (see conftest)
        return {"programs:supplier_detail": {"pk": world.supplier.pk}, ...}

Routes whose only argument is ``program`` need no entry. A route with other arguments
and no sample fails this test, so no endpoint escapes it. Public routes are on
``PUBLIC_NAMESPACES``/``PUBLIC_ROUTES`` below, on purpose and nowhere else.
"""

import importlib

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from core.roles import Role
from tests.conftest import Personas, build_world, make_user

# The mark makes pytest-django create the test database; each test then also runs in a
# transaction of its own, nested in the module's (see iso_world).
pytestmark = pytest.mark.django_db

APPS = [
    "programs",
    "complaints",
    "audits",
    "enforcement",
    "disclosure",
    "core",
    "exports",
    "buyer",
    "registry",
]

# Open to everyone by design (DESIGN.md §7): the public side and logging in.
PUBLIC_NAMESPACES = {
    "disclosure",
    "disclosure-api",
    "complaints-public",
    "complaints-public-api",
    # The worker channels' webhooks: open to the provider, signature-checked (unsigned
    # and replayed requests are refused: tests/complaints/channels/).
    "complaints-channels",
}
PUBLIC_ROUTES = {
    "healthz",
    "api-schema",
    "api-docs",
    "login",
    # Single sign-on's start and return (mozilla-django-oidc): a way to log in, open to
    # anyone like the login page; they answer 404 while OIDC_ENABLED is off.
    "oidc_authentication_init",
    "oidc_authentication_callback",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}
# Login-only, not program data: any authenticated user may open them (they show only
# the user's own things).
SELF_ROUTES = {"home", "password_change", "password_change_done"}
# The account's own second factors, API tokens and sessions (tests/accounts/ checks that
# one user cannot reach another's), and django-otp-webauthn's ceremony endpoints, which
# act only on the logged-in user's own credentials.
SELF_ROUTES |= {
    "accounts:mfa",
    "accounts:mfa_setup",
    "accounts:totp_setup",
    "accounts:passkey_setup",
    "accounts:mfa_verify",
    "accounts:api_tokens",
    "accounts:sessions",
    "otp_webauthn:credential-registration-begin",
    "otp_webauthn:credential-registration-complete",
    "otp_webauthn:credential-authentication-begin",
    "otp_webauthn:credential-authentication-complete",
    "otp_webauthn:js-i18n-catalog",
}
# Not program-scoped routes that are scoped to the user's buyer (tested the same way
# with buyer officers of program B as the "other" party).
BUYER_NAMESPACES = {"buyer", "buyer-api"}


def _walk(patterns, namespace=None, kwargs=()):
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "admin" or (p.app_name == "admin"):
                continue
            ns = p.namespace if p.namespace else None
            full_ns = ":".join(x for x in (namespace, ns) if x) or None
            yield from _walk(p.url_patterns, full_ns, (*kwargs, *_kwarg_names(p.pattern)))
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            yield name, (*kwargs, *_kwarg_names(p.pattern)), str(p.pattern)


def _kwarg_names(pattern):
    converters = getattr(pattern, "converters", None)
    if converters:
        return tuple(converters)
    regex = getattr(pattern, "regex", None)
    return tuple(regex.groupindex) if regex is not None else ()


def all_routes():
    routes = []
    for name, kwargs, raw in _walk(get_resolver().url_patterns):
        if raw.startswith("static/") or raw.startswith("^static"):
            continue
        routes.append((name, tuple(dict.fromkeys(kwargs))))
    return routes


def _namespace(name):
    return name.rsplit(":", 1)[0] if name and ":" in name else None


def _is_public(name):
    return name in PUBLIC_ROUTES or _namespace(name) in PUBLIC_NAMESPACES


def load_samples(world):
    samples = {}
    for app in APPS:
        try:
            module = importlib.import_module(f"tests.{app}.route_samples")
        except ModuleNotFoundError as exc:
            if exc.name not in (f"tests.{app}.route_samples", f"tests.{app}"):
                raise
            continue
        samples.update(module.samples(world))
    return samples


ROUTES = all_routes()
PRIVATE_ROUTES = [r for r in ROUTES if not _is_public(r[0]) and r[0] not in SELF_ROUTES]


def test_every_route_is_named():
    unnamed = [kwargs for name, kwargs in ROUTES if not name]
    assert not unnamed, "every URL pattern needs a name so the isolation test can reach it"


def _url(name, kwargs):
    return reverse(name, kwargs=kwargs)


def _denied(response):
    return response.status_code in (403, 404, 405)


def _anonymous_denied(response):
    if response.status_code in (401, 403, 405):
        return True
    return response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.fixture(scope="module")
def iso_world(django_db_setup, django_db_blocker):
    """Both programs and every app's sample objects, built ONCE for this module inside a
    transaction that is rolled back at the end (building them per route was most of the
    suite's run time). Each test runs in a savepoint of its own (``iso``)."""
    with django_db_blocker.unblock():
        from django.db import connection

        assert connection.settings_dict["NAME"].startswith("test"), connection.settings_dict["NAME"]
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            personas = Personas(
                a=build_world("alpha", "Alpha Fair Food"),
                b=build_world("bravo", "Bravo Garment Accord"),
                outsider=make_user("outsider@example.org"),
            )
            yield personas, load_samples(personas.a)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def iso(iso_world, django_db_blocker):
    """Undo whatever one route's requests wrote, so the next starts from the same world."""
    with django_db_blocker.unblock():
        sid = transaction.savepoint_create()
        try:
            yield iso_world
        finally:
            transaction.savepoint_rollback(sid)


@pytest.mark.parametrize("name,kwarg_names", PRIVATE_ROUTES, ids=[r[0] for r in PRIVATE_ROUTES])
def test_route_isolation(name, kwarg_names, iso, client_for):
    personas, samples = iso
    a, b = personas.a, personas.b
    object_kwargs = [k for k in kwarg_names if k != "program"]
    if object_kwargs:
        assert name in samples, (
            f"route {name} takes {object_kwargs}: add sample arguments for it in "
            f"tests/<app>/route_samples.py"
        )
    kwargs = dict(samples.get(name, {}))
    if "program" in kwarg_names:
        kwargs["program"] = a.slug
    url_a = _url(name, kwargs)

    # Anonymous: sent to log in, or 401/403 for the API.
    for method in ("get", "post"):
        response = getattr(client_for(None), method)(url_a)
        assert _anonymous_denied(response), (
            f"anonymous {method.upper()} {url_a}: {response.status_code}"
        )

    # The outsider and every member of program B are refused program A's data.
    others = [personas.outsider, *b.members.values()]
    for user in others:
        client = client_for(user)
        for method in ("get", "post"):
            response = getattr(client, method)(url_a)
            if _namespace(name) in BUYER_NAMESPACES and not object_kwargs:
                # /buyer/ lists show each officer their own buyer's data; no program A
                # object is in the URL. Covered by the portal's own tests.
                continue
            assert _denied(response), (
                f"{user} {method.upper()} {url_a}: {response.status_code} (expected 403/404)"
            )

    # A member of B, through B's own program URL, asking for A's objects: 404.
    if object_kwargs and "program" in kwarg_names:
        url_b = _url(name, {**kwargs, "program": b.slug})
        for role in (Role.ADMIN, Role.STAFF):
            client = client_for(b.user(role))
            for method in ("get", "post"):
                response = getattr(client, method)(url_b)
                assert _denied(response), (
                    f"{role} of B {method.upper()} {url_b} (A's object): {response.status_code}"
                )


@pytest.mark.parametrize("name,kwarg_names", PRIVATE_ROUTES, ids=[r[0] for r in PRIVATE_ROUTES])
def test_route_serves_own_members(name, kwarg_names, iso, client_for):
    """The positive control: some member of program A gets a non-error answer, so the
    denials above are not the route simply failing for everyone."""
    personas, samples = iso
    a = personas.a
    kwargs = dict(samples.get(name, {}))
    if "program" in kwarg_names:
        kwargs["program"] = a.slug
    url = _url(name, kwargs)
    statuses = {}
    for role, user in a.members.items():
        response = client_for(user).get(url)
        statuses[role] = response.status_code
        if response.status_code < 400 or response.status_code == 405:
            return
    pytest.fail(f"no member of program A can GET {url}: {statuses}")
