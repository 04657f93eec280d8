"""Building buyer obligations the way production does: a violation proposed, confirmed
and its consequences applied through enforcement's services."""

import datetime
import itertools

from core.actors import SystemActor
from core.roles import Role
from enforcement import services as enforcement_services
from enforcement.models import BuyerObligation
from programs import services as program_services
from tests.utils import sign_agreement

SYSTEM = SystemActor("test-setup")
# What a complaint might say: it must never reach a buyer officer.
SECRET_SUMMARY = "Complainant Maria Lopez (crew 4) reported the foreman Jorge Ruiz"
_refs = itertools.count(1)


def bind_other_buyer(world):
    """Give program ``world``'s other buyer an active agreement and sourcing from the
    supplier, so violations there create obligations for it too."""
    agreement = program_services.agreement_create(
        actor=SYSTEM,
        program=world.program,
        buyer=world.other_buyer,
        title="Other buyer's agreement",
        signed_date=datetime.date(2025, 6, 1),
        effective_from=datetime.date(2025, 7, 1),
        premium_rate="0.020000",
        premium_unit="lb",
        consequence_clause="OTHER-BUYER-CLAUSE: suspend purchases.",
    )
    sign_agreement(agreement)
    program_services.agreement_transition(actor=SYSTEM, agreement=agreement, status="active")
    program_services.sourcing_create(
        actor=SYSTEM,
        program=world.program,
        buyer=world.other_buyer,
        supplier=world.supplier,
        since=datetime.date(2025, 7, 1),
    )
    return agreement


def make_violation_obligations(world, *, provision=None):
    """Propose, confirm and apply one violation at the world's facility; return the
    obligations it created, keyed by buyer id."""
    admin = world.user(Role.ADMIN)
    violation = enforcement_services.violation_propose(
        actor=admin,
        program=world.program,
        provision=provision or world.provision,
        facility=world.facility,
        source_kind="manual",
        source_ref=f"test-{world.slug}-{next(_refs)}",
        summary=SECRET_SUMMARY,
    )
    enforcement_services.violation_confirm(actor=admin, violation=violation)
    enforcement_services.consequences_apply(violation=violation)
    return {o.buyer_id: o for o in BuyerObligation.objects.filter(violation=violation)}


def make_obligation(world, buyer=None):
    """One obligation for ``buyer`` (default: the officer's buyer) in ``world``."""
    buyer = buyer or world.buyer
    return make_violation_obligations(world)[buyer.pk]


def add_officer_membership(user, world, buyer=None):
    """Make ``user`` (an officer elsewhere) an officer of ``world``'s buyer too."""
    return program_services.membership_invite(
        actor=SYSTEM,
        program=world.program,
        email=user.email,
        role=Role.BUYER_OFFICER,
        buyer=buyer or world.buyer,
        send_email=False,
    )
