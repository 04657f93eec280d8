"""Fixtures of the reliability probes (real processes; see procs.py)."""

import os
import shutil

import pytest

from .procs import Gunicorn, PrivateRedis, Worker, broker_at


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


@pytest.fixture
def broker(private_redis):
    """This process publishes to the private Redis (db 0) for the test."""
    with broker_at(private_redis.url()):
        yield private_redis


@pytest.fixture
def workers():
    started = []

    def start(broker_url, *, visibility=3600, name="worker", cache_url=None):
        worker = Worker(broker_url, visibility=visibility, name=name, cache_url=cache_url)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
        worker.log.unlink(missing_ok=True)


@pytest.fixture
def web():
    """``web(broker_url, cache_url=...)`` starts gunicorn on the test database."""
    started = []

    def start(broker_url, *, cache_url, workers=2, lift_throttles=True):
        server = Gunicorn(
            broker_url, cache_url=cache_url, workers=workers, lift_throttles=lift_throttles
        )
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
        server.log.unlink(missing_ok=True)


def pytest_collection_modifyitems(config, items):
    """The ``chaos`` probes take minutes: left out unless asked for (``-m chaos``, as
    ``make chaos`` does, or WSR_CHAOS=1)."""
    if "chaos" in (config.getoption("markexpr") or "") or os.environ.get("WSR_CHAOS"):
        return
    kept = [item for item in items if item.get_closest_marker("chaos") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(
            items=[item for item in items if item.get_closest_marker("chaos") is not None]
        )
        items[:] = kept
