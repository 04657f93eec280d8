"""Password reset, throttled like logging in.

Login is throttled per account by django-axes. Reset requests are throttled here, per
address asked for and per client, with counters in the cache that hold only keyed hashes
(no address of a person or a network is stored). Whatever happens (unknown address,
throttled, mail sent) the visitor gets the same answer, so the form tells nobody which
addresses have accounts. Links are single-use (Django's token changes with the password)
and short-lived (``PASSWORD_RESET_TIMEOUT``).
"""

import hashlib
import hmac
import logging

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.http import HttpResponseRedirect

log = logging.getLogger(__name__)


def _key(kind, value):
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"{kind}:{value}".encode(), hashlib.sha256
    ).hexdigest()[:32]
    return f"pwreset:{kind}:{digest}"


def _over_limit(kind, value, limit, window):
    """Count one request for ``value``; True once more than ``limit`` in ``window`` s.
    Fails open (logged) if the cache is down: a reset mail is not worth a 500."""
    key = _key(kind, value)
    try:
        cache.add(key, 0, timeout=window)
        count = cache.incr(key)
    except Exception:  # noqa: BLE001 - cache outage: let the request through
        log.warning("password reset throttle unavailable (cache error)")
        return False
    return count > limit


def _client(request):
    return request.META.get("REMOTE_ADDR") or "unknown"


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        window = settings.PASSWORD_RESET_THROTTLE_WINDOW
        by_address = _over_limit(
            "address", email, settings.PASSWORD_RESET_LIMIT_PER_ADDRESS, window
        )
        by_client = _over_limit(
            "client", _client(self.request), settings.PASSWORD_RESET_LIMIT_PER_CLIENT, window
        )
        if by_address or by_client:
            # The same answer as a sent mail: throttling must not reveal anything.
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)
