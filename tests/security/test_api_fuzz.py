"""Fuzz every operation of /api/schema/ (schemathesis 4, WSGI in process, the test DB).

Each operation runs anonymously and as every role of program A that can reach it (the
roles its action gives, directly or by a grant: ``tests/security/route_actions.py`` and
``core.authz.ACTIONS``), each with its own API token (token auth, so unsafe methods need
no CSRF dance). All four checks run on every answer: no 5xx, a documented status code,
a documented content type, a body that matches the schema. Nothing is skipped or
expected to fail.

Three phases: the schema's examples, the fuzzing phase (hypothesis, which also draws NUL
bytes into strings) and the coverage phase (boundary values, wrong types, missing and
unexpected parameters, undocumented methods). The coverage phase enumerates thousands of
cases; in the suite one case of each (scenario, parameter) pair of each operation runs
(for every caller), so every kind of bad input reaches every operation while the file
stays a few minutes. ``make fuzz`` runs all of them, a large fuzzing budget and stateful
scenarios along the links schemathesis infers (WSR_FUZZ_* below).

The program path parameter is pinned to program A (a random slug would only ever test
the 404 branch); an object id is, for half of the cases, swapped for a real object of
the collection so the detail/update branches run too. The world is both programs'
personas plus every app's route samples (a case, an audit, findings, CAP items...).
Examples are derandomized: a failure reproduces.
"""

import datetime
import json
import os
import time
import zlib
from collections import Counter, defaultdict

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, connection, transaction
from django.test import Client
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.meta import TestPhase
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.services import api_token_create
from config.wsgi import application
from core.authz import ACTIONS
from core.roles import Role
from tests.conftest import Personas, build_world, make_user
from tests.security.api_paths import PATH_PARAM, route_name
from tests.security.route_actions import OPEN, ROUTE_ACTIONS

# WSR_FUZZ_COVERAGE=0 turns the coverage phase off (it is on by default);
# WSR_FUZZ_EXAMPLES is the fuzzing phase's budget per operation and role;
# WSR_FUZZ_COVERAGE_PER_GROUP how many coverage cases of each (scenario, parameter) run
# (0: all of them, as `make fuzz` does).
COVERAGE = os.environ.get("WSR_FUZZ_COVERAGE", "1") != "0"
EXAMPLES = int(os.environ.get("WSR_FUZZ_EXAMPLES", "3"))
COVERAGE_PER_GROUP = int(os.environ.get("WSR_FUZZ_COVERAGE_PER_GROUP", "1"))
# WSR_FUZZ_STATEFUL=N (make fuzz) adds N stateful scenarios per role: sequences of calls
# that follow the links schemathesis infers between operations (an id a list or a create
# answers, used by the detail, update and action operations).
STATEFUL = int(os.environ.get("WSR_FUZZ_STATEFUL", "0"))
# WSR_FUZZ_REPORT=path (make fuzz): the run's numbers as JSON, for docs/security.md.
REPORT = os.environ.get("WSR_FUZZ_REPORT")
CONFIG = schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": COVERAGE}}})
# The schema is what /api/schema/ serves; loading it touches no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=CONFIG)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
]
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
PUBLIC_PREFIXES = ("/api/v1/public/",)
INTERNAL_ROLES = frozenset(Role.values) - {Role.BUYER_OFFICER}


# ---------------------------------------------------------------- who reaches what


def _action(operation):
    """The action of core.authz.ACTIONS that governs ``operation`` (None: public)."""
    if operation.path.startswith(PUBLIC_PREFIXES):
        return None
    name = route_name(operation.path)
    get_action, post_action = ROUTE_ACTIONS[name]
    if operation.method.upper() in ("GET", "HEAD"):
        return get_action
    if post_action is None and name.endswith("-detail"):
        # Update and delete of an object: the action that creates one in its collection.
        post_action = ROUTE_ACTIONS.get(name.removesuffix("-detail") + "-list", (None, None))[1]
    return post_action or get_action


