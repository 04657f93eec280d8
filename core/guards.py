"""Request and response guards that hold for every route, in one place.

- ``NulByteGuardMiddleware``: PostgreSQL refuses the NUL character in text, so a NUL in
  a query parameter, a form field or a JSON string reached the database as a 500. It is
  refused here, before any view, with a 400 naming the field; so is a field longer than
  ``MAX_FIELD_CHARS`` (a 1 MB string).
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
# No text the platform keeps is longer than this (the longest are a code's provisions and
# a case's narrative); a longer field is an error, or an attempt to fill the database,
# refused here whatever the view or serializer forgot (a 1 MB string in a field without
# a max_length was stored, or answered 500 where the column has a limit).
MAX_FIELD_CHARS = 100_000
LONG_MESSAGE = f"Ensure this field has no more than {MAX_FIELD_CHARS} characters."


def _bad(text):
    """Why ``text`` is refused (NUL_MESSAGE, LONG_MESSAGE), else None."""
    if NUL in text:
        return NUL_MESSAGE
    if len(text) > MAX_FIELD_CHARS:
        return LONG_MESSAGE
    return None


def _find_bad(value, path):
    """(dotted path, message) of the first bad string (or key) in decoded JSON."""
    if isinstance(value, str):
        problem = _bad(value)
        return (path, problem) if problem else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            problem = _bad(str(key))
            if problem:
                return where.replace(NUL, "")[:100], problem
            found = _find_bad(item, where)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _find_bad(item, f"{path}[{index}]" if path else f"[{index}]")
            if found is not None:
                return found
    return None


def _find_bad_in_querydict(querydict):
    for key, values in querydict.lists():
        problem = _bad(key)
        if problem:
            return key.replace(NUL, "")[:100], problem
        for value in values:
            problem = isinstance(value, str) and _bad(value)
            if problem:
                return key, problem
    return None


def bad_field(request):
    """(name, message) of the first field of ``request`` that carries a NUL or more than
    MAX_FIELD_CHARS characters, else None."""
    if NUL in request.path:
        return "path", NUL_MESSAGE
    found = _find_bad_in_querydict(request.GET)
    if found is not None:
        return found
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    content_type = request.content_type or ""
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            data = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            return None  # the view's parser answers a malformed body
        return _find_bad(data, "")
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return _find_bad_in_querydict(request.POST)
    return None


def nul_field(request):
    """The name of the first field of ``request`` that carries a NUL (or is too long),
    else None."""
    found = bad_field(request)
    return found[0] if found else None


def _wants_json(request):
    return request.path.startswith("/api/") or "json" in (request.content_type or "")


class NulByteGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        found = bad_field(request)
        if found is None:
            return self.get_response(request)
        field, message = found
        field = field or "body"
        code = "null_character" if message == NUL_MESSAGE else "max_length"
        if _wants_json(request):
            return JsonResponse(
                {"detail": f"{field}: {message}", "code": code, "field": field}, status=400
            )
        what = (
            "contains a null character, which is not allowed"
            if code == "null_character"
            else f"is longer than {MAX_FIELD_CHARS} characters"
        )
        return HttpResponse(
            f"<!doctype html><title>Bad request</title><h1>Bad request</h1>"
            f"<p>The field “{escape(field)}” {what}. Go back and correct it.</p>",
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
