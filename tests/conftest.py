"""Shared fixtures: the personas (two programs, a member of every role in each, an
outsider, anonymous), a browser, and a real Celery worker on the real Redis."""

import contextlib
import datetime
import logging
import os
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from core.actors import SystemActor
from core.roles import Role
from programs import services as program_services
from programs.models import Severity
from tests.utils import sign_agreement

PASSWORD = "correct horse battery staple"  # every persona's password in tests
SYSTEM = SystemActor("test-setup")


@dataclass
class ProgramWorld:
    """One program with a member of each role and a small set of parties."""

    program: object
    members: dict = field(default_factory=dict)  # role -> User
    buyer: object = None  # the buyer the buyer_officer is bound to
    other_buyer: object = None
    supplier: object = None
    facility: object = None
    code: object = None
    version: object = None
    provision: object = None  # a zero-tolerance provision of the ratified version
    agreement: object = None
    sourcing: object = None

    def user(self, role):
        return self.members[role]

    @property
    def slug(self):
        return self.program.slug


@dataclass
class Personas:
    a: ProgramWorld
    b: ProgramWorld
    outsider: object


def make_user(username, **extra):
    User = get_user_model()
    user = User.objects.create_user(username=username, email=username, password=PASSWORD, **extra)
    return user


def build_world(slug, name):
    program = program_services.program_create(
        actor=SYSTEM,
        slug=slug,
        name=name,
        worker_organization=f"{name} Workers' Council",
        languages=["en", "es", "ht", "bn"],
    )
    world = ProgramWorld(program=program)
    world.buyer = program_services.buyer_create(
        actor=SYSTEM, program=program, name=f"{name} Buyer One", headquarters_country="US"
    )
    world.other_buyer = program_services.buyer_create(
        actor=SYSTEM, program=program, name=f"{name} Buyer Two", headquarters_country="GB"
    )
    world.supplier = program_services.supplier_create(
        actor=SYSTEM, program=program, legal_name=f"{name} Growers LLC", country="US"
    )
    world.facility = program_services.facility_create(
        actor=SYSTEM,
        program=program,
        supplier=world.supplier,
        name=f"{name} Farm 1",
        address="1 Field Road, Immokalee, FL",
        country="US",
        latitude="26.418800",
        longitude="-81.417300",
        worker_count=120,
    )
    world.code = program_services.code_create(actor=SYSTEM, program=program, name=f"{name} Code")
    draft = world.code.versions.get()
    world.provision = program_services.provision_add(
        actor=SYSTEM,
        version=draft,
        number="1.1",
        section="Zero tolerance",
        title="No forced labor",
        text="No worker may be forced to work.",
        category="forced_labor",
        severity=Severity.ZERO_TOLERANCE,
    )
    program_services.provision_add(
        actor=SYSTEM,
        version=draft,
        number="2.1",
        section="Health and safety",
        title="Shade and water",
        text="Free shade and water at every field.",
        category="health_safety",
        severity=Severity.MAJOR,
    )
    for role in Role.values:
        user = make_user(f"{role}@{slug}.example.org")
        program_services.membership_invite(
            actor=SYSTEM,
            program=program,
            email=user.email,
            role=role,
            buyer=world.buyer if role == Role.BUYER_OFFICER else None,
            send_email=False,
        )
        world.members[role] = user
    world.version = program_services.code_version_ratify(
        actor=world.members[Role.ADMIN], version=draft, effective_date=datetime.date(2026, 1, 1)
    )
    world.agreement = program_services.agreement_create(
        actor=SYSTEM,
        program=program,
        buyer=world.buyer,
        title="Fair Food Agreement",
        signed_date=datetime.date(2025, 6, 1),
        effective_from=datetime.date(2025, 7, 1),
        premium_rate="0.010000",
        premium_unit="lb",
        consequence_clause="Suspend purchases from suppliers in suspension.",
    )
    sign_agreement(world.agreement)
    program_services.agreement_transition(actor=SYSTEM, agreement=world.agreement, status="active")
    world.sourcing = program_services.sourcing_create(
        actor=SYSTEM,
        program=program,
        buyer=world.buyer,
        supplier=world.supplier,
        since=datetime.date(2025, 7, 1),
    )
    return world


@pytest.fixture(scope="session", autouse=True)
def test_code_crosses_programs():
    """With TENANT_SCOPES_ENFORCED (core/scoping.py), a test's own setup and assertions
    read both programs, as the system does; what a test drives through the client, a
    live server or a worker gets its scope as in production (the middleware, the task
    hook). tests/security/test_tenant_scopes.py leaves this scope to test the rule."""
    from core.scoping import system_scope

    with system_scope("tests set up and inspect both programs"):
        yield


@pytest.fixture(autouse=True)
def fresh_cache():
    """Every test starts with an empty cache. Throttle counters and cached fragments live
    in Redis and would otherwise carry from one test into the next (a public-submission
    throttle engaging in whichever test happens to be the 31st submission within a
    minute). The cache is a Redis database of its own per test run (settings.test)."""
    from django.core.cache import cache

    from core import broker
    from core import cache as resilient_cache
    from disclosure import page_cache

    # A test that took Redis away leaves the fail-fast breakers open for seconds.
    resilient_cache.reset()
    broker.reset()
    cache.clear()
    # ... and so do the copies of public pages each process keeps beside it.
    page_cache.forget_local()