def roles_reaching(operation):
    """The roles of a member for whom ``operation`` is more than a refusal of their kind:
    the action's roles, and the roles a per-object grant can give it."""
    if operation.path.startswith(PUBLIC_PREFIXES):
        # Open to all; a member is served as anyone is (staff stands for them).
        return {Role.STAFF}
    action = _action(operation)
    if action == OPEN or action is None:
        return (
            {Role.BUYER_OFFICER} if operation.path.startswith("/api/v1/buyer/") else INTERNAL_ROLES
        )
    rule = ACTIONS[action]
    roles = set(rule.roles) | set(rule.scoped_roles)
    if rule.grant:
        roles |= set(rule.grant_roles)
    if rule.policy:
        # The program's policy may add any internal role (the confirming roles).
        roles |= set(INTERNAL_ROLES)
    return roles


# ---------------------------------------------------------------- the world


@pytest.fixture(autouse=True)
def keep_test_connection():
    """The raw WSGI handler closes the DB connection at the end of each request, which
    would end the test's transaction; Django's own test client holds these signals off
    the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Both programs' personas and every app's sample objects, built once for the module
    (building them per operation would be most of the run time) inside a transaction
    rolled back at the end. Every role of program A gets an API token."""
    from tests.test_route_isolation import load_samples

    # The marker below is what makes pytest-django create the test database at all.
    assert connection.settings_dict["NAME"].startswith("test"), connection.settings_dict
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            a = build_world("alpha", "Alpha Fair Food")
            b = build_world("bravo", "Bravo Garment Accord")
            personas = Personas(a=a, b=b, outsider=make_user("outsider@example.org"))
            load_samples(a)
            # Only digests are stored: keep each role's secret for the run.
            personas.tokens = {}
            for role in Role.values:
                user = a.user(role)
                personas.tokens[role] = api_token_create(actor=user, user=user, name="fuzz")[1]
            yield personas
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def fuzz_db(world, django_db_blocker):
    """Each operation's writes are undone (a savepoint) so the next starts from the
    same world."""
    with django_db_blocker.unblock():
        sid = transaction.savepoint_create()
        try:
            yield world
        finally:
            transaction.savepoint_rollback(sid)


# ---------------------------------------------------------------- cases


def _pin_program(case, personas):
    if "program" in case.path_parameters:
        case.path_parameters["program"] = personas.a.slug


def _first_id(collection, token):
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    try:
        response = client.get(collection, HTTP_ACCEPT="application/json")
    finally:
        # Django's test client connects close_old_connections again after its request,
        # undoing keep_test_connection: the next WSGI request then closed the test's
        # connection (every later case failed with "the connection is closed").
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
    if response.status_code != 200:
        return None
    data = response.json()
    rows = data.get("results", data) if isinstance(data, dict) else data
    if isinstance(rows, list) and rows and isinstance(rows[0], dict):
        return rows[0].get("id")
    return None


def _odd(value):
    """Half of the drawn ids, chosen by the value itself (so a case replays the same):
    an integer's parity, a string id's (a UUID's) CRC parity. Other drawn types (the
    coverage phase's wrong types) stay as drawn."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value % 2 == 1
    if isinstance(value, str):
        return zlib.crc32(value.encode("utf-8", "surrogatepass")) % 2 == 1
    return False


def _maybe_real_objects(case, token):
    """Odd ids become a real object of the collection the path names before them (read
    with ``token``, a staff member's: staff sees every record of the program)."""
    path = case.operation.path
    for match in PATH_PARAM.finditer(path):
        name = match[1]
        value = case.path_parameters.get(name)
        if name == "program" or not _odd(value):
            continue
        try:
            collection = path[: match.start()].format(**case.path_parameters)
        except (KeyError, IndexError):
            continue
        real = _first_id(collection, token)
        if real is not None:
            case.path_parameters[name] = real


_SEEN = defaultdict(list)
# Requests sent, by phase ("coverage", "fuzzing", "examples", "stateful").
_CALLS = Counter()


@pytest.fixture(scope="module", autouse=True)
def fuzz_report():
    started = time.monotonic()
    yield
    if REPORT:
        with open(REPORT, "w") as out:
            json.dump(
                {
                    "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                    "budget": {
                        "fuzzing_examples": EXAMPLES,
                        "coverage_per_group": COVERAGE_PER_GROUP or "all",
                        "stateful_scenarios": STATEFUL,
                    },
                    "requests": dict(_CALLS),
                    "seconds": round(time.monotonic() - started),
                },
                out,
                indent=2,
            )


