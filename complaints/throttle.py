"""Throttling receipt-code lookups without knowing who is asking.

The public pages never see a client address (PublicPrivacyMiddleware blanks it) and set
no session, so there is nothing per-visitor to key a throttle on — on purpose: a key
derived from the address would be a record of the address. Instead lookups are counted
in fixed windows per program, plus one global bucket across programs:

- guessing is what a throttle must stop: with 10^16 codes and a few lookups a minute
  per program, enumerating is hopeless whoever spreads it over how many machines;
- the cost is that a flood of lookups can make a program's status page briefly refuse
  everyone (a denial of service, not a disclosure). We accept it: the worker can try
  again a minute later, the hotline still works, and the alternative (tracking who
  asks) endangers the people the line exists for.

The DRF endpoint uses the same buckets through ``ReceiptLookupThrottle``.

With Redis down or hung the throttles fail open: the hit is allowed and a warning is
logged (core.cache's breaker, shared with the cache backend, so a hung Redis costs one
socket timeout per few seconds, not one per request). A complaint line that refuses
complaints because a cache is down fails the people it exists for; an outage of minutes
opens no real window for guessing 16-digit codes. A PostgreSQL counter was the
alternative: it would put a write on one hot row per program in front of every
submission and lookup, serializing them, at the moment the platform is already degraded.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCacheClient
from redis.exceptions import RedisError
from rest_framework.throttling import BaseThrottle

from core import cache as resilient

GLOBAL_FACTOR = 10  # the global bucket allows this many times the per-program rate


def parse_rate(rate):
    num, period = rate.split("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]
    return int(num), seconds


def lookup_rate():
    return parse_rate(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["receipt_lookup"])


def submit_rate():
    return parse_rate(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["public_submit"])


def _bucket(key, window):
    return f"complaints:throttle:{key}:{int(time.time() // window)}"


def _hit(key, limit, window):
    """Count one hit in the current fixed window; True if still within ``limit``."""
    bucket = _bucket(key, window)
    cache.add(bucket, 0, timeout=window + 5)
    try:
        count = cache.incr(bucket)
    except ValueError:  # expired between add and incr
        cache.set(bucket, 1, timeout=window + 5)
        count = 1
    return count <= limit


def _hit_all(hits, window):
    """Count one hit in each ``(key, limit)`` bucket; True if all are within their limits.

    With the Redis cache this is one round trip (INCR and EXPIRE per bucket in one
    pipeline) instead of an ADD and an INCR per bucket: every public submission and
    lookup pays it. INCR starts a missing key at 1; EXPIRE on every hit only ever
    extends a bucket to ``window + 5`` seconds after its last hit, and a bucket's name
    carries its window, so the count of a window never leaks into the next one.
    """
    client = _redis_client()
    if client is None:
        return all([_hit(key, limit, window) for key, limit in hits])
    if not resilient.available():
        return True  # Redis failed a moment ago: fail open (module docstring)
    pipe = client.pipeline(transaction=False)
    for key, _limit in hits:
        full = cache.make_and_validate_key(_bucket(key, window))
        pipe.incr(full)
        pipe.expire(full, window + 5)
    try:
        counts = pipe.execute()[::2]
    except RedisError as exc:
        resilient.failed(exc, "throttle")
        return True
    return all(count <= limit for count, (_key, limit) in zip(counts, hits, strict=True))


def _redis_client():
    # Django's RedisCache writes to its first server; any other backend (a test's
    # locmem, say) takes the portable add/incr path. Django builds a new redis.Redis
    # (hundreds of dict inserts for its reply callbacks) on every call; one per
    # connection pool serves every request of this process.
    backend = getattr(cache, "_cache", None)
    if not isinstance(backend, RedisCacheClient):
        return None
    try:
        pool = backend._get_connection_pool(write=True)
    except AttributeError:  # Django's internals moved: its public way, a client per call
        return backend.get_client(write=True)
    client = _CLIENTS.get(id(pool))
    if client is None or client.connection_pool is not pool:
        client = _CLIENTS[id(pool)] = backend._client(connection_pool=pool)
    return client


_CLIENTS = {}


def allow(scope, program_slug, rate=None):
    limit, window = rate or (lookup_rate() if scope == "lookup" else submit_rate())
    return _hit_all(
        [(f"{scope}:p:{program_slug}", limit), (f"{scope}:global", limit * GLOBAL_FACTOR)],
        window,
    )


class _ProgramBucketThrottle(BaseThrottle):
    scope = "lookup"

    def allow_request(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        self._window = (lookup_rate() if self.scope == "lookup" else submit_rate())[1]
        return allow(self.scope, view.kwargs.get("program", ""))

    def wait(self):
        return getattr(self, "_window", 60)


class ReceiptLookupThrottle(_ProgramBucketThrottle):
    scope = "lookup"


class PublicSubmitThrottle(_ProgramBucketThrottle):
    scope = "submit"
