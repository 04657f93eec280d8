"""Request and response guards that hold for every route, in one place.

- ``NulByteGuardMiddleware``: PostgreSQL refuses the NUL character in text, so a NUL in
  a query parameter, a form field or a JSON string reached the database as a 500. It is
  refused here, before any view, with a 400 naming the field.
- ``PrivateNoStoreMiddleware``: every page behind a login (a complainant's identity, a
  case, an API token) is ``Cache-Control: private, no-store`` unless the view said
  otherwise, so the browser of a shared computer keeps none of them. The public side has
  its own rules (``core.middleware.PublicPrivacyMiddleware``).
"""

import json

from django.http import HttpResponse, JsonResponse
from django.utils.html import escape

from .middleware import is_anonymous_path

NUL = "\x00"
NUL_MESSAGE = "Null characters are not allowed."


def _find_nul(value, path):
    """The dotted path of the first string (or key) holding a NUL in decoded JSON."""
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                return where.replace(NUL, "")
            found = _find_nul(item, where)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _find_nul(item, f"{path}[{index}]" if path else f"[{index}]")
            if found is not None:
                return found
    return None


def _find_nul_in_querydict(querydict):
    for key, values in querydict.lists():
        if NUL in key:
            return key.replace(NUL, "")
        for value in values:
            if isinstance(value, str) and NUL in value:
                return key
    return None


def nul_field(request):
    """The name of the first field of ``request`` that carries a NUL, else None."""
    if NUL in request.path:
        return "path"
    field = _find_nul_in_querydict(request.GET)
    if field is not None:
        return field
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    content_type = request.content_type or ""
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            data = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            return None  # the view's parser answers a malformed body
        return _find_nul(data, "")
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return _find_nul_in_querydict(request.POST)
    return None


def _wants_json(request):
    return request.path.startswith("/api/") or "json" in (request.content_type or "")


class NulByteGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        field = nul_field(request)
        if field is None:
            return self.get_response(request)
        field = field or "body"
        if _wants_json(request):
            return JsonResponse(
                {"detail": f"{field}: {NUL_MESSAGE}", "code": "null_character", "field": field},
                status=400,
            )
        return HttpResponse(
            f"<!doctype html><title>Bad request</title><h1>Bad request</h1>"
            f"<p>The field “{escape(field)}” contains a null character, which is not "
            f"allowed. Go back and correct it.</p>",
            status=400,
            content_type="text/html; charset=utf-8",
        )


class PrivateNoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not is_anonymous_path(request.path) and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "private, no-store"
        return response