def _sampled_out(case):
    """In the suite, only the first COVERAGE_PER_GROUP coverage cases of each
    (scenario, parameter) of an operation run; the same case, asked again (hypothesis
    replays a failure), always runs."""
    meta = case._meta
    if not COVERAGE_PER_GROUP or meta is None or meta.phase.name != TestPhase.COVERAGE:
        return False
    data = meta.phase.data
    key = (case.operation.label, data.scenario, data.parameter_location, data.parameter)
    fingerprint = repr(
        (case.method, case.path_parameters, case.query, case.headers, case.cookies, case.body)
    )
    kept = _SEEN[key]
    if fingerprint in kept:
        return False
    if len(kept) >= COVERAGE_PER_GROUP:
        return True
    kept.append(fingerprint)
    return False


def _call(case, **kwargs):
    return case.call_and_validate(checks=CHECKS, **kwargs)


def _routed(path):
    """Whether a URL reaches a view at all (an id that fails the URL regex is a plain 404
    from the resolver, before any authentication)."""
    try:
        resolve(path.split("?", 1)[0])
    except Resolver404:
        return False
    return True


def _as_anonymous(case):
    response = _call(case)
    if not case.operation.path.startswith(PUBLIC_PREFIXES):
        # Program data is never served to an anonymous caller, whatever the input.
        # 400 too: the NUL-byte guard (core.guards) refuses a "\x00" in the query or
        # body before authentication runs; a 400 serves no program data.
        allowed = (400, 401, 403) if _routed(case.formatted_path) else (400, 401, 403, 404)
        assert response.status_code in allowed, (
            f"anonymous {case.method} {case.formatted_path}: {response.status_code}"
        )


_ROLES = {}


def _callers(operation):
    """Anonymous first, then every role that reaches the operation (in a fixed order)."""
    if operation.label not in _ROLES:
        reaching = roles_reaching(operation)
        _ROLES[operation.label] = [None, *(r for r in Role.values if r in reaching)]
    return _ROLES[operation.label]


@pytest.mark.django_db
@schema.parametrize()
@FUZZ
def test_api(case, fuzz_db):
    """Every case of every operation, anonymously and as each role of program A that can
    reach it (one test per operation: the coverage phase's cases are built once, not
    once per role)."""
    personas = fuzz_db
    if _sampled_out(case):
        return
    _pin_program(case, personas)
    _maybe_real_objects(case, personas.tokens[Role.STAFF])
    phase = case._meta.phase.name.value if case._meta else "examples"
    for role in _callers(case.operation):
        _CALLS[phase] += 1
        try:
            if role is None:
                _as_anonymous(case)
            else:
                _call(case, headers={"Authorization": f"Token {personas.tokens[role]}"})
        except BaseException as exc:
            exc.add_note(f"(as {role or 'anonymous'}: {case.method} {case.formatted_path})")
            raise


if STATEFUL:
    _stateful_schema = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json",
        application,
        config=schemathesis.Config.from_dict(
            {"phases": {"stateful": {"inference": {"algorithms": ["dependency-analysis"]}}}}
        ),
    )

    class Workflow(_stateful_schema.as_state_machine()):
        personas = None
        role = Role.STAFF

        def before_call(self, case):
            _pin_program(case, self.personas)

        def get_call_kwargs(self, case):
            _CALLS["stateful"] += 1
            return {"headers": {"Authorization": f"Token {self.personas.tokens[self.role]}"}}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS)

    @pytest.mark.django_db
    @pytest.mark.parametrize("role", [Role.STAFF, Role.ADMIN, Role.AUDITOR, Role.BUYER_OFFICER])
    def test_api_stateful(role, fuzz_db):
        Workflow.personas, Workflow.role = fuzz_db, role
        Workflow.run(
            settings=settings(FUZZ, max_examples=STATEFUL, stateful_step_count=6, derandomize=True)
        )


def test_every_operation_has_a_role_or_is_public():
    """An operation no role reaches would be fuzzed only anonymously: the route table
    must name its action."""
    for result in schema.get_all_operations():
        operation = result.ok()
        assert roles_reaching(operation), operation.label
