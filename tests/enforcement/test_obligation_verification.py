"""Issue 17, defect 6: an attestation is the buyer's word; the worker organization
verifies it (fulfilled) or rejects it with a reason (open again, the buyer is told why and
can attest again). The overdue and breach clocks run until verification."""

import datetime

import pytest
import time_machine
from django.core import mail

from core.errors import DomainError
from core.models import AuditEvent, Notification, NotificationKind
from core.notifications import deliver_due
from enforcement import services
from enforcement.models import BuyerBreach, ObligationState
from enforcement.tasks import mark_overdue_obligations
from tests.enforcement.conftest import propose

START = datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC)  # due 2026-03-08


def at(day, hour=12):
    return time_machine.travel(datetime.datetime(2026, 3, day, hour, tzinfo=datetime.UTC))


@pytest.fixture
def obligation(a):
    with time_machine.travel(START):
        v = propose(a)
        services.violation_confirm(actor=a.user("admin"), violation=v)
        sanction = services.consequences_apply(violation=v)
    return sanction.obligations.get(buyer=a.buyer)


def attest(a, obligation, note="Orders suspended."):
    return services.obligation_attest(
        actor=a.user("buyer_officer"), obligation=obligation, note=note
    )


def test_attesting_does_not_fulfil_until_verified(a, obligation):
    with at(2):
        attested = attest(a, obligation)
        assert attested.state == ObligationState.ATTESTED
        assert attested.is_open
        done = services.obligation_verify(
            actor=a.user("staff"), obligation=obligation, note="Saw the held POs."
        )
    assert done.state == ObligationState.FULFILLED
    assert done.verified_by == a.user("staff") and done.verified_at is not None
    verbs = list(
        AuditEvent.objects.filter(program=a.program, object_id=str(obligation.pk))
        .order_by("pk")
        .values_list("verb", flat=True)
    )
    assert verbs[-2:] == ["obligation.attested", "obligation.verified"]


def test_reject_needs_a_reason_reopens_and_mails_the_officers(a, obligation):
    with at(2):
        attest(a, obligation)
        with pytest.raises(DomainError):
            services.obligation_reject(actor=a.user("staff"), obligation=obligation, reason=" ")
        obligation.refresh_from_db()
        assert obligation.state == ObligationState.ATTESTED
        rejected = services.obligation_reject(
            actor=a.user("staff"),
            obligation=obligation,
            reason="The letter is not signed by the supplier.",
        )
    # Not yet due: back to acknowledged (attesting acknowledged it), open again.
    assert rejected.state == ObligationState.ACKNOWLEDGED
    assert rejected.is_rejected
    assert rejected.rejection_reason == "The letter is not signed by the supplier."
    event = AuditEvent.objects.get(verb="obligation.rejected")
    assert event.payload["reason"] == "The letter is not signed by the supplier."
    note = Notification.objects.get(kind=NotificationKind.OBLIGATION_REJECTED)
    assert note.recipient == a.user("buyer_officer")
    mail.outbox.clear()
    deliver_due()
    sent = [
        m
        for m in mail.outbox
        if a.user("buyer_officer").email in m.to and "Attestation not accepted" in m.subject
    ]
    assert len(sent) == 1
    assert "not signed by the supplier" in sent[0].body
    assert f"/buyer/obligations/{obligation.pk}/" in sent[0].body
    # The buyer attests again; the staff verify the second attestation.
    with at(3):
        again = attest(a, obligation, note="Signed letter attached.")
        assert again.state == ObligationState.ATTESTED
        assert not again.is_rejected
        done = services.obligation_verify(actor=a.user("staff"), obligation=obligation)
    assert done.state == ObligationState.FULFILLED
    verbs = list(
        AuditEvent.objects.filter(object_id=str(obligation.pk))
        .order_by("pk")
        .values_list("verb", flat=True)
    )
    assert verbs[-4:] == [
        "obligation.attested",
        "obligation.rejected",
        "obligation.attested",
        "obligation.verified",
    ]


def test_rejection_past_due_is_overdue(a, obligation):
    with at(5):
        attest(a, obligation)
    with at(10):
        rejected = services.obligation_reject(
            actor=a.user("staff"), obligation=obligation, reason="No evidence."
        )
    assert rejected.state == ObligationState.OVERDUE and rejected.overdue_at is not None


def test_who_may_verify(a, b, obligation):
    with at(2):
        attest(a, obligation)
        for role in ("buyer_officer", "investigator", "auditor", "viewer"):
            with pytest.raises(DomainError) as exc:
                services.obligation_verify(actor=a.user(role), obligation=obligation)
            assert exc.value.code == "forbidden"
            with pytest.raises(DomainError):
                services.obligation_reject(actor=a.user(role), obligation=obligation, reason="x")
        with pytest.raises(DomainError):  # another program's admin
            services.obligation_verify(actor=b.user("admin"), obligation=obligation)
        services.obligation_verify(actor=a.user("admin"), obligation=obligation)


def test_only_an_attested_obligation_is_verified_or_rejected(a, obligation):
    with pytest.raises(DomainError):
        services.obligation_verify(actor=a.user("staff"), obligation=obligation)
    with pytest.raises(DomainError):
        services.obligation_reject(actor=a.user("staff"), obligation=obligation, reason="no")
    obligation.refresh_from_db()
    assert obligation.state == ObligationState.PENDING


def test_breach_clock_runs_until_verified(a, obligation):
    """Attested before the due date, never verified: it is late on the due date and a
    breach after the grace period, like an obligation nobody attested."""
    with at(5):
        attest(a, obligation)
    with at(9, 1):
        assert mark_overdue_obligations() == {"overdue": 1, "breached": 0}
        assert mark_overdue_obligations() == {"overdue": 0, "breached": 0}
    obligation.refresh_from_db()
    assert obligation.state == ObligationState.ATTESTED and obligation.overdue_at is not None
    with at(23):
        assert mark_overdue_obligations()["breached"] == 1
    obligation.refresh_from_db()
    assert obligation.state == ObligationState.BREACHED
    assert BuyerBreach.objects.filter(obligation=obligation).exists()


def test_verified_in_time_stops_the_clock(a, obligation):
    with at(5):
        attest(a, obligation)
    with at(12):
        services.obligation_verify(actor=a.user("staff"), obligation=obligation)
    with at(30):
        assert mark_overdue_obligations() == {"overdue": 0, "breached": 0}
    obligation.refresh_from_db()
    assert obligation.state == ObligationState.FULFILLED


def test_reminders_wait_while_attested_and_resume_after_rejection(a, obligation):
    """The buyer is not reminded of an obligation it attested and the staff are checking;
    once rejected past its due date, the overdue reminder goes out."""
    from buyers.notifications import OVERDUE_THRESHOLD, reminders_due

    with at(5):
        attest(a, obligation)
    assert reminders_due(today=datetime.date(2026, 3, 10)) == []
    with at(10):
        services.obligation_reject(actor=a.user("staff"), obligation=obligation, reason="No.")
    assert reminders_due(today=datetime.date(2026, 3, 10)) == [
        (obligation.pk, a.program.pk, OVERDUE_THRESHOLD)
    ]
