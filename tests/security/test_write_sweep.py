"""Bad input to every write: every HTML form (every POST route of the URLconf) and every
API write operation (every POST/PUT/PATCH/DELETE of /api/schema/).

Each receives, as the member whose role may use it (an admin of program A; the buyer
officer on the buyer portal; anonymous on the public side):

- a NUL character in every field,
- a 1 MB string, one field at a time,
- the wrong type (JSON: an array or a string for the object, an object for each field;
  forms: words, and several values, for numbers, dates and choices),
- an id of program B, one field at a time (the choices program B's own form offers;
  the API's foreign keys), and program B's object in the URL under program A.

Each must answer a 4xx or the form again with its error (an error message with a
redirect back counts as a form error), never a 5xx and never a success, and nothing may
change: the row count of every table and the number of audit events are the same
before and after. Routes and operations come from the URLconf and the schema, so a new
one is swept without anyone adding it here; a POST route whose form no page shows
is swept with its form class's fields when no page shows its form in the samples' state;
``test_every_post_route_is_swept`` fails for one the sweep cannot reach at all.
"""

import json
import re
from html.parser import HTMLParser

import pytest
from django.contrib.messages import constants as message_levels
from django.db import connection, transaction
from django.test import Client
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from core.roles import Role
from tests.conftest import Personas, build_world, make_user
from tests.security.api_paths import route_name
from tests.security.route_actions import ROUTE_ACTIONS
from tests.test_route_isolation import PUBLIC_NAMESPACES, PUBLIC_ROUTES, all_routes, load_samples

pytestmark = pytest.mark.django_db

MEGABYTE = "x" * (1024 * 1024)
# Tables a refused request may still write, on purpose: django-axes records a failed
# login (the brute-force guard counts it), and sessions are the logged-in client's own.
VOLATILE_TABLES = ("axes_", "django_session")
# POST routes no page shows as a <form>: what answers them instead is named.
POST_WITHOUT_FORM = {
    # django-otp-webauthn's ceremony endpoints: JSON posted by the browser's script.
    "otp_webauthn:credential-registration-begin",
    "otp_webauthn:credential-registration-complete",
    "otp_webauthn:credential-authentication-begin",
    "otp_webauthn:credential-authentication-complete",
    # Single sign-on (404 while OIDC is off).
    "oidc_authentication_init",
    "oidc_authentication_callback",
}


# ---------------------------------------------------------------- the world


@pytest.fixture(scope="module")
def sweep_world(django_db_setup, django_db_blocker):
    """Both programs with every app's sample objects (program B's are the ids that must
    be refused in program A), built once inside a transaction rolled back at the end."""
    with django_db_blocker.unblock():
        assert connection.settings_dict["NAME"].startswith("test")
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            personas = Personas(
                a=build_world("alpha", "Alpha Fair Food"),
                b=build_world("bravo", "Bravo Garment Accord"),
                outsider=make_user("outsider@example.org"),
            )
            samples_a = load_samples(personas.a)
            samples_b = load_samples(personas.b)
            yield personas, samples_a, samples_b
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def sweep(sweep_world, django_db_blocker):
    with django_db_blocker.unblock():
        sid = transaction.savepoint_create()
        try:
            yield sweep_world
        finally:
            transaction.savepoint_rollback(sid)


def snapshot():
    """Row count of every table, and the audit events, in one query."""
    tables = [
        t for t in connection.introspection.table_names() if not t.startswith(VOLATILE_TABLES)
    ]
    quote = connection.ops.quote_name
    # Table names come from the database's own catalogue, not from input.
    sql = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {quote(t)}" for t in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(cursor.fetchall())


def changed(before, after):
    return {t: (before[t], after[t]) for t in before if before[t] != after.get(t)}


def _savepoint(func):
    """Run ``func`` and undo whatever it wrote (one submission must not feed the next)."""
    sid = transaction.savepoint_create()
    try:
        return func()
    finally:
        transaction.savepoint_rollback(sid)


def _error_message_queued(response):
    storage = getattr(response.wsgi_request, "_messages", None)
    queued = getattr(storage, "_queued_messages", [])
    return any(m.level >= message_levels.WARNING for m in queued)


def _refused(response, *, form):
    if response.status_code >= 500:
        return False
    if 400 <= response.status_code < 500:
        return True
    if not form:
        return False
    if response.status_code == 200:
        return True  # the form again, with its errors (nothing changed: checked apart)
    return response.status_code in (301, 302, 303) and _error_message_queued(response)


def submit(client, method, url, *, form, **kwargs):
    """One bad submission: (refused?, status, tables changed)."""

    def run():
        before = snapshot()
        response = getattr(client, method)(url, **kwargs)
        return response, changed(before, snapshot())

    response, diff = _savepoint(run)
    return _refused(response, form=form), response.status_code, diff


