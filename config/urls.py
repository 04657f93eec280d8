"""Root URLconf. Every app's routes are mounted here once; apps own their own modules.

Staff HTML:  /p/<program>/...               (programs, complaints, audits, enforcement)
Staff API:   /api/v1/programs/<program>/... (each app's api.py)
Buyer:       /buyer/ and /api/v1/buyer/...  (buyers.urls / portal_api)
Public:      /, /public/<program>/...       (disclosure, complaints.public_urls)
             /api/v1/public/<program>/...   (disclosure.api, complaints.public_api)
"""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import urls as accounts_urls
from core import views
from core.password_reset import ThrottledPasswordResetView
from programs.views import home

program_api = "api/v1/programs/<slug:program>/"
public_api = "api/v1/public/<slug:program>/"

urlpatterns = [
    path("admin/", admin.site.urls),
    # Before the auth URLs: the reset form is throttled per address and per client.
    path(
        "accounts/password_reset/",
        ThrottledPasswordResetView.as_view(),
        name="password_reset",
    ),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include(accounts_urls.webauthn_urlpatterns)),
    path("accounts/", include(accounts_urls.sso_urlpatterns)),
    path("accounts/", include("django.contrib.auth.urls")),
    path("healthz/", views.healthz, name="healthz"),
    path("p/", home, name="home"),
    path("p/<slug:program>/", include("exports.urls")),
    path("p/<slug:program>/pick/", include("programs.pickers")),
    path("p/<slug:program>/", include("programs.urls")),
    path("p/<slug:program>/complaints/", include("complaints.urls")),
    path("p/<slug:program>/audits/", include("audits.urls")),
    path("p/<slug:program>/enforcement/", include("enforcement.urls")),
    path("p/<slug:program>/premium/", include("premiums.urls")),
    path("p/<slug:program>/registry/", include("registry.urls")),
    path("buyer/", include("buyers.urls")),
    path(program_api, include("programs.api")),
    path(program_api, include("complaints.api")),
    path(program_api, include("audits.api")),
    path(program_api, include("enforcement.api")),
    path(program_api, include("premiums.api")),
    path(program_api, include("registry.api")),
    path("api/v1/buyer/", include("buyers.api")),
    path(public_api, include("disclosure.api")),
    path(public_api + "complaints/", include("complaints.public_api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("public/<slug:program>/complaints/", include("complaints.public_urls")),
    path("public/<slug:program>/channels/", include("complaints.channels.urls")),
    path("", include("disclosure.urls")),
]

# API clients get JSON errors ({"detail": ...}) also when no view runs; HTML elsewhere.
handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
