"""Crash safety of the enforcement flow with real processes.

1. A Celery worker process is SIGKILLed in the middle of ``consequences_apply`` (inside
   its transaction, after the sanction and obligations rows were written but before
   commit). Another worker is started: the violation ends applied exactly once.
2. Redis is stopped while a violation is confirmed: the confirmation commits; when Redis
   returns, the sweeper re-enqueues it and a worker applies it.

Both run against a redis-server this test starts on a free port (the shared servers are
never stopped) and worker subprocesses on the pytest test database. To make the kill
land mid-apply, the test holds the PostgreSQL advisory lock that serializes appends to
the program's audit chain (core.audit): the worker's apply transaction blocks on it at its
first audit_log call, with its rows written and not committed.
"""

import contextlib
import datetime
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
import redis
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import timezone
from kombu import pools as kombu_pools

from config.celery import app
from core.audit import _LOCK_NAMESPACE, verify_chain
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

pytestmark = [pytest.mark.celery_worker]
REPO = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))
TIMEOUT = 60


def wait_for(predicate, what, timeout=TIMEOUT, logs=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    tails = "".join(f"\n--- {p}\n{Path(p).read_text()[-3000:]}" for p in logs if Path(p).exists())
    pytest.fail(f"timed out waiting for {what}{tails}")


def _free_port(start=6390):
    for port in range(start, start + 100):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port for a private redis-server")


class PrivateRedis:
    """A redis-server of this test only (no persistence), stoppable and restartable on
    the same port."""

    def __init__(self, workdir):
        self.port = _free_port()
        self.workdir = workdir
        self.proc = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        wait_for(lambda: _pings(client), f"redis-server on port {self.port}", timeout=15)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


def _pings(client):
    try:
        return client.ping()
    except redis.RedisError:
        return False


@pytest.fixture
def private_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def broker_at(url):
    """Point this process's Celery app (the publisher) at ``url`` for the block."""

    def reset():
        # kombu keeps one pool per broker URL in a global registry; closing ours and
        # clearing the registry makes the next publish connect afresh.
        if app._pool is not None:
            app._pool.force_close_all()
        kombu_pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    old_url, old_options = app.conf.broker_url, app.conf.broker_transport_options
    reset()
    app.conf.broker_url = url
    # Fail fast while Redis is down instead of blocking the confirming request.
    app.conf.broker_transport_options = {"socket_connect_timeout": 1, "socket_timeout": 2}
    try:
        yield
    finally:
        reset()
        app.conf.broker_url, app.conf.broker_transport_options = old_url, old_options


@pytest.fixture
def broker(private_redis):
    with broker_at(private_redis.url):
        yield private_redis


class Worker:
    """``celery -A config worker`` as a real process (solo pool: the task runs in the very
    process that gets the SIGKILL)."""

    def __init__(self, broker_url, *, visibility, name):
        self.log = Path(tempfile.mkstemp(prefix=f"wsr-{name}-", suffix=".log")[1])
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.security.crash_settings",
            "WSR_CRASH_DB": settings.DATABASES["default"]["NAME"],
            "WSR_CRASH_BROKER": broker_url,
            "WSR_CRASH_VISIBILITY": str(visibility),
        }
        self.proc = subprocess.Popen(
            [
                CELERY,
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "-Q",
                "default,reports",
                "-n",
                f"{name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "info",
            ],
            cwd=REPO,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def workers():
    started = []

    def start(broker_url, *, visibility=3600, name="worker"):
        worker = Worker(broker_url, visibility=visibility, name=name)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
        worker.log.unlink(missing_ok=True)


def _side_connection():
    """A connection of its own to the test database (the test holds a lock with it)."""
    params = connection.get_connection_params()
    return psycopg.connect(
        dbname=settings.DATABASES["default"]["NAME"],
        **{k: v for k, v in params.items() if k in ("host", "port", "user", "password")},
        autocommit=True,
    )


def _blocked_on_audit_lock(side, program_id):
    row = side.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND classid = %s AND objid = %s",
        [_LOCK_NAMESPACE, program_id],
    ).fetchone()
    return row[0] > 0


def _backend_waiting(side, program_id):
    row = side.execute(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND classid = %s AND objid = %s",
        [_LOCK_NAMESPACE, program_id],
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
    client = redis.Redis(port=server.port)
    return client.llen("default") == 0 and client.hlen("unacked") == 0


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_apply_then_restarted_applies_exactly_once(personas, broker, workers):
    a = personas.a
    add_buyer(a, "Second Buyer")  # two buyers with agreements source from the supplier
    side = _side_connection()
    first = None
    try:
        # The confirmation commits and publishes to the private broker; the lock is
        # taken after, so the test's own audit writes do not wait on it.
        violation = _confirmed_violation(a)
        side.execute("SELECT pg_advisory_lock(%s, %s)", [_LOCK_NAMESPACE, a.program.pk])
        first = workers(broker.url, name="doomed")
        wait_for(
            lambda: _blocked_on_audit_lock(side, a.program.pk),
            "the first worker to block inside consequences_apply",
            logs=[first.log],
        )
        pid = _backend_waiting(side, a.program.pk)
        # Mid-apply for sure: the worker holds the outbox row lock (FOR UPDATE) in an
        # open transaction; nothing of it is visible yet.
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
        side.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_NAMESPACE, a.program.pk])
        wait_for(lambda: _backend_gone(side, pid), "the killed worker's transaction to end")
        assert _state(violation) == ViolationState.CONFIRMED
        assert not Sanction.objects.filter(violation=violation).exists()
        assert not BuyerObligation.objects.filter(violation=violation).exists()
        assert ConsequenceApplication.objects.get(violation=violation).state == OutboxState.PENDING
        # The message was taken and never acknowledged: it waits in Redis's unacked set.
        assert redis.Redis(port=broker.port).hlen("unacked") == 1

        second = workers(broker.url, visibility=2, name="survivor")
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
            side.execute("SELECT pg_advisory_unlock_all()")
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
    worker = workers(broker.url, visibility=2, name="after-outage")
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
