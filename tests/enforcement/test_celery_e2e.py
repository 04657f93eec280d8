"""End to end with a real Celery worker on the real Redis (transactional tests)."""

import datetime
import threading

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from core.actors import SystemActor
from core.models import AuditEvent
from enforcement import selectors, services
from enforcement.models import (
    BuyerObligation,
    ConsequenceApplication,
    OutboxState,
    Sanction,
    Standing,
    StandingEvent,
    ViolationState,
)
from enforcement.tasks import apply_consequences, sweep_unapplied_consequences
from programs import services as program_services
from tests.conftest import make_user
from tests.enforcement.conftest import add_buyer, propose
from tests.utils import wait_for

pytestmark = [pytest.mark.celery_worker]


def applied(violation):
    def check():
        violation.refresh_from_db()
        return violation.state == ViolationState.CONSEQUENCES_APPLIED

    return check


def add_officer(world, buyer, email):
    user = make_user(email)
    program_services.membership_invite(
        actor=SystemActor("test-setup"),
        program=world.program,
        email=user.email,
        role="buyer_officer",
        buyer=buyer,
        send_email=False,
    )
    return user


def confirm_without_publish(actor, violation):
    """Confirm and commit, but lose the publish: as if the process died between the
    commit and the broker call (the on-commit hooks never run)."""
    with transaction.atomic():
        services.violation_confirm(actor=actor, violation=violation)
        connection.run_on_commit.clear()


def test_confirm_zero_tolerance_applies_once_across_three_buyers(celery_worker_real, personas):
    a = personas.a
    second = add_buyer(a, "Second Buyer")
    third = add_buyer(a, "Third Buyer")
    # Sources from the supplier but has no agreement: no obligation.
    program_services.sourcing_create(
        actor=SystemActor("test-setup"),
        program=a.program,
        buyer=a.other_buyer,
        supplier=a.supplier,
        since=datetime.date(2025, 7, 1),
    )
    add_officer(a, second, "officer@second.example.org")
    add_officer(a, third, "officer@third.example.org")
    add_officer(a, a.other_buyer, "officer@other.example.org")
    violation = propose(a)
    mail.outbox.clear()

    services.violation_confirm(actor=a.user("admin"), violation=violation)
    wait_for(applied(violation), "the worker to apply the consequences")
    wait_for(lambda: len(mail.outbox) >= 5, "the notification mails")

    standing = selectors.supplier_standings(program=a.program)[a.supplier.pk]
    assert standing["standing"] == Standing.SUSPENDED
    assert standing["suspended_until"] == timezone.localdate() + datetime.timedelta(days=90)
    obligations = BuyerObligation.objects.filter(violation=violation)
    assert obligations.count() == 3
    assert {o.buyer_id for o in obligations} == {a.buyer.pk, second.pk, third.pk}
    assert all(o.kind == "suspend_purchases" for o in obligations)

    recipients = [set(m.to) for m in mail.outbox]
    assert {"buyer_officer@alpha.example.org"} in recipients
    assert {"officer@second.example.org"} in recipients
    assert {"officer@third.example.org"} in recipients
    assert not any("officer@other.example.org" in r for r in recipients)
    # The staff summary: one mail to each admin and staff member.
    staff_mail = [m for m in mail.outbox if "violation #" in m.subject]
    assert sorted(m.to[0] for m in staff_mail) == [
        "admin@alpha.example.org",
        "staff@alpha.example.org",
    ]
    assert len(mail.outbox) == 5

    verbs = list(
        AuditEvent.objects.filter(program=a.program, created_at__gte=violation.created_at)
        .order_by("seq")
        .values_list("verb", flat=True)
    )
    assert verbs.count("violation.confirmed") == 1
    assert verbs.count("sanction.created") == 1
    assert verbs.count("standing.changed") == 1
    assert verbs.count("obligation.created") == 3
    assert verbs.count("violation.consequences_applied") == 1

    # Redelivery through the broker: five more deliveries change nothing.
    for _ in range(5):
        apply_consequences.delay(violation.pk, a.program.pk)
    marker = services.violation_propose(
        actor=a.user("investigator"),
        program=a.program,
        provision=a.provision,
        facility=a.facility,
        severity="minor",
        source_kind="manual",
        source_ref="after-redelivery",
        summary="A later minor finding, confirmed to know the queue has drained.",
    )
    services.violation_confirm(actor=a.user("admin"), violation=marker)
    wait_for(applied(marker), "the queue to drain")
    assert Sanction.objects.filter(violation=violation).count() == 1
    assert BuyerObligation.objects.filter(violation=violation).count() == 3
    assert AuditEvent.objects.filter(program=a.program, verb="sanction.created").count() == 2


def test_apply_task_five_times_and_from_two_threads_gives_one_result(transactional_db, personas):
    a = personas.a
    add_buyer(a, "Second Buyer")
    add_buyer(a, "Third Buyer")
    first = propose(a)
    confirm_without_publish(a.user("admin"), first)

    for _ in range(5):
        apply_consequences(first.pk, a.program.pk)
    assert Sanction.objects.filter(violation=first).count() == 1
    assert BuyerObligation.objects.filter(violation=first).count() == 3
    assert StandingEvent.objects.filter(source_ref=str(first.pk)).count() == 1

    second = propose(a, provision=first.provision)
    confirm_without_publish(a.user("admin"), second)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(apply_consequences(second.pk, a.program.pk))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert len(results) == 2
    assert len([r for r in results if r is not None]) == 1
    assert Sanction.objects.filter(violation=second).count() == 1
    assert BuyerObligation.objects.filter(violation=second).count() == 3
    assert (
        AuditEvent.objects.filter(
            program=a.program, verb="violation.consequences_applied", object_id=str(second.pk)
        ).count()
        == 1
    )
    # The second zero-tolerance violation within the window terminates the supplier.
    assert selectors.supplier_standings(program=a.program)[a.supplier.pk]["standing"] == (
        Standing.TERMINATED
    )


def test_sweeper_applies_a_violation_whose_task_was_never_published(celery_worker_real, personas):
    a = personas.a
    violation = propose(a)
    confirm_without_publish(a.user("admin"), violation)
    application = ConsequenceApplication.objects.get(violation=violation)
    assert application.state == OutboxState.PENDING

    # Too fresh for the sweeper: the normal publish may still be on its way.
    assert sweep_unapplied_consequences() == 0
    # A minute later it is stale (test setup: age the outbox row).
    ConsequenceApplication.objects.filter(pk=application.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=2)
    )
    sweep_unapplied_consequences.delay()
    wait_for(applied(violation), "the sweeper's re-enqueued task to apply the violation")
    application.refresh_from_db()
    assert application.state == OutboxState.APPLIED
    assert application.enqueue_count == 1
    assert Sanction.objects.filter(violation=violation).count() == 1
    assert BuyerObligation.objects.filter(violation=violation).count() == 1
