"""Consequence mails survive a worker killed after the consequence committed (issue 13,
defect 5), with real processes: a private redis-server, ``celery worker`` subprocesses
on the pytest database, SIGKILL.

Before the outbox the mails were sent from ``transaction.on_commit`` inside the apply
task: a worker killed after COMMIT lost every mail it had not sent yet (178-262 of 302
per kill), and nothing ever sent them. Now each mail is a ``Notification`` row written
in the apply's transaction; a new worker (redelivery, or the beat sweep once the dead
sender's lease is over) sends every one, exactly once here: the kill landed before the
handoff to the mail server.
"""

import contextlib
import json
import threading
import time
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection

from config.celery import app
from core.actors import SystemActor
from core.roles import Role
from enforcement import services
from enforcement.models import BuyerObligation, Violation, ViolationState
from programs import services as program_services
from programs.models import Membership
from tests.enforcement.conftest import add_buyer, propose
from tests.reliability import conftest as reliability
from tests.reliability import procs
from tests.reliability import test_crash_safety as crash

pytestmark = [pytest.mark.celery_worker]
# The private redis-server and worker-process fixtures of the crash-safety tests.
private_redis, broker = reliability.private_redis, reliability.broker
workers = reliability.workers
wait_for, _queue_drained = procs.wait_for, crash._queue_drained

BUYERS = 30
LEASE = 3


def _buyers_with_officers(world, n):
    for i in range(n):
        buyer = add_buyer(world, f"Outbox Buyer {i:02d}")
        program_services.membership_invite(
            actor=SystemActor("test-setup"),
            program=world.program,
            email=f"officer{i:02d}@buyer{i:02d}.example",
            role=Role.BUYER_OFFICER,
            buyer=buyer,
            send_email=False,
        )


def _expected_mails(world, violation):
    """(address, what) of every mail the consequence owes, from the domain rows alone
    (not from the outbox): each obligated buyer's officers, and the program's staff."""
    buyers = BuyerObligation.objects.filter(violation=violation).values("buyer_id")
    officers = Membership.objects.filter(
        program=world.program, role=Role.BUYER_OFFICER, is_active=True, buyer_id__in=buyers
    ).values_list("user__email", flat=True)
    staff = Membership.objects.filter(
        program=world.program, role__in=[Role.ADMIN, Role.STAFF], is_active=True
    ).values_list("user__email", flat=True)
    return {(a, "buyer") for a in officers if a} | {(a, "staff") for a in staff if a}


def _received(log):
    if not log.exists():
        return []
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    return [
        (address, "staff" if "violation #" in line["subject"] else "buyer")
        for line in lines
        for address in line["to"]
    ]


def _applied(violation):
    state = Violation.objects.values_list("state", flat=True).get(pk=violation.pk)
    return state == ViolationState.CONSEQUENCES_APPLIED


