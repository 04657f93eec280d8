"""HTTP validators for public data: ETag and Last-Modified from the data version.

The validator is the program's latest audit-event seq (plus what the response varies
on), so a client re-fetching unchanged data gets a 304 after one cheap query.
"""

import hashlib

from django.http import HttpResponseNotModified
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import http_date, parse_etags, quote_etag

MAX_AGE = 60


def make_etag(version, *parts):
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:16]
    return quote_etag(f"{version.etag_base}-{digest}")


def not_modified(request, etag):
    """True if the request's If-None-Match already names ``etag`` (weak comparison)."""
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header:
        return False
    tags = parse_etags(header)
    return "*" in tags or etag.strip('"') in {t.removeprefix("W/").strip('"') for t in tags}


def not_modified_response(etag, version):
    response = HttpResponseNotModified()
    set_validators(response, etag, version)
    return response


def set_validators(response, etag, version):
    response["ETag"] = etag
    response["Last-Modified"] = http_date(version.at.timestamp())
    # Public data may be kept briefly by any cache and revalidated with the ETag: it is
    # the same for everyone and holds nothing personal. The flag tells
    # core.middleware.PublicPrivacyMiddleware to keep this header instead of no-store.
    patch_cache_control(response, public=True, max_age=MAX_AGE, must_revalidate=True)
    response.shared_cacheable = True
    patch_vary_headers(response, ["Accept", "Accept-Language"])
    return response
