"""Real processes for the reliability probes: a redis-server of the test's own (stopped,
restarted or hung with SIGSTOP; the shared Redis is never touched), Celery workers and a
gunicorn on the pytest test database, and a side connection to that database."""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import redis
from django.conf import settings
from django.db import connection
from kombu import pools as kombu_pools

from config.celery import app
from tests.utils import wait_for  # noqa: F401 - the probes import it from here

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SETTINGS = "tests.reliability.proc_settings"


def free_port():
    """A port nobody listens on: the kernel picks it (bind to 0), we release it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pings(client):
    try:
        return client.ping()
    except redis.RedisError:
        return False


class PrivateRedis:
    """A redis-server of this test only (no persistence): stoppable, restartable on the
    same port, and hangable (SIGSTOP: connections are accepted by the kernel, nothing
    answers, as with a wedged server or a partition)."""

    def __init__(self, workdir):
        self.port = free_port()
        self.workdir = workdir
        self.proc = None

    def url(self, db=0):
        return f"redis://127.0.0.1:{self.port}/{db}"

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
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5)
        wait_for(lambda: _pings(client), f"redis-server on port {self.port}", timeout=15)

    def hang(self):
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # a stopped process cannot act on TERM
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None

    def client(self):
        return redis.Redis(port=self.port, socket_timeout=2)


@contextlib.contextmanager
def broker_at(url):
    """Point this process's Celery app (the publisher) at ``url`` for the block, with the
    production settings' socket timeouts."""

    def reset():
        # kombu keeps one pool per broker URL in a global registry; closing ours and
        # clearing the registry makes the next publish connect afresh.
        if app._pool is not None:
            app._pool.force_close_all()
        kombu_pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    old_url = app.conf.broker_url
    reset()
    app.conf.broker_url = url
    try:
        yield
    finally:
        reset()
        app.conf.broker_url = old_url


def _env(broker_url, *, cache_url=None, visibility=3600, lift_throttles=False):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "WSR_PROC_DB": settings.DATABASES["default"]["NAME"],
        "WSR_PROC_BROKER": broker_url,
        "WSR_PROC_VISIBILITY": str(visibility),
    }
    if cache_url:
        env["WSR_PROC_CACHE"] = cache_url
    if lift_throttles:
        env["WSR_PROC_LIFT_THROTTLES"] = "1"
    return env


class _Process:
    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


class Worker(_Process):
    """``celery -A config worker`` as a real process (solo pool: the task runs in the very
    process that gets the SIGKILL)."""

    def __init__(self, broker_url, *, visibility, name, cache_url=None):
        self.log = Path(tempfile.mkstemp(prefix=f"wsr-{name}-", suffix=".log")[1])
        self.proc = subprocess.Popen(
            [
                str(BIN / "celery"),
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
            env=_env(broker_url, cache_url=cache_url, visibility=visibility),
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


class Gunicorn(_Process):
    """The WSGI app under gunicorn on a free loopback port, sync workers."""

    def __init__(self, broker_url, *, cache_url, workers=2, lift_throttles=True):
        self.port = free_port()
        self.log = Path(tempfile.mkstemp(prefix="wsr-gunicorn-", suffix=".log")[1])
        self.proc = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--timeout",
                "120",
                "--log-level",
                "warning",
            ],
            cwd=REPO,
            env=_env(broker_url, cache_url=cache_url, lift_throttles=lift_throttles),
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(self._up, "gunicorn to answer /healthz/", logs=[self.log])

    def _up(self):
        try:
            return self.get("/healthz/", timeout=2)[0] == 200
        except OSError:
            return False

    def get(self, path, timeout=30):
        try:
            url = f"http://127.0.0.1:{self.port}{path}"
            with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - loopback
                return r.status, r.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def post_json(self, path, body, timeout=30):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as r:  # noqa: S310 - http on loopback
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()[:500]


COMPLAINT = {
    "narrative": "The crew leader made us overfill the buckets all week.",
    "facility_description": "The packing house on County Road 12",
    "category": "wages",
    "language": "es",
}


def submit_complaint(server, slug, timeout=30):
    """POST one complaint to the public API; ``(status, body, seconds)``."""
    t0 = time.monotonic()
    status, body = server.post_json(
        f"/api/v1/public/{slug}/complaints/submit/", COMPLAINT, timeout=timeout
    )
    return status, body, time.monotonic() - t0


def side_connection():
    """A connection of its own to the test database (the test holds locks with it)."""
    params = connection.get_connection_params()
    return psycopg.connect(
        dbname=settings.DATABASES["default"]["NAME"],
        **{k: v for k, v in params.items() if k in ("host", "port", "user", "password")},
        autocommit=True,
    )


def add_buyers(world, n, *, supplier=None, prefix="Probe Buyer"):
    """``n`` buyers of ``world``'s program, each with an active agreement and an active
    sourcing relationship with ``supplier`` (default: the world's), in bulk (test setup,
    not the behaviour under test)."""
    import datetime

    from programs.models import Agreement, AgreementStatus, Buyer, SourcingRelationship

    program = world.program
    buyers = Buyer.objects.bulk_create(
        Buyer(program=program, name=f"{prefix} {i:04d}", headquarters_country="US")
        for i in range(n)
    )
    Agreement.objects.bulk_create(
        Agreement(
            program=program,
            buyer=b,
            title=f"{b.name} agreement",
            signed_date=datetime.date(2025, 6, 1),
            effective_from=datetime.date(2025, 7, 1),
            status=AgreementStatus.ACTIVE,
            premium_rate="0.010000",
            consequence_clause="Suspend purchases from suppliers in suspension.",
        )
        for b in buyers
    )
    SourcingRelationship.objects.bulk_create(
        SourcingRelationship(
            program=program,
            buyer=b,
            supplier=supplier or world.supplier,
            since=datetime.date(2025, 7, 1),
        )
        for b in buyers
    )
    return buyers
