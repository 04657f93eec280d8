"""The Redis cache backend, made to fail open.

Redis holds nothing that is not also somewhere else (rendered pages, figures, throttle
counters, notice windows): it is a cache. So when it is down or hung, a request must go
on without it, not answer 500 (issue 13, defect 3):

- every read is a miss, every write is skipped, and a warning is logged (once per
  outage per process, not once per call);
- after an error the backend stops asking Redis for ``RETRY_AFTER`` seconds (a small
  circuit breaker): with Redis hung, each attempt costs a socket timeout
  (``CACHE_SOCKET_TIMEOUT``), and a page that reads the cache five times would wait for
  five of them. While the breaker is open the cost is nothing.

Callers that talk to Redis directly (the throttle's pipeline) use ``available()`` and
``failed()`` to share the same breaker.
"""

import logging
import threading
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger("core.cache")

# Seconds without asking Redis after an error.
RETRY_AFTER = 5.0

_lock = threading.Lock()
_down_until = 0.0


def available():
    """False while the breaker is open (Redis failed less than RETRY_AFTER ago)."""
    return time.monotonic() >= _down_until


def failed(exc, what):
    """Record a Redis error: open the breaker and log (a warning at the start of an
    outage, debug after)."""
    global _down_until
    with _lock:
        first = available()
        _down_until = time.monotonic() + RETRY_AFTER
    if first:
        log.warning("Redis unavailable (%s: %s); going on without the cache", what, exc)
    else:
        log.debug("Redis still unavailable (%s: %s)", what, exc)


def reset():
    """Close the breaker (tests)."""
    global _down_until
    _down_until = 0.0


def _guarded(name, fallback):
    parent = getattr(RedisCache, name)

    def method(self, *args, **kwargs):
        if not available():
            return fallback(*args, **kwargs)
        try:
            return parent(self, *args, **kwargs)
        except RedisError as exc:
            failed(exc, name)
            return fallback(*args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"RedisCache.{name}, failing open (see core.cache)."
    return method


def _default_of_get(key, default=None, version=None):
    return default


def _incr_fallback(key, delta=1, version=None):
    # As if the key were missing: the caller's own fallback runs (see complaints.throttle).
    raise ValueError(f"Key '{key}' not found (the cache is unavailable)")


class ResilientRedisCache(RedisCache):
    """Django's RedisCache whose every operation fails open (see the module docstring)."""

    get = _guarded("get", _default_of_get)
    add = _guarded("add", lambda *a, **k: False)
    set = _guarded("set", lambda *a, **k: None)
    touch = _guarded("touch", lambda *a, **k: False)
    delete = _guarded("delete", lambda *a, **k: False)
    get_many = _guarded("get_many", lambda *a, **k: {})
    has_key = _guarded("has_key", lambda *a, **k: False)
    incr = _guarded("incr", _incr_fallback)
    set_many = _guarded("set_many", lambda *a, **k: [])
    delete_many = _guarded("delete_many", lambda *a, **k: None)
    clear = _guarded("clear", lambda *a, **k: False)