@pytest.mark.django_db(transaction=True)
def test_worker_killed_after_commit_loses_no_consequence_mail(
    personas, broker, workers, tmp_path, monkeypatch
):
    a = personas.a
    _buyers_with_officers(a, BUYERS)
    log, gate = tmp_path / "mail.jsonl", tmp_path / "gate"
    gate.touch()  # the mail server "hangs": the first send waits at the gate
    monkeypatch.setenv("WSR_MAIL_LOG", str(log))
    monkeypatch.setenv("WSR_MAIL_GATE", str(gate))
    monkeypatch.setenv("WSR_NOTIFICATION_LEASE", str(LEASE))

    doomed = workers(broker.url(), name="doomed-mailer")
    violation = propose(a)
    services.violation_confirm(actor=a.user("admin"), violation=violation)
    wait_for(lambda: _applied(violation), "the consequence to commit", logs=[doomed.log])
    wait_for(
        lambda: Path(f"{gate}.waiting").exists(),
        "the worker to start sending the consequence mails",
        logs=[doomed.log],
    )
    expected = _expected_mails(a, violation)
    assert len([e for e in expected if e[1] == "buyer"]) >= BUYERS
    doomed.kill()
    assert _received(log) == []  # the kill came after COMMIT and before any mail left

    gate.unlink()
    survivor = workers(broker.url(), visibility=2, name="survivor-mailer")
    # What the dead worker had claimed is someone else's only once its lease is over;
    # then the beat sweep (sent here by name, as beat does) sends it.
    time.sleep(LEASE + 1)
    app.send_task("core.tasks.sweep_notifications")
    wait_for(
        lambda: set(_received(log)) >= expected,
        "every consequence mail to be sent after the kill",
        logs=[survivor.log],
    )
    wait_for(lambda: _queue_drained(broker), "the broker queue to drain", logs=[survivor.log])
    received = _received(log)
    assert set(received) == expected
    # At least once after a kill; here exactly once, since none had left before it.
    assert len(received) == len(expected), sorted(r for r in received if received.count(r) > 1)

    from core.models import Notification, NotificationState

    rows = Notification.objects.filter(program=a.program)
    assert rows.count() == len(expected)
    assert set(rows.values_list("state", flat=True)) == {NotificationState.SENT}
    # One more sweep sends nothing again.
    app.send_task("core.tasks.sweep_notifications")
    wait_for(lambda: _queue_drained(broker), "the second sweep", logs=[survivor.log])
    assert len(_received(log)) == len(expected)


@pytest.mark.django_db(transaction=True)
def test_normal_path_sends_each_mail_once_through_the_real_worker(personas, celery_worker_real):
    """No kill: the apply task commits, the outbox task sends, each mail once."""
    from core.models import Notification, NotificationState

    a = personas.a
    _buyers_with_officers(a, 12)
    violation = propose(a)
    mail.outbox.clear()
    services.violation_confirm(actor=a.user("admin"), violation=violation)
    expected = None

    def done():
        nonlocal expected
        if not _applied(violation):
            return False
        expected = _expected_mails(a, violation)
        sent = Notification.objects.filter(program=a.program, state=NotificationState.SENT)
        return len(mail.outbox) >= len(expected) and sent.count() >= len(expected)

    wait_for(done, "the consequence mails through the real worker")
    time.sleep(1)  # anything sent twice would arrive now
    received = [(m.to[0], "staff" if "violation #" in m.subject else "buyer") for m in mail.outbox]
    assert sorted(received) == sorted(expected)
    rows = Notification.objects.filter(program=a.program)
    assert rows.count() == len(expected)
    assert set(rows.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_send_each_row_once(personas):
    """Three senders draining one outbox at once (the task and two sweeps, in threads
    with their own connections): each row is claimed by one of them and sent once."""
    from core.models import Notification, NotificationState
    from core.notifications import deliver_due

    a = personas.a
    _buyers_with_officers(a, 40)
    violation = propose(a)
    services.violation_confirm(actor=a.user("admin"), violation=violation)
    # No worker runs here: apply in this process; the rows wait in the outbox.
    services.consequences_apply(violation=violation)
    app.control.purge()
    pending = Notification.objects.filter(program=a.program, state=NotificationState.PENDING)
    assert pending.count() > 40
    mail.outbox.clear()
    barrier = threading.Barrier(3)
    threads = [
        threading.Thread(target=_deliver_in_thread, args=(deliver_due, barrier)) for _ in (1, 2, 3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    headers = [m.extra_headers["X-WSR-Notification"] for m in mail.outbox]
    assert len(headers) == len(set(headers))
    assert sorted(map(int, headers)) == sorted(
        Notification.objects.filter(program=a.program).values_list("pk", flat=True)
    )
    assert not Notification.objects.exclude(state=NotificationState.SENT).exists()


def _deliver_in_thread(deliver_due, barrier):
    try:
        barrier.wait()
        deliver_due()
    finally:
        with contextlib.suppress(Exception):
            connection.close()
