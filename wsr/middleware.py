"""Privacy for the public side of the platform.

Public pages (disclosure, complaint intake and status) must not tie a visitor to a
network address: the address is removed from the request before any view, logger or
library sees it, no cookie but the CSRF token the form needs is set, and responses are
never cached by intermediaries.
"""

from django.conf import settings


def no_client_ip(request):
    """django-axes client-IP callable: we lock by username and never record an address."""
    return None


def is_public_path(path: str) -> bool:
    return path == "/" or any(path.startswith(p) for p in settings.PUBLIC_PATH_PREFIXES)


class PublicPrivacyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        public = is_public_path(request.path)
        if public:
            request.META["REMOTE_ADDR"] = "0.0.0.0"  # noqa: S104 - a placeholder, not a bind
            request.META.pop("HTTP_X_FORWARDED_FOR", None)
            request.META.pop("HTTP_X_REAL_IP", None)
        response = self.get_response(request)
        if public:
            response["Cache-Control"] = "no-store"
            response["Referrer-Policy"] = "no-referrer"
            # Only the CSRF cookie (needed to post the complaint form) and the language
            # choice may be set; a session cookie would be a tracking identifier.
            for name in list(response.cookies):
                if name not in (settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME):
                    del response.cookies[name]
        return response
