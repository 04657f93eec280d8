"""The buyer portal of an officer in many programs (issue 16): the same number of
queries for 1 program or 6, and the same rows as the per-program definitions."""

import datetime
import itertools
from decimal import Decimal

import pytest
from django.urls import reverse

from buyers import selectors as portal_selectors
from core.roles import Role
from premiums import selectors as premiums_selectors
from premiums.models import PremiumPayment, PurchaseReport
from programs import selectors as program_selectors
from programs import services as program_services
from tests.utils import count_queries, sign_agreement

from .helpers import SYSTEM, add_officer_membership

pytestmark = pytest.mark.django_db

_n = itertools.count()


def _another_program(officer):
    i = next(_n)
    program = program_services.program_create(
        actor=SYSTEM, slug=f"extra-{i}", name=f"Extra Program {i}", worker_organization="W"
    )
    buyer = program_services.buyer_create(
        actor=SYSTEM, program=program, name=f"Extra Buyer {i}", headquarters_country="US"
    )
    supplier = program_services.supplier_create(
        actor=SYSTEM, program=program, legal_name=f"Extra Grower {i}", country="US"
    )
    for status in ("active", "draft"):
        agreement = program_services.agreement_create(
            actor=SYSTEM,
            program=program,
            buyer=buyer,
            title=f"Agreement {i} {status}",
            signed_date=datetime.date(2025, 6, 1),
            effective_from=datetime.date(2025, 7, 1),
            premium_rate="0.010000",
            premium_unit="lb",
            consequence_clause="c",
        )
        if status == "active":
            program_services.signatory_add(
                actor=SYSTEM, agreement=agreement, party="buyer", name="Signer"
            )
            sign_agreement(agreement)
            program_services.agreement_transition(
                actor=SYSTEM, agreement=agreement, status="active"
            )
    start = datetime.date(2026, 1, 5)
    PurchaseReport.objects.create(
        program=program,
        buyer=buyer,
        supplier=supplier,
        period_start=start,
        period_end=start + datetime.timedelta(days=6),
        volume=Decimal("1000.000"),
        unit="lb",
        premium_rate=Decimal("0.010000"),
        premium_owed=Decimal("10.00"),
    )
    PremiumPayment.objects.create(
        program=program,
        buyer=buyer,
        supplier=supplier,
        period_start=start,
        period_end=start + datetime.timedelta(days=6),
        amount=Decimal("7.50"),
        paid_on=start,
    )

    class World:
        pass

    world = World()
    world.program, world.buyer = program, buyer
    add_officer_membership(officer, world)
    return program


PAGES = ["buyer:portal", "buyer:agreement_list", "buyer:premium"]
API = ["buyer-api:agreement-list", "buyer-api:premium-list"]


@pytest.mark.parametrize("name", PAGES + API)
def test_portal_queries_constant_in_the_number_of_programs(personas, client_for, name):
    officer = personas.a.user(Role.BUYER_OFFICER)
    client = client_for(officer)
    url = reverse(name)
    _another_program(officer)
    assert client.get(url).status_code == 200  # warm per-process caches
    before, first = count_queries(lambda: client.get(url))
    for _ in range(4):
        _another_program(officer)
    after, second = count_queries(lambda: client.get(url))
    assert first.status_code == second.status_code == 200
    assert before == after, f"{name}: {before} → {after} queries for 2 → 6 programs"


def test_one_query_rows_equal_the_per_program_definitions(personas):
    a, b = personas.a, personas.b
    officer = a.user(Role.BUYER_OFFICER)
    for _ in range(3):
        _another_program(officer)
    # a grant shared with the officer in program A (a draft: not visible by role)
    draft = program_services.agreement_create(
        actor=SYSTEM,
        program=a.program,
        buyer=a.buyer,
        title="Shared draft",
        effective_from=datetime.date(2026, 1, 1),
        consequence_clause="c",
    )
    program_services.agreement_share(actor=a.user(Role.ADMIN), agreement=draft, user=officer)
    memberships = portal_selectors.officer_memberships(user=officer)
    assert len(memberships) == 4

    n, agreements = count_queries(
        lambda: list(portal_selectors.agreement_list(user=officer, memberships=memberships))
    )
    assert n == 2  # the agreements, their signatories
    expected = set()
    for m in memberships:
        expected |= set(
            program_selectors.agreements_visible(program=m.program, user=officer, membership=m)
        )
    assert set(agreements) == expected and draft in expected
    assert not any(x.program_id == b.program.pk for x in agreements)

    n, periods = count_queries(lambda: portal_selectors.premium_periods(memberships=memberships))
    assert n == 1
    old = []
    for m in memberships:
        for row in premiums_selectors.reconciliation_in_python(program=m.program, buyer=m.buyer_id):
            old.append({**row, "program_id": m.program_id, "program_name": m.program.name})
    old.sort(key=lambda r: (r["period_start"], r["program_name"]), reverse=True)
    assert periods == old and len(old) == 3


@pytest.mark.mfa
@pytest.mark.parametrize("name", ["buyer:portal", "buyer:agreement_list"])
def test_portal_queries_constant_in_programs_with_the_real_mfa_rule(personas, client_for, name):
    """The bench's officer in 51 programs paid 64 queries for the portal's home: the MFA
    middleware (real here; the other tests mark logins verified) asked each program's
    enforcement settings who may confirm violations, one query per membership, on every
    request of a session without a second factor. Now one query for all of them."""
    from core import mfa

    officer = personas.a.user(Role.BUYER_OFFICER)
    client = client_for(officer)
    url = reverse(name)
    _another_program(officer)
    assert client.get(url).status_code == 200  # an officer needs no second factor
    before, first = count_queries(lambda: client.get(url))
    rule_before, required = count_queries(lambda: mfa.mfa_required(officer))
    for _ in range(4):
        _another_program(officer)
    after, second = count_queries(lambda: client.get(url))
    rule_after, still = count_queries(lambda: mfa.mfa_required(officer))
    assert first.status_code == second.status_code == 200
    assert required is still is False
    assert rule_before == rule_after, f"mfa_required: {rule_before} → {rule_after} queries"
    assert before == after, f"{name}: {before} → {after} queries for 2 → 6 programs"
