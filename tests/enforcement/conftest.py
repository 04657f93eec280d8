"""Fixtures of the enforcement tests."""

import datetime

import pytest

from core.actors import SystemActor
from enforcement import services
from programs import services as program_services
from tests.utils import sign_agreement

SYSTEM = SystemActor("test-setup")


def add_buyer(world, name, *, agreement=True, sourcing=True, supplier=None):
    """A buyer of ``world``'s program, optionally with an active agreement and an active
    sourcing relationship with ``supplier`` (default: the world's supplier)."""
    program = world.program
    buyer = program_services.buyer_create(
        actor=SYSTEM, program=program, name=name, headquarters_country="US"
    )
    if agreement:
        ag = program_services.agreement_create(
            actor=SYSTEM,
            program=program,
            buyer=buyer,
            title=f"{name} agreement",
            signed_date=datetime.date(2025, 6, 1),
            effective_from=datetime.date(2025, 7, 1),
            premium_rate="0.010000",
            premium_unit="lb",
            consequence_clause="Suspend purchases from suppliers in suspension.",
        )
        sign_agreement(ag)
        program_services.agreement_transition(actor=SYSTEM, agreement=ag, status="active")
    if sourcing:
        program_services.sourcing_create(
            actor=SYSTEM,
            program=program,
            buyer=buyer,
            supplier=supplier or world.supplier,
            since=datetime.date(2025, 7, 1),
        )
    return buyer


def add_premium_provision(world):
    """Ratify a new code version with a premium pass-through provision (major)."""
    draft = program_services.code_version_draft_create(actor=SystemActor("t"), code=world.code)
    program_services.provision_add(
        actor=SystemActor("t"),
        version=draft,
        number="3.1",
        section="Premium",
        title="Premium passed through on every paycheck",
        text="The premium is paid to workers as a line item on each paycheck.",
        category="premium",
        severity="major",
    )
    program_services.code_version_ratify(
        actor=world.user("admin"), version=draft, effective_date=datetime.date(2026, 1, 1)
    )


_seq = {"n": 0}


def propose(world, *, provision=None, facility=None, ref=None, severity=None, summary=None):
    _seq["n"] += 1
    return services.violation_propose(
        actor=world.user("investigator"),
        program=world.program,
        provision=provision or world.provision,
        facility=facility or world.facility,
        severity=severity,
        source_kind="manual",
        source_ref=ref or f"test-{_seq['n']}",
        summary=summary or "Workers reported being prevented from leaving the camp.",
    )


@pytest.fixture
def a(personas):
    return personas.a


@pytest.fixture
def b(personas):
    return personas.b
