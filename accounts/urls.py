from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import views as webauthn_views

from . import oidc, views

app_name = "accounts"

# django-otp-webauthn's API, with registration audited; its namespace stays
# "otp_webauthn" because its scripts reverse those names.
webauthn_patterns = (
    [
        path(
            "registration/begin/",
            webauthn_views.BeginCredentialRegistrationView.as_view(),
            name="credential-registration-begin",
        ),
        path(
            "registration/complete/",
            views.AuditedCredentialRegistrationView.as_view(),
            name="credential-registration-complete",
        ),
        path(
            "authentication/begin/",
            webauthn_views.BeginCredentialAuthenticationView.as_view(),
            name="credential-authentication-begin",
        ),
        path(
            "authentication/complete/",
            webauthn_views.CompleteCredentialAuthenticationView.as_view(),
            name="credential-authentication-complete",
        ),
        path(
            "jsi18n/",
            JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
            name="js-i18n-catalog",
        ),
    ],
    "otp_webauthn",
)

# Single sign-on (accounts/oidc.py); the names are mozilla-django-oidc's defaults and
# live outside this app's namespace so its views can reverse them.
sso_urlpatterns = [
    path("oidc/authenticate/", oidc.authenticate, name="oidc_authentication_init"),
    path("oidc/callback/", oidc.callback, name="oidc_authentication_callback"),
]

urlpatterns = [
    path("mfa/", views.MfaOverviewView.as_view(), name="mfa"),
    path("mfa/setup/", views.MfaSetupView.as_view(), name="mfa_setup"),
    path("mfa/totp/", views.TotpSetupView.as_view(), name="totp_setup"),
    path("mfa/passkey/", views.PasskeySetupView.as_view(), name="passkey_setup"),
    path("mfa/verify/", views.MfaVerifyView.as_view(), name="mfa_verify"),
    path("tokens/", views.ApiTokensView.as_view(), name="api_tokens"),
    path("sessions/", views.SessionsView.as_view(), name="sessions"),
]

webauthn_urlpatterns = [path("mfa/webauthn/", include(webauthn_patterns))]