def build_personas():
    return Personas(
        a=build_world("alpha", "Alpha Fair Food"),
        b=build_world("bravo", "Bravo Garment Accord"),
        outsider=make_user("outsider@example.org"),
    )


# ---------------------------------------------------------------- personas, built once
#
# Building the two worlds takes ~40 service calls; doing it for each of the ~500 tests
# that use them was most of the suite's run time. They are built ONCE per test process
# inside a transaction that is never committed (what Django's TestCase.setUpTestData
# does per class); each test then runs in a savepoint of it (pytest-django's ``db``) that
# is rolled back, so every test starts from the same worlds. What a test receives is
# fetched afresh by primary key, so no Python object carries one test's changes into the
# next.
#
# That outer transaction must not be open while another kind of test runs: a
# transactional test (live server, real Celery worker) needs its own rows committed, and
# a database test that does not ask for the personas must not find them. Before each
# such test the outer transaction is rolled back (pytest_runtest_setup below); the next
# test that asks for the personas builds them again (pytest-django already runs the
# transactional tests last, so that happens a handful of times per run). Transactional
# tests that ask for the personas get worlds of their own, committed, as before.

WORLD_FIELDS = (
    "program",
    "buyer",
    "other_buyer",
    "supplier",
    "facility",
    "code",
    "version",
    "provision",
    "agreement",
    "sourcing",
)


def is_transactional(item):
    """The test needs committed rows (pytest-django's own rule for ordering tests)."""
    from django.test import TestCase, TransactionTestCase

    cls = getattr(item, "cls", None)
    if cls is not None and issubclass(cls, TransactionTestCase):
        return not issubclass(cls, TestCase)
    marker = item.get_closest_marker("django_db")
    if marker is not None and (
        marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")
    ):
        return True
    names = getattr(item, "fixturenames", ())
    return "transactional_db" in names or "live_server" in names


def uses_db(item):
    from django.test import TransactionTestCase

    cls = getattr(item, "cls", None)
    names = getattr(item, "fixturenames", ())
    return (
        (cls is not None and issubclass(cls, TransactionTestCase))
        or item.get_closest_marker("django_db") is not None
        or "db" in names
        or is_transactional(item)
    )


class SharedPersonas:
    """The personas of this test process, built in a transaction kept open between tests."""

    def __init__(self):
        self.blocker = None  # pytest-django's django_db_blocker, once the database exists
        self.atomic = None  # the open outer transaction, while the worlds exist
        self.keys = None  # how to fetch them again: (model, pk) per object
        self.wanted = False  # does the test about to run use them (non-transactionally)?
        self.builds = 0

    @property
    def is_open(self):
        return self.atomic is not None

    def open(self):
        from django.db import transaction

        if self.is_open or self.blocker is None:
            return
        with self.blocker.unblock():
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                personas = build_personas()
            except BaseException:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
                raise
        self.atomic, self.keys = atomic, self._keys_of(personas)
        self.builds += 1

    def close(self):
        from django.db import connection, transaction

        if not self.is_open:
            return
        atomic, self.atomic, self.keys = self.atomic, None, None
        with self.blocker.unblock():
            try:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
            except Exception:
                # A test broke the connection (closed it, say): drop it, and with it
                # the uncommitted worlds, so the next test starts clean either way.
                connection.close()

    @staticmethod
    def _keys_of(personas):
        def world_keys(world):
            keys = {
                name: (type(obj), obj.pk) for name in WORLD_FIELDS if (obj := getattr(world, name))
            }
            keys["members"] = {role: (type(user), user.pk) for role, user in world.members.items()}
            return keys

        outsider = personas.outsider
        return {
            "a": world_keys(personas.a),
            "b": world_keys(personas.b),
            "outsider": (type(outsider), outsider.pk),
        }

    def fetch(self):
        """Fresh Python objects for one test: one query per model."""
        assert self.is_open, "the shared personas are not built (see pytest_runtest_setup)"
        wanted = {}
        for world in (self.keys["a"], self.keys["b"]):
            for model, pk in [
                *(v for k, v in world.items() if k != "members"),
                *world["members"].values(),
            ]:
                wanted.setdefault(model, set()).add(pk)
        model, pk = self.keys["outsider"]
        wanted.setdefault(model, set()).add(pk)
        # _base_manager: the plain manager, whatever scoping a model's default one adds.
        rows = {m: m._base_manager.in_bulk(pks) for m, pks in wanted.items()}

        def world_of(keys):
            world = ProgramWorld(program=None)
            for name in WORLD_FIELDS:
                if name in keys:
                    model, pk = keys[name]
                    setattr(world, name, rows[model][pk])
            world.members = {role: rows[m][pk] for role, (m, pk) in keys["members"].items()}
            return world

        model, pk = self.keys["outsider"]
        return Personas(
            a=world_of(self.keys["a"]), b=world_of(self.keys["b"]), outsider=rows[model][pk]
        )


