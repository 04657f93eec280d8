"""seed_demo: two realistic programs, a persona per role, and idempotent."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from core.audit import verify_chain
from core.models import AuditEvent
from core.roles import Role
from demo.data import DEMO_PASSWORD
from demo.seed import logins
from programs.models import (
    Agreement,
    AgreementStatus,
    Buyer,
    CodeVersionStatus,
    Facility,
    Membership,
    Program,
    Provision,
    SourcingRelationship,
    Supplier,
)


def _row_counts():
    base = str(settings.BASE_DIR)
    counts = {}
    for model in apps.get_models():
        if apps.get_app_config(model._meta.app_label).path.startswith(base) or (
            model._meta.app_label in {"auth", "guardian"}
        ):
            counts[model._meta.label] = model._default_manager.count()
    return counts


@pytest.fixture
def seeded(db):
    call_command("seed_demo", "--strict", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_seed_demo_twice_changes_nothing(seeded):
    before = _row_counts()
    events = list(AuditEvent.objects.order_by("pk").values_list("pk", "hash"))
    call_command("seed_demo", "--strict", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _row_counts() == before
    assert list(AuditEvent.objects.order_by("pk").values_list("pk", "hash")) == events


def test_demo_content(seeded):
    """One seeding (it is slow), several aspects."""
    _two_programs_with_realistic_parties()
    _codes_are_ratified_with_translated_provisions()
    _every_persona_logs_in_and_the_chain_verifies()


def _two_programs_with_realistic_parties():
    farm = Program.objects.get(slug="fair-harvest")
    garment = Program.objects.get(slug="safe-factories")
    assert Buyer.objects.filter(program__in=[farm, garment]).count() == 10
    assert Supplier.objects.filter(program__in=[farm, garment]).count() == 30
    for program, (lat_range, lon_range) in {
        farm: ((25, 36), (-85, -77)),  # Florida, Georgia, the Carolinas
        garment: ((22, 25), (90, 92)),  # Dhaka, Gazipur, Chattogram
    }.items():
        facilities = Facility.objects.filter(program=program)
        assert facilities.count() == 15
        for facility in facilities:
            assert lat_range[0] < facility.latitude < lat_range[1], facility
            assert lon_range[0] < facility.longitude < lon_range[1], facility
            assert facility.os_id and facility.worker_count > 0
        # every supplier sells to at least one buyer; every agreement is active and signed
        assert not Supplier.objects.filter(program=program, sourcing__isnull=True).exists()
        agreements = Agreement.objects.filter(program=program)
        assert agreements.count() == 5
        assert set(agreements.values_list("status", flat=True)) == {AgreementStatus.ACTIVE}
        assert all(a.signatories.count() == 2 for a in agreements)
    assert SourcingRelationship.objects.filter(program=farm).count() == 30
    rates = set(Agreement.objects.filter(program=farm).values_list("premium_rate", "premium_unit"))
    assert rates == {(Decimal("0.01"), "lb")}  # one cent per pound


def _codes_are_ratified_with_translated_provisions():
    for slug, languages in {"fair-harvest": {"es", "ht"}, "safe-factories": {"bn"}}.items():
        program = Program.objects.get(slug=slug)
        provisions = Provision.objects.filter(
            program=program, version__status=CodeVersionStatus.RATIFIED
        )
        assert provisions.count() >= 10
        assert provisions.filter(severity="zero_tolerance").exists()
        for provision in provisions:
            assert set(provision.translations) == languages, provision
            for language in languages:
                assert provision.title_in(language) != provision.title
    forced = Provision.objects.get(program__slug="fair-harvest", number="1.1")
    assert forced.title_in("es") == "Tolerancia cero: trabajo forzoso"


def _every_persona_logs_in_and_the_chain_verifies():
    for program in Program.objects.filter(slug__in=["fair-harvest", "safe-factories"]):
        roles = set(Membership.objects.filter(program=program).values_list("role", flat=True))
        assert roles >= set(Role.values)
        assert verify_chain(program.pk) is None
    for _program, _role, email in logins():
        response = Client().post(reverse("login"), {"username": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email  # a failed login re-renders the form
    officer = Membership.objects.get(user__username="harvest-buyer-officer@example.org")
    assert officer.buyer is not None
