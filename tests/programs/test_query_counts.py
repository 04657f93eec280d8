"""Every list page and list endpoint issues the same number of queries for 1 and 30
rows (no N+1)."""

import datetime
import itertools

import pytest
from django.urls import reverse

from core.actors import SystemActor
from core.roles import Role
from programs import services
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db

_n = itertools.count()


def _buyer(world):
    return services.buyer_create(
        actor=SystemActor("t"),
        program=world.program,
        name=f"Buyer {next(_n)}",
        headquarters_country="US",
    )


def _supplier(world):
    return services.supplier_create(
        actor=SystemActor("t"),
        program=world.program,
        legal_name=f"Supplier {next(_n)}",
        country="MX",
    )


def _facility(world):
    return services.facility_create(
        actor=SystemActor("t"),
        program=world.program,
        supplier=_supplier(world),
        name=f"Facility {next(_n)}",
        address="Road 1",
        country="MX",
    )


def _sourcing(world):
    return services.sourcing_create(
        actor=SystemActor("t"),
        program=world.program,
        buyer=_buyer(world),
        supplier=_supplier(world),
        since=datetime.date(2026, 1, 1),
    )


def _agreement(world, status="active"):
    agreement = services.agreement_create(
        actor=SystemActor("t"),
        program=world.program,
        buyer=_buyer(world),
        title=f"Agreement {next(_n)}",
        signed_date=datetime.date(2026, 1, 1),
        effective_from=datetime.date(2026, 1, 1),
        consequence_clause="x",
    )
    for party in ("buyer", "worker_organization"):
        services.signatory_add(
            actor=SystemActor("t"), agreement=agreement, party=party, name="Signer"
        )
    if status == "active":
        services.agreement_transition(actor=SystemActor("t"), agreement=agreement, status="active")
    return agreement


def _code(world):
    return services.code_create(
        actor=SystemActor("t"), program=world.program, name=f"Code {next(_n)}"
    )


def _member(world):
    return services.membership_invite(
        actor=SystemActor("t"),
        program=world.program,
        email=f"m{next(_n)}@example.org",
        role=Role.AUDITOR,
        send_email=False,
    )


GROWERS = {
    "buyer": _buyer,
    "supplier": _facility,  # a supplier with a facility (the count annotation)
    "facility": _facility,
    "sourcing": _sourcing,
    "agreement": _agreement,
    "code": _code,
    "member": _member,
}

PAGES = [
    ("buyer_list", "buyer", Role.STAFF),
    ("supplier_list", "supplier", Role.STAFF),
    ("facility_list", "facility", Role.VIEWER),
    ("sourcing_list", "sourcing", Role.STAFF),
    ("agreement_list", "agreement", Role.STAFF),
    ("agreement_list", "agreement", Role.INVESTIGATOR),  # role + guardian grants path
    ("code_list", "code", Role.STAFF),
    ("member_list", "member", Role.ADMIN),
]


@pytest.mark.parametrize("name,kind,role", PAGES, ids=[f"{p[0]}-{p[2]}" for p in PAGES])
def test_list_page_queries_constant(name, kind, role, a, client_for):
    client = client_for(a.user(role))
    url = reverse(f"programs:{name}", kwargs={"program": a.slug})

    def grow(n):
        for _ in range(n):
            GROWERS[kind](a)

    client.get(url)  # warm per-process caches (content types), as in a running server
    assert_constant_queries(lambda: client.get(url), grow)


ENDPOINTS = [
    ("buyers/", "buyer", Role.STAFF),
    ("suppliers/", "supplier", Role.STAFF),
    ("facilities/", "facility", Role.STAFF),
    ("sourcing/", "sourcing", Role.STAFF),
    ("agreements/", "agreement", Role.STAFF),
    ("agreements/", "agreement", Role.BUYER_OFFICER),
    ("codes/", "code", Role.STAFF),
    ("code-versions/", "code", Role.STAFF),
    ("members/", "member", Role.ADMIN),
]


@pytest.mark.parametrize("path,kind,role", ENDPOINTS, ids=[f"{e[0]}-{e[2]}" for e in ENDPOINTS])
def test_list_endpoint_queries_constant(path, kind, role, a, client_for):
    client = client_for(a.user(role))
    url = f"/api/v1/programs/{a.slug}/{path}"
    grow = lambda n: [GROWERS[kind](a) for _ in range(n)]  # noqa: E731
    client.get(url)  # warm per-process caches (content types), as in a running server
    assert_constant_queries(lambda: client.get(url), grow)


def test_provision_pages_and_endpoint_queries_constant(a, client_for):
    draft = services.code_version_draft_create(actor=SystemActor("t"), code=a.code)
    client = client_for(a.user(Role.STAFF))

    def grow(n):
        for _ in range(n):
            services.provision_add(
                actor=SystemActor("t"),
                version=draft,
                number=f"9.{next(_n)}",
                section="S",
                title="T",
                text="X",
            )

    page = reverse("programs:version_detail", kwargs={"program": a.slug, "pk": draft.pk})
    endpoint = f"/api/v1/programs/{a.slug}/provisions/?version={draft.pk}"
    before_page = client.get(page)
    assert before_page.status_code == 200
    assert_constant_queries(lambda: (client.get(page), client.get(endpoint))[1], grow)
