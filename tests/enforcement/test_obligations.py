"""Buyer obligations: acknowledge, attest, waive, overdue and breach on the clock."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from core.actors import SystemActor
from core.errors import DomainError, IllegalTransition
from core.models import AuditEvent
from enforcement import selectors, services
from enforcement.models import BuyerBreach, ObligationState
from enforcement.tasks import mark_overdue_obligations
from programs import services as program_services
from tests.conftest import make_user
from tests.enforcement.conftest import add_buyer, propose

START = datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC)


def at(day, hour=12):
    return time_machine.travel(datetime.datetime(2026, 3, day, hour, tzinfo=datetime.UTC))


def sanction_now(world):
    v = propose(world)
    services.violation_confirm(actor=world.user("admin"), violation=v)
    return services.consequences_apply(violation=v)


@pytest.fixture
def obligation(a):
    with time_machine.travel(START):
        sanction = sanction_now(a)
    return sanction.obligations.get(buyer=a.buyer)


def officer_of(world, buyer, email):
    user = make_user(email)
    program_services.membership_invite(
        actor=SystemActor("t"),
        program=world.program,
        email=email,
        role="buyer_officer",
        buyer=buyer,
        send_email=False,
    )
    return user


def test_acknowledge_then_attest_with_evidence(a, obligation):
    officer = a.user("buyer_officer")
    assert obligation.due_date == datetime.date(2026, 3, 8)
    services.obligation_acknowledge(actor=officer, obligation=obligation)
    evidence = SimpleUploadedFile("held-orders.pdf", b"%PDF-1.7 orders on hold", "application/pdf")
    done = services.obligation_attest(
        actor=officer, obligation=obligation, note="All POs suspended.", evidence=evidence
    )
    # The buyer's word alone does not fulfil it (issue 17, defect 6).
    assert done.state == ObligationState.ATTESTED
    assert len(done.evidence_sha256) == 64
    with pytest.raises(IllegalTransition):
        services.obligation_acknowledge(actor=officer, obligation=obligation)
    verbs = set(AuditEvent.objects.filter(program=a.program).values_list("verb", flat=True))
    assert {"obligation.acknowledged", "obligation.attested"} <= verbs


def test_evidence_is_checked_by_content(a, obligation):
    fake = SimpleUploadedFile("x.pdf", b"\x00\x01binary\x00junk", "application/pdf")
    with pytest.raises(DomainError):
        services.obligation_attest(
            actor=a.user("buyer_officer"), obligation=obligation, note="done", evidence=fake
        )
    obligation.refresh_from_db()
    assert obligation.state == ObligationState.PENDING


def test_only_that_buyers_officer_may_act(a, b, obligation):
    other = add_buyer(a, "Rival Buyer")
    rival_officer = officer_of(a, other, "rival@example.org")
    for actor in (rival_officer, a.user("admin"), a.user("staff"), b.user("buyer_officer")):
        for call in (services.obligation_acknowledge, services.obligation_attest):
            kwargs = {"note": "x"} if call is services.obligation_attest else {}
            with pytest.raises(DomainError) as exc:
                call(actor=actor, obligation=obligation, **kwargs)
            assert exc.value.code == "forbidden"


def test_waive_only_by_admin_with_reason(a, obligation):
    with pytest.raises(DomainError):
        services.obligation_waive(actor=a.user("staff"), obligation=obligation, reason="x")
    with pytest.raises(DomainError):
        services.obligation_waive(actor=a.user("admin"), obligation=obligation, reason=" ")
    waived = services.obligation_waive(
        actor=a.user("admin"), obligation=obligation, reason="Supplier closed the farm."
    )
    assert waived.state == ObligationState.WAIVED
    assert AuditEvent.objects.filter(verb="obligation.waived").count() == 1


def test_overdue_then_breach_on_the_clock(a, obligation):
    settings = services.settings_for(a.program)
    assert settings.breach_grace_days == 14
    with at(8, 23):  # the due date itself: not yet overdue
        assert mark_overdue_obligations()["overdue"] == 0
    with at(9, 1):
        assert mark_overdue_obligations() == {"overdue": 1, "breached": 0}
    obligation.refresh_from_db()
    assert obligation.state == ObligationState.OVERDUE
    with at(22):  # due + 14 days: still within grace
        assert mark_overdue_obligations()["breached"] == 0
    with at(23):
        assert mark_overdue_obligations()["breached"] == 1
        assert mark_overdue_obligations()["breached"] == 0
    obligation.refresh_from_db()
    assert obligation.state == ObligationState.BREACHED
    breach = BuyerBreach.objects.get(obligation=obligation)
    assert breach.buyer == a.buyer and breach.agreement == a.agreement
    assert list(selectors.buyer_breaches(program=a.program)) == [breach]
    verbs = list(AuditEvent.objects.filter(program=a.program).values_list("verb", flat=True))
    assert verbs.count("obligation.overdue") == 1 and verbs.count("obligation.breached") == 1


def test_late_attestation_verified_before_breach_fulfils(a, obligation):
    with at(10):
        mark_overdue_obligations()
        services.obligation_attest(
            actor=a.user("buyer_officer"), obligation=obligation, note="Late, but done."
        )
        services.obligation_verify(actor=a.user("staff"), obligation=obligation)
    with at(30):
        assert mark_overdue_obligations()["breached"] == 0
    obligation.refresh_from_db()
    assert obligation.state == ObligationState.FULFILLED


def test_ended_sourcing_or_agreement_means_no_obligation(a):
    program_services.sourcing_end(
        actor=SystemActor("t"), relationship=a.sourcing, until=datetime.date(2026, 1, 1)
    )
    gone = add_buyer(a, "Expired Agreement Buyer")
    for ag in gone.agreements.all():
        program_services.agreement_transition(
            actor=SystemActor("t"), agreement=ag, status="expired"
        )
    with time_machine.travel(START):
        sanction = sanction_now(a)
    assert sanction.obligations.count() == 0
