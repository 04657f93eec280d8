"""The rendered program page, shared by every visitor who carries no state.

The page is the same for all anonymous visitors of one data version, language and
query, except for the CSP nonce, which must be new in every response. So the HTML is
stored with the nonce replaced by a placeholder and the response's own nonce is put
back in on the way out.

Only requests without a session or messages cookie use it: those are the visitors for
whom the page can hold nothing personal (a logged-in user's name and logout form, a
flash message). Only the page's own queries are stored (parameters it knows, valid
filter choices, the page number a request lands on, no free-text search), so made-up
query strings cannot fill the cache: they are rendered and answered, not stored.

Two layers: Redis (shared by all web processes) and a small copy in each process, so
a busy page is answered without a network round trip. A stored page never goes stale
(its key names the data version); what must stay fresh is the version itself, and
``current()`` reads it at most once per ``DISCLOSURE_VERSION_MAX_AGE`` seconds per
process (one second by default: a change shows on the next second's requests).
"""

import hashlib
import time
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csp import get_nonce

from . import selectors

# Not something a page could contain by accident: it is put in by store() only.
NONCE_PLACEHOLDER = "\x00csp-nonce\x00"
KNOWN_PARAMETERS = {"q", "country", "standing", "stage", "page", "lang"}
MAX_PARAMETER_LENGTH = 100
# Pages kept in each process (a page is ~50 KB).
LOCAL_PAGES = 64

_local_pages = OrderedDict()
_recent_versions = {}


def current(slug):
    """(program, data version) of the public program ``slug``; 404 if there is none.

    Read from the database at most once per DISCLOSURE_VERSION_MAX_AGE seconds in this
    process, so a page served from the cache costs no query at all."""
    max_age = settings.DISCLOSURE_VERSION_MAX_AGE
    now = time.monotonic()
    if max_age > 0:
        hit = _recent_versions.get(slug)
        if hit is not None and hit[0] > now:
            return hit[1], hit[2]
    program = selectors.public_program(slug)
    version = selectors.data_version(program)
    if max_age > 0:
        _recent_versions[slug] = (now + max_age, program, version)
    return program, version


def _has_state(request):
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies


def key(request, program, version, lang):
    """The cache key of this request's page, or None if it must be rendered afresh."""
    if _has_state(request):
        return None
    params = []
    for name, values in request.GET.lists():
        if name not in KNOWN_PARAMETERS or len(values) != 1:
            return None
        if len(values[0]) > MAX_PARAMETER_LENGTH:
            return None
        params.append((name, values[0]))
    query = hashlib.sha256(repr(sorted(params)).encode()).hexdigest()[:24]
    return selectors.cache_key(program, version.figures_key, "html", lang, query)


def get(request, key):
    """A response built from the stored page, with this response's nonce; or None."""
    html = _local_pages.get(key)
    if html is None:
        html = cache.get(key)
        if html is None:
            return None
        _keep_local(key, html)
    else:
        _local_pages.move_to_end(key)
    if NONCE_PLACEHOLDER in html:
        # Reading the lazy nonce generates it, so the CSP middleware puts it in the
        # header of this response.
        html = html.replace(NONCE_PLACEHOLDER, str(get_nonce(request)))
    return HttpResponse(html, content_type="text/html; charset=utf-8")


def store(request, key, response):
    if response.status_code != 200 or response.cookies:
        return
    if not getattr(response, "shareable", False):
        return  # a made-up query (a search, a page past the end): answered, not stored
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return  # the page holds this visitor's CSRF token
    html = response.content.decode(response.charset)
    nonce = get_nonce(request)
    if nonce:  # generated: the page used it
        html = html.replace(str(nonce), NONCE_PLACEHOLDER)
    cache.set(key, html, selectors.CACHE_TIMEOUT)
    _keep_local(key, html)


def _keep_local(key, html):
    _local_pages[key] = html
    _local_pages.move_to_end(key)
    while len(_local_pages) > LOCAL_PAGES:
        _local_pages.popitem(last=False)


def forget_local():
    """Drop this process's copies (tests clear the shared cache between cases)."""
    _local_pages.clear()
    _recent_versions.clear()
