"""Privacy for the public side of the platform.

Public pages (disclosure, complaint intake and status) must not tie a visitor to a
network address: the address is removed from the request before any view, logger or
library sees it, no cookie but the CSRF token the form needs is set, and responses are
never cached by intermediaries (except open data that opts in: see below).

The pages anyone may open without an account but that are not the public side proper
(logging in, resetting a password, the API schema and its docs, the health check) get
the same response headers: a login page left in a shared browser's cache, or a reset link leaked through
a Referer header, is how an account on a shared phone gets taken over.
"""

from django.conf import settings

# Open to anonymous visitors outside the public prefixes. Cookies are not filtered here:
# logging in must be able to set the session cookie.
ANONYMOUS_PATH_PREFIXES = ("/accounts/", "/api/schema/", "/api/docs/", "/healthz/")


def no_client_ip(request):
    """django-axes client-IP callable: we lock by username and never record an address."""
    return None


def is_public_path(path: str) -> bool:
    return path == "/" or any(path.startswith(p) for p in settings.PUBLIC_PATH_PREFIXES)


def is_anonymous_path(path: str) -> bool:
    return is_public_path(path) or path.startswith(ANONYMOUS_PATH_PREFIXES)


def _strip_client_address(meta):
    meta["REMOTE_ADDR"] = "0.0.0.0"  # noqa: S104 - a placeholder, not a bind
    for header in ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED"):
        meta.pop(header, None)


class PublicPrivacyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        public = is_public_path(request.path)
        anonymous = public or is_anonymous_path(request.path)
        if public:
            _strip_client_address(request.META)
        response = self.get_response(request)
        if anonymous:
            # Open data (the same for every visitor, nothing personal) may opt in to brief
            # shared caching with ``response.shared_cacheable = True``; every other answer
            # on this side, the complaint pages above all, is never stored anywhere.
            if not getattr(response, "shared_cacheable", False):
                response["Cache-Control"] = "no-store"
            response["Referrer-Policy"] = "no-referrer"
        if public:
            # Only the CSRF cookie (needed to post the complaint form) and the language
            # choice may be set; a session cookie would be a tracking identifier.
            for name in list(response.cookies):
                if name not in (settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME):
                    del response.cookies[name]
        return response
