"""Crash safety of the enforcement flow with real processes.

1. A Celery worker process is SIGKILLed in the middle of ``consequences_apply`` (inside
   its transaction, after the sanction and obligations rows were written but before
   commit). Another worker is started: the violation ends applied exactly once.
2. Redis is stopped while a violation is confirmed: the confirmation commits; when Redis
   returns, the sweeper re-enqueues it and a worker applies it.

Both run against a redis-server this test starts on a free port (the shared servers are
never stopped) and worker subprocesses on the pytest test database (tests/reliability/
procs.py). To make the kill land mid-apply, the test inserts, uncommitted, an audit event
with the chain's next sequence number: the worker's apply writes its rows (sanction,
standing, obligations) and then waits on the unique index in its audit append, its last
statement before COMMIT. (It used to hold the audit-chain lock instead; since the lock
order of core/audit.py, apply takes that lock first, before writing anything.)
"""

import contextlib
import datetime
import signal

import psycopg
import pytest
import time_machine
from django.utils import timezone

from config.celery import app
from core.audit import verify_chain
from core.models import AuditEvent
from enforcement import services
from enforcement.models import (
    BuyerObligation,
    ConsequenceApplication,
    OutboxState,
    Sanction,
    Violation,
    ViolationState,
)
from enforcement.tasks import sweep_unapplied_consequences
from tests.enforcement.conftest import add_buyer, propose

from .procs import side_connection, wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.chaos]


def _hold_next_audit_seq(side, program_id):
    """Open a transaction on ``side`` holding (uncommitted) the chain's next seq: the
    worker's append of its audit events, its last statement before COMMIT, waits on the
    unique index until ``side`` rolls back."""
    side.execute("BEGIN")
    side.execute(
        "INSERT INTO wsr_auditevent (program_id, seq, actor_label, verb, object_type,"
        " object_id, payload, created_at, prev_hash, hash) SELECT %s, coalesce(max(seq),"
        " 0) + 1, 'test', 'test.placeholder', '', '', '{}', now(), '', md5(random()::text)"
        " FROM wsr_auditevent WHERE program_id = %s",
        [program_id, program_id],
    )


def _backend_waiting(side, skip_pid):
    """The pid of a backend of the test database waiting for a lock (the worker's)."""
    # Inside a transaction pg_stat_activity is a snapshot taken at its first read.
    side.execute("SELECT pg_stat_clear_snapshot()")
    row = side.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND pid <> %s",
        [skip_pid],
    ).fetchone()
    return row[0] if row else None


def _backend_gone(side, pid):
    row = side.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    return row[0] == 0


def _confirmed_violation(world):
    violation = propose(world)
    services.violation_confirm(actor=world.user("admin"), violation=violation)
    return violation


def _state(violation):
    return Violation.objects.values_list("state", flat=True).get(pk=violation.pk)


def _assert_applied_exactly_once(world, violation, buyers_obligated):
    assert _state(violation) == ViolationState.CONSEQUENCES_APPLIED
    assert Sanction.objects.filter(violation=violation).count() == 1
    obligations = BuyerObligation.objects.filter(violation=violation)
    assert obligations.count() == buyers_obligated
    assert obligations.values("buyer").distinct().count() == buyers_obligated
    application = ConsequenceApplication.objects.get(violation=violation)
    assert application.state == OutboxState.APPLIED
    sanction = Sanction.objects.get(violation=violation)
    events = AuditEvent.objects.filter(program=world.program)
    assert events.filter(verb="sanction.created", object_id=str(sanction.pk)).count() == 1
    assert verify_chain(world.program.pk) is None
    return application