# ---------------------------------------------------------------- HTML forms


class FormParser(HTMLParser):
    """The <form method="post"> of a page: action and fields (name -> default value,
    with the choices of a select)."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            if (attrs.get("method") or "get").lower() == "post":
                self._form = {"action": attrs.get("action") or "", "fields": {}}
                self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = attrs.get("name")
        if "disabled" in attrs:
            return  # a browser does not send it; the form ignores it
        if tag in ("input", "button") and name:
            kind = (attrs.get("type") or ("submit" if tag == "button" else "text")).lower()
            if kind in ("checkbox", "radio") and name in form["fields"]:
                return
            if kind == "file":
                return
            form["fields"].setdefault(
                name, {"kind": kind, "value": attrs.get("value") or "", "choices": []}
            )
        elif tag == "select" and name:
            self._select = form["fields"].setdefault(
                name, {"kind": "select", "value": None, "choices": []}
            )
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            self._select["choices"].append(value)
            if "selected" in attrs or (self._select["value"] in (None, "") and value):
                self._select["value"] = value
        elif tag == "textarea" and name:
            self._textarea = form["fields"].setdefault(
                name, {"kind": "textarea", "value": "", "choices": []}
            )

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            if self._select is not None and self._select["value"] is None:
                self._select["value"] = ""
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _view_name(path):
    try:
        return resolve(path.split("?", 1)[0]).view_name
    except Resolver404:
        return None


def _namespace(name):
    return name.rsplit(":", 1)[0] if ":" in name else None


def _is_public(name):
    return name in PUBLIC_ROUTES or _namespace(name) in PUBLIC_NAMESPACES


def _user_for(name, world):
    """Who submits a route's form: anonymous on the public side, the buyer officer on the
    portal, else the program's admin (who holds nearly every action)."""
    if _is_public(name):
        return None
    if _namespace(name) in ("buyer", "buyer-api"):
        return world.user(Role.BUYER_OFFICER)
    return world.user(Role.ADMIN)


def _client(user):
    # A 500 is a finding to list with the others, not an exception that ends the sweep.
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def _page_urls(world, samples):
    for name, kwarg_names in all_routes():
        if not name or name.startswith(("admin:", "otp_webauthn:")) or "api" in name.split(":")[0]:
            continue
        if name in ("logout", "oidc_authentication_init", "oidc_authentication_callback"):
            continue
        kwargs = dict(samples.get(name, {}))
        if "program" in kwarg_names:
            kwargs["program"] = world.slug
        if any(k not in kwargs for k in kwarg_names):
            continue
        yield name, reverse(name, kwargs=kwargs)


def crawl_forms(world, samples):
    """{route name: [(url, fields)]} of every POST form on every page of ``world``'s
    program (each page read as the member whose role uses it)."""
    found = {}
    for name, url in _page_urls(world, samples):
        response = _client(_user_for(name, world)).get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parser = FormParser()
        parser.feed(response.content.decode())
        for form in parser.forms:
            target = form["action"] or url
            if target.startswith("http"):
                continue
            target_name = _view_name(target)
            if target_name is None:
                continue
            forms = found.setdefault(target_name, [])
            if all(target != t or form["fields"].keys() != f.keys() for t, f in forms):
                forms.append((target, form["fields"]))
    return found


def _post_routes():
    names = set()
    for name, _ in all_routes():
        if not name or "api" in name.split(":")[0] or name.startswith("admin:"):
            continue
        actions = ROUTE_ACTIONS.get(name)
        if actions is not None and actions[1] is not None:
            names.add(name)
    return names


TEXT_KINDS = {"text", "textarea", "email", "url", "search", "tel", "password", "number", "date"}
TEXT_KINDS |= {"datetime-local", "hidden", "time", "month"}
# Fields whose value has a type (a number, a date, a choice): the wrong type is a word.
# Not a checkbox: it is on when sent at all, whatever its value (Django's BooleanField).
TYPED_KINDS = {"number", "date", "datetime-local", "time", "month", "select", "radio"}
TYPED_KINDS |= {"email", "url"}


def _base(fields):
    return {n: f["value"] for n, f in fields.items() if n != "csrfmiddlewaretoken"}


