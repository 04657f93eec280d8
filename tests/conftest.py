"""Shared fixtures: the personas (two programs, a member of every role in each, an
outsider, anonymous), a browser, and a real Celery worker on the real Redis."""

import datetime
import os
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from core.roles import Role
from programs import services as program_services
from programs.models import Severity

PASSWORD = "correct horse battery staple"  # every persona's password in tests
SYSTEM = "test-setup"


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
    program_services.agreement_transition(actor=SYSTEM, agreement=world.agreement, status="active")
    world.sourcing = program_services.sourcing_create(
        actor=SYSTEM,
        program=program,
        buyer=world.buyer,
        supplier=world.supplier,
        since=datetime.date(2025, 7, 1),
    )
    return world


@pytest.fixture(autouse=True)
def fresh_cache():
    """Every test starts with an empty cache. Throttle counters and cached fragments live
    in Redis and would otherwise carry from one test into the next (a public-submission
    throttle engaging in whichever test happens to be the 31st submission within a
    minute). The cache is a Redis database of its own per test run (settings.test)."""
    from django.core.cache import cache

    from disclosure import page_cache

    cache.clear()
    # ... and so do the copies of public pages each process keeps beside it.
    page_cache.forget_local()


@pytest.fixture
def personas(db):
    a = build_world("alpha", "Alpha Fair Food")
    b = build_world("bravo", "Bravo Garment Accord")
    outsider = make_user("outsider@example.org")
    return Personas(a=a, b=b, outsider=outsider)


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


@pytest.fixture
def browser_page(live_server):
    """A Playwright page in Debian's Chromium, pointed at the live test server.

    Playwright's sync API runs an event loop in this thread, so Django's ORM calls made
    by the test itself need the async-safety guard relaxed.
    """
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=live_server.url)
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def browser_login(page, user):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", user.get_username())
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


ARTIFACTS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "test-artifacts")


# ---------------------------------------------------------------- celery


@pytest.fixture
def celery_worker_real(transactional_db):
    """A real Celery worker thread consuming from the real Redis broker (test db number).

    Use with transactional tests: the worker runs in another thread and must see
    committed rows. Never eager mode.
    """
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    app.control.purge()
    with start_worker(
        app,
        pool="threads",
        concurrency=2,
        perform_ping_check=False,
        queues=["default", "reports"],
        shutdown_timeout=30,
    ) as worker:
        yield worker
