"""Optional single sign-on through an OpenID Connect provider (mozilla-django-oidc),
off unless ``OIDC_ENABLED`` (README, "Configuration").

Only existing accounts may sign in this way: the provider's verified e-mail is matched
to an active user (members are still invited by an admin; nobody gets an account by
owning an address at the provider). Signing in by SSO is the password step only: a
member who must use a second factor (core.mfa) is still asked for it.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import Http404
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)


class OIDCBackend(OIDCAuthenticationBackend):
    def verify_claims(self, claims):
        # An address the provider has not verified proves nothing about who this is.
        return bool(claims.get("email")) and claims.get("email_verified", True) is True

    def filter_users_by_claims(self, claims):
        return get_user_model().objects.filter(email__iexact=claims["email"], is_active=True)

    def create_user(self, claims):
        return None


def _enabled():
    if not getattr(settings, "OIDC_ENABLED", False):
        raise Http404


def authenticate(request):
    _enabled()
    return OIDCAuthenticationRequestView.as_view()(request)


def callback(request):
    _enabled()
    return OIDCAuthenticationCallbackView.as_view()(request)


def sso_context(request):
    """Template context: the provider's name for the login page's button, if SSO is on."""
    if getattr(settings, "OIDC_ENABLED", False):
        return {"sso_provider_name": settings.OIDC_PROVIDER_NAME}
    return {}