SHARED_PERSONAS = SharedPersonas()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before the test's fixtures: keep the shared personas' transaction open only for a
    test that uses them without needing committed rows; roll it back before any other
    database test."""
    wanted = "personas" in getattr(item, "fixturenames", ()) and not is_transactional(item)
    SHARED_PERSONAS.wanted = wanted
    if wanted:
        SHARED_PERSONAS.open()  # no-op until the session fixture below has run once
    elif uses_db(item):
        SHARED_PERSONAS.close()


@pytest.fixture(scope="session")
def _shared_personas(django_db_setup, django_db_blocker):
    # Session-scoped, so it is set up before any function-scoped fixture, pytest-django's
    # per-test transaction included: that one must be a savepoint inside ours.
    SHARED_PERSONAS.blocker = django_db_blocker
    if SHARED_PERSONAS.wanted:
        SHARED_PERSONAS.open()
    yield SHARED_PERSONAS
    SHARED_PERSONAS.close()
    SHARED_PERSONAS.blocker = None


@pytest.fixture(autouse=True)
def mfa_verified_logins(request):
    """Tests written before two-factor authentication log members in with a password
    (``force_login`` or the login page) and expect to reach their pages. For them every
    login counts as second-factor verified, through a recovery-code device made for the
    test. Tests marked ``@pytest.mark.mfa`` get the real rule (core.mfa). Production has
    no such path: this receiver exists only inside the test run."""
    if request.node.get_closest_marker("mfa"):
        yield
        return
    from django.contrib.auth.signals import user_logged_in
    from django_otp import DEVICE_ID_SESSION_KEY

    def mark_verified(sender, request, user, **kwargs):
        from django_otp.plugins.otp_static.models import StaticDevice

        device, _ = StaticDevice.objects.get_or_create(user=user, name="test-run bypass")
        request.session[DEVICE_ID_SESSION_KEY] = device.persistent_id

    user_logged_in.connect(mark_verified, dispatch_uid="tests.mfa_verified_logins")
    try:
        yield
    finally:
        user_logged_in.disconnect(dispatch_uid="tests.mfa_verified_logins")


@pytest.fixture
def personas(request, _shared_personas, db):
    """Two programs with a member of every role each, and an outsider (see above).

    ``db`` is transactional when the test is (pytest-django decides from its marker and
    fixtures); it is named here so that pytest-django sees a database test at all."""
    if is_transactional(request.node):
        return build_personas()
    return _shared_personas.fetch()


@pytest.fixture
def client_for():
    """``client_for(user)`` → a Django test client logged in as ``user`` (None: anonymous)."""

    def make(user=None):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


# ---------------------------------------------------------------- browser


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


@contextlib.contextmanager
def chromium_page(base_url, *, executable_path=CHROMIUM):
    """A Playwright page in Debian's Chromium whose relative URLs go to ``base_url``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable_path, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(base_url=base_url)
            page = context.new_page()
            page.set_default_timeout(15_000)
            # Only now, with a page to hand over, and always put back: a launch that
            # failed must not leave the guard off for the rest of the run.
            previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
            try:
                yield page
            finally:
                if previous is None:
                    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
                else:
                    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
                context.close()
        finally:
            browser.close()


@pytest.fixture
def browser_page(live_server):
    """A Playwright page in Debian's Chromium, pointed at the live test server.

    Playwright's sync API runs an event loop in this thread, so Django's ORM calls made
    by the test itself need the async-safety guard relaxed.
    """
    with chromium_page(live_server.url) as page:
        yield page


def browser_login(page, user):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", user.get_username())
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


ARTIFACTS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "test-artifacts")


# ---------------------------------------------------------------- celery


@contextlib.contextmanager
def real_worker():
    """A real Celery worker thread consuming from the real Redis broker (test db number)."""
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun
    from django.db import connections

    from config.celery import app

    def close_connections(**_kwargs):
        # In the task's own thread, after every task: whatever the connection settings
        # or the task did, no pool thread keeps a connection to the test database open
        # past its task (it would outlive the test and hold off the flush and the
        # database's removal).
        connections.close_all()

    app.control.purge()
    task_postrun.connect(close_connections, weak=False)
    # Celery's worker set-up takes over the root logger (its own handler, and the
    # worker's log level, "error" by default): put it back afterwards, or every later
    # test in this process loses its warnings (caplog sees nothing).
    root = logging.getLogger()
    root_level, root_handlers = root.level, root.handlers[:]
    try:
        with start_worker(
            app,
            pool="threads",
            concurrency=2,
            perform_ping_check=False,
            queues=["default", "reports"],
            shutdown_timeout=30,
        ) as worker:
            yield worker
    finally:
        task_postrun.disconnect(close_connections)
        root.setLevel(root_level)
        root.handlers[:] = root_handlers


@pytest.fixture
def celery_worker_real(transactional_db):
    """A real Celery worker (see ``real_worker``) for transactional tests: the worker runs
    in other threads and must see committed rows. Never eager mode."""
    with real_worker() as worker:
        yield worker