def _form_payloads(fields, other_choices):
    base = _base(fields)
    if not base:
        # A button and nothing else (confirm, ratify, end sessions): there is no field to
        # put bad input in; the URL's object is swept instead (program B's, below).
        return
    yield "NUL in every field", {n: f"{v}\x00" for n, v in base.items()}
    for name, field in fields.items():
        if field["kind"] in TEXT_KINDS and name != "csrfmiddlewaretoken":
            yield f"1 MB in {name}", {**base, name: MEGABYTE}
    typed = [n for n in base if fields[n]["kind"] in TYPED_KINDS]
    if typed:
        wrong = {n: ["not a number or date", '{"a": [1]}'] for n in typed}
        yield f"words and several values in {', '.join(typed)}", {**base, **wrong}
    for name, values in other_choices.items():
        if name in base:
            for value in sorted(values)[:1]:
                yield f"program B's choice {value!r} in {name}", {**base, name: value}


def _form_class_fields(url):
    """The fields of the view's form class, for a POST route no page shows a form of
    (its button appears only in a state the samples do not reach)."""
    view_class = getattr(resolve(url).func, "view_class", None)
    form_class = getattr(view_class, "form_class", None)
    if form_class is None:
        return {}
    return {n: {"kind": "text", "value": "", "choices": []} for n in form_class.base_fields}


def add_unshown_forms(found, world, samples):
    """POST routes of the URLconf no page showed a form for: swept with their form
    class's fields (or none: then the URL's object only)."""
    pages = dict(_page_urls(world, samples))
    for name in _post_routes() - set(found) - POST_WITHOUT_FORM:
        if name in pages:
            found[name] = [(pages[name], _form_class_fields(pages[name]))]
    return found


_CRAWLED = {}


@pytest.fixture
def html_forms(sweep):
    """Both programs' forms, crawled once (inside a test: logins there count as second
    factor verified, tests/conftest.py's mfa_verified_logins)."""
    if not _CRAWLED:
        personas, samples_a, samples_b = sweep
        _CRAWLED["a"] = add_unshown_forms(crawl_forms(personas.a, samples_a), personas.a, samples_a)
        _CRAWLED["b"] = crawl_forms(personas.b, samples_b)
    return _CRAWLED["a"], _CRAWLED["b"]


def _other_choices(fields_a, forms_b_of_route):
    """Per select field: the values program B's same form offers that A's does not."""
    other = {}
    for _, fields_b in forms_b_of_route:
        for name, field in fields_b.items():
            if field["kind"] != "select" or name not in fields_a:
                continue
            mine = set(fields_a[name]["choices"])
            theirs = {v for v in field["choices"] if v and v not in mine and v.isdigit()}
            if theirs:
                other.setdefault(name, set()).update(theirs)
    return other


def test_every_post_route_is_swept(html_forms):
    forms_a, _ = html_forms
    missing = sorted(_post_routes() - set(forms_a) - POST_WITHOUT_FORM)
    assert not missing, (
        f"POST routes that cannot be reached (add route samples for them): {missing}"
    )


def test_bad_input_to_every_html_form_changes_nothing(sweep, html_forms):
    personas, samples_a, samples_b = sweep
    a = personas.a
    forms_a, forms_b = html_forms
    defects = []
    tried = 0
    for name in sorted(forms_a):
        client = _client(_user_for(name, a))
        for url, fields in forms_a[name]:
            other = _other_choices(fields, forms_b.get(name, []))
            for label, data in _form_payloads(fields, other):
                tried += 1
                ok, status, diff = submit(client, "post", url, form=True, data=data)
                if not ok or diff:
                    defects.append(f"{name} {url} [{label}]: {status} {diff or ''}")
        # Program B's object under program A's URL.
        kwargs_b = samples_b.get(name)
        if kwargs_b:
            try:
                url = reverse(name, kwargs={**kwargs_b, "program": a.slug})
            except NoReverseMatch:
                url = reverse(name, kwargs=kwargs_b)
            tried += 1
            ok, status, diff = submit(client, "post", url, form=False, data={})
            if not ok or diff:
                defects.append(f"{name} {url} [program B's object in the URL]: {status} {diff}")
    assert tried > 200, tried
    assert not defects, "\n".join(defects)


# ---------------------------------------------------------------- API writes


def _schema():
    client = Client()
    return client.get("/api/schema/?format=json").json()


def _resolve_ref(spec, node):
    while isinstance(node, dict) and "$ref" in node:
        path = node["$ref"].removeprefix("#/").split("/")
        node = spec
        for part in path:
            node = node[part]
    return node