def _queue_drained(server):
    client = server.client()
    return client.llen("default") == 0 and client.hlen("unacked") == 0


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_apply_then_restarted_applies_exactly_once(personas, broker, workers):
    a = personas.a
    add_buyer(a, "Second Buyer")  # two buyers with agreements source from the supplier
    side = side_connection()
    first = None
    try:
        # The confirmation commits and publishes to the private broker; the lock is
        # taken after, so the test's own audit writes do not wait on it.
        violation = _confirmed_violation(a)
        _hold_next_audit_seq(side, a.program.pk)
        first = workers(broker.url(), name="doomed")
        wait_for(
            lambda: _backend_waiting(side, side.info.backend_pid),
            "the first worker to block inside consequences_apply",
            logs=[first.log],
        )
        pid = _backend_waiting(side, side.info.backend_pid)
        # Mid-apply for sure: the worker has written its rows and waits in the audit
        # append, holding the outbox row lock in an open transaction; nothing of it is
        # visible yet.
        side.execute("SELECT pg_stat_clear_snapshot()")
        query = side.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
        assert query[0].lstrip().upper().startswith('INSERT INTO "WSR_AUDITEVENT"')
        locked = side.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE l.pid = %s AND c.relname = %s",
            [pid, ConsequenceApplication._meta.db_table],
        ).fetchone()[0]
        assert locked > 0
        assert not Sanction.objects.filter(violation=violation).exists()

        first.kill()
        assert first.proc.returncode == -signal.SIGKILL
        # PostgreSQL notices the dead client once the statement it waits in returns:
        # release the lock, and the orphaned transaction is rolled back, not committed.
        side.execute("ROLLBACK")
        wait_for(lambda: _backend_gone(side, pid), "the killed worker's transaction to end")
        assert _state(violation) == ViolationState.CONFIRMED
        assert not Sanction.objects.filter(violation=violation).exists()
        assert not BuyerObligation.objects.filter(violation=violation).exists()
        assert ConsequenceApplication.objects.get(violation=violation).state == OutboxState.PENDING
        # The message was taken and never acknowledged: it waits in Redis's unacked set.
        assert broker.client().hlen("unacked") == 1

        second = workers(broker.url(), visibility=2, name="survivor")
        wait_for(
            lambda: _state(violation) == ViolationState.CONSEQUENCES_APPLIED,
            "the restarted worker to apply the redelivered task",
            logs=[second.log],
        )
        wait_for(lambda: _queue_drained(broker), "the broker queue to drain", logs=[second.log])
        application = _assert_applied_exactly_once(a, violation, buyers_obligated=2)
        # Redelivery did it, not the sweeper.
        assert application.enqueue_count == 0

        # The sweeper finds nothing left to do, and one more delivery changes nothing.
        with time_machine.travel(timezone.now() + datetime.timedelta(minutes=5), tick=False):
            assert sweep_unapplied_consequences() == 0
        app.send_task("enforcement.tasks.apply_consequences", args=[violation.pk, a.program.pk])
        wait_for(lambda: _queue_drained(broker), "the duplicate to be consumed", logs=[second.log])
        _assert_applied_exactly_once(a, violation, buyers_obligated=2)
    finally:
        with contextlib.suppress(psycopg.Error):
            side.execute("ROLLBACK")
        side.close()


@pytest.mark.django_db(transaction=True)
def test_redis_down_during_confirmation_then_sweeper_applies(personas, broker, workers):
    a = personas.a
    violation = propose(a)
    broker.stop()
    publish_error = None
    try:
        services.violation_confirm(actor=a.user("admin"), violation=violation)
    except Exception as exc:  # noqa: BLE001 - recorded and asserted below
        publish_error = exc
    # Whatever the broker did, the confirmation and its outbox row are committed.
    assert _state(violation) == ViolationState.CONFIRMED
    application = ConsequenceApplication.objects.get(violation=violation)
    assert application.state == OutboxState.PENDING
    assert AuditEvent.objects.filter(
        program=a.program, verb="violation.confirmed", object_id=str(violation.pk)
    ).exists()

    broker.start()
    worker = workers(broker.url(), visibility=2, name="after-outage")
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=5), tick=False):
        assert sweep_unapplied_consequences() == 1
    wait_for(
        lambda: _state(violation) == ViolationState.CONSEQUENCES_APPLIED,
        "the worker to apply the swept violation",
        logs=[worker.log],
    )
    application = _assert_applied_exactly_once(a, violation, buyers_obligated=1)
    assert application.enqueue_count == 1
    # The caller (a view or API request) must not fail because the broker was down.
    assert publish_error is None, (
        f"violation_confirm raised after its commit while Redis was down: {publish_error!r}"
    )
