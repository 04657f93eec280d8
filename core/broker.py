"""Publishing a Celery task from a request, failing fast.

What a request publishes after its commit (apply a confirmed violation, tell staff of
new complaints, a notification) is already safe in the database, and a beat sweeper
publishes whatever was not (``enforcement.tasks.sweep_unapplied_consequences``,
``complaints.tasks.sweep_intake_notices``). So with the broker down or hung the request
must not wait for it: the broker sockets have timeouts (``BROKER_SOCKET_TIMEOUT``), and
after a failed publish this process stops trying for ``RETRY_AFTER`` seconds, so a hung
Redis costs one timeout every few seconds, not one per complaint (issue 13, defect 2).
"""

import logging
import threading
import time

log = logging.getLogger("core.broker")

RETRY_AFTER = 10.0

_lock = threading.Lock()
_down_until = 0.0


def available():
    return time.monotonic() >= _down_until


def reset():
    """Close the breaker (tests)."""
    global _down_until
    _down_until = 0.0


def publish(task, args=(), *, what="", **options):
    """``task.apply_async(args, **options)``; False (logged, never raised) if the broker
    failed now or a moment ago. The caller's sweeper is what makes False safe."""
    global _down_until
    what = what or task.name
    if not available():
        log.warning("broker unavailable a moment ago: %s left to its sweeper", what)
        return False
    try:
        task.apply_async(args, **options)
    except Exception as exc:  # noqa: BLE001 - kombu/redis raise many kinds; all mean "not now"
        with _lock:
            _down_until = time.monotonic() + RETRY_AFTER
        log.warning(
            "could not publish %s (%s: %s); left to its sweeper", what, type(exc).__name__, exc
        )
        return False
    return True
