"""A worker's database connection terminated in the middle of an apply (a PostgreSQL
restart, a failover, an administrator's pg_terminate_backend): the task retries with
backoff and applies exactly once, without waiting for the sweeper (issue 13, defect 8).

Only a backend of this test's own database is terminated (checked by name)."""

import contextlib

import psycopg
import pytest

from enforcement.models import ConsequenceApplication, OutboxState, Sanction

from .procs import side_connection, wait_for
from .test_crash_safety import (
    _assert_applied_exactly_once,
    _backend_gone,
    _backend_waiting,
    _confirmed_violation,
    _hold_next_audit_seq,
)

pytestmark = [pytest.mark.celery_worker, pytest.mark.chaos]


@pytest.mark.django_db(transaction=True)
def test_apply_retries_after_its_db_connection_is_terminated(personas, broker, workers):
    a = personas.a
    side = side_connection()
    try:
        violation = _confirmed_violation(a)
        _hold_next_audit_seq(side, a.program.pk)
        worker = workers(broker.url(), name="terminated")
        wait_for(
            lambda: _backend_waiting(side, side.info.backend_pid),
            "the worker to block inside consequences_apply",
            logs=[worker.log],
        )
        pid = _backend_waiting(side, side.info.backend_pid)
        terminated = side.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE pid = %s AND datname = current_database()",
            [pid],
        ).fetchone()
        assert terminated == (True,)
        side.execute("ROLLBACK")
        wait_for(lambda: _backend_gone(side, pid), "the terminated backend to go")
        assert not Sanction.objects.filter(violation=violation).exists()

        # The same worker retries on a new connection; no sweeper runs in this test.
        wait_for(
            lambda: ConsequenceApplication.objects.filter(
                violation=violation, state=OutboxState.APPLIED
            ).exists(),
            "the task to retry and apply",
            timeout=45,
            logs=[worker.log],
        )
        application = _assert_applied_exactly_once(a, violation, buyers_obligated=1)
        assert application.enqueue_count == 0
        assert "Retry in" in worker.log.read_text()
    finally:
        with contextlib.suppress(psycopg.Error):
            side.execute("ROLLBACK")
        side.close()