def _write_operations(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in ("post", "put", "patch", "delete"):
                yield path, method, op


def _body_schema(spec, op):
    content = op.get("requestBody", {}).get("content", {})
    for media in ("application/json", "multipart/form-data"):
        if media in content:
            return media, _resolve_ref(spec, content[media].get("schema", {}))
    return None, {}


# Body fields that name a program's object, and where program A's and B's are.
FK_FIELDS = {
    "facility": "facility",
    "supplier": "supplier",
    "buyer": "buyer",
    "provision": "provision",
    "agreement": "agreement",
    "code": "code",
    "version": "version",
    "code_version": "version",
}
FK_USERS = {"lead_auditor", "team", "user", "assignee", "investigator", "auditors", "members"}


def _sample_value(spec, name, prop, world):
    prop = _resolve_ref(spec, prop)
    if "allOf" in prop:
        prop = _resolve_ref(spec, prop["allOf"][0])
    kind = prop.get("type")
    if name in FK_FIELDS:
        return getattr(world, FK_FIELDS[name]).pk
    if name in FK_USERS:
        pk = world.user(Role.AUDITOR).pk
        return [pk] if kind == "array" else pk
    if "enum" in prop:
        return next((v for v in prop["enum"] if v), None)
    if kind == "integer":
        return 1
    if kind == "number":
        return "1.00"
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object":
        return {}
    fmt = prop.get("format")
    if fmt == "date":
        return "2026-12-31"
    if fmt == "date-time":
        return "2026-12-31T00:00:00Z"
    if fmt == "email":
        return "someone@example.org"
    return "x"


def _api_user(path, world):
    if path.startswith("/api/v1/public/"):
        return None
    if path.startswith("/api/v1/buyer/"):
        return world.user(Role.BUYER_OFFICER)
    return world.user(Role.ADMIN)


PARAM = re.compile(r"\{(\w+)\}")


def _api_url(path, world, samples):
    """The operation's URL on ``world``'s program, with its sample objects."""
    name = route_name(path)
    kwargs = dict(samples.get(name, {}))

    def fill(match):
        key = match[1]
        if key == "program":
            return world.slug
        value = kwargs.get(key, kwargs.get("pk" if key == "id" else key))
        return str(value) if value is not None else "999999"

    return name, PARAM.sub(fill, path)


def _api_payloads(spec, body_schema, world_a, world_b):
    props = body_schema.get("properties", {})
    writable = {n: p for n, p in props.items() if not _resolve_ref(spec, p).get("readOnly")}
    base = {n: _sample_value(spec, n, p, world_a) for n, p in writable.items()}
    strings = [n for n, v in base.items() if isinstance(v, str)]
    if not writable:
        # Nothing to read (an action such as "ratify" or "acknowledge"): a body is ignored
        # whatever it holds, so only the URL's object is swept (below).
        return
    if strings:
        yield (
            "NUL in every string",
            {n: (f"{v}\x00" if n in strings else v) for n, v in base.items()},
        )
    yield "NUL in a key", {**base, "x\x00": "y"}
    for name in writable:
        yield f"1 MB in {name}", {**base, name: MEGABYTE}
    yield "an array for the object", [base]
    yield "a string for the object", "text"
    if writable:
        yield "an object for every field", {n: {"wrong": [1]} for n in base}
    for name in writable:
        if name in FK_FIELDS:
            yield (
                f"program B's {name}",
                {**base, name: _sample_value(spec, name, props[name], world_b)},
            )
        elif name in FK_USERS:
            other = world_b.user(Role.AUDITOR).pk
            value = [other] if isinstance(base[name], list) else other
            yield f"program B's member in {name}", {**base, name: value}


def _send(client, method, url, media, payload):
    if media == "multipart/form-data" and isinstance(payload, dict):
        data = {
            k: (json.dumps(v) if isinstance(v, dict | list) else ("" if v is None else v))
            for k, v in payload.items()
        }
        return dict(data=data)
    return dict(data=json.dumps(payload), content_type="application/json")


def test_bad_input_to_every_api_write_changes_nothing(sweep):
    personas, samples_a, samples_b = sweep
    a, b = personas.a, personas.b
    spec = _schema()
    defects = []
    tried = 0
    for path, method, op in _write_operations(spec):
        client = _client(_api_user(path, a))
        # API writes by a logged-in browser session need the CSRF token; the test
        # client does not enforce it, as a token-authenticated caller needs none.
        media, body_schema = _body_schema(spec, op)
        name, url = _api_url(path, a, samples_a)
        for label, payload in _api_payloads(spec, body_schema, a, b):
            tried += 1
            kwargs = _send(client, method, url, media, payload)
            ok, status, diff = submit(client, method, url, form=False, **kwargs)
            if not ok or diff:
                defects.append(f"{method.upper()} {url} [{label}]: {status} {diff or ''}")
        if samples_b.get(name) and "{program}" in path:
            _, url_b = _api_url(path, a, {name: samples_b[name]})
            tried += 1
            ok, status, diff = submit(client, method, url_b, form=False, data={})
            if not ok or diff:
                defects.append(f"{method.upper()} {url_b} [program B's object]: {status} {diff}")
    assert tried > 300, tried
    assert not defects, "\n".join(defects)
