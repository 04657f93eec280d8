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
"""

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

GLOBAL_FACTOR = 10  # the global bucket allows this many times the per-program rate


def parse_rate(rate):
    num, period = rate.split("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]
    return int(num), seconds


def lookup_rate():
    return parse_rate(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["receipt_lookup"])


def submit_rate():
    return parse_rate(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["public_submit"])


def _hit(key, limit, window):
    """Count one hit in the current fixed window; True if still within ``limit``."""
    bucket = f"complaints:throttle:{key}:{int(time.time() // window)}"
    cache.add(bucket, 0, timeout=window + 5)
    try:
        count = cache.incr(bucket)
    except ValueError:  # expired between add and incr
        cache.set(bucket, 1, timeout=window + 5)
        count = 1
    return count <= limit


def allow(scope, program_slug, rate=None):
    limit, window = rate or (lookup_rate() if scope == "lookup" else submit_rate())
    ok_program = _hit(f"{scope}:p:{program_slug}", limit, window)
    ok_global = _hit(f"{scope}:global", limit * GLOBAL_FACTOR, window)
    return ok_program and ok_global


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
