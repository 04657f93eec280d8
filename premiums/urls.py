"""The premium ledger's pages, mounted at /p/<program>/premium/ (config/urls.py)."""

from django.urls import path

from . import views

app_name = "premiums"

urlpatterns = [
    path("", views.PremiumView.as_view(), name="premium"),
    path("reconciliation.csv", views.PremiumCsvView.as_view(), name="premium_csv"),
    path("import/", views.PremiumImportView.as_view(), name="premium_import"),
    path("check/", views.PremiumCheckView.as_view(), name="premium_check"),
]
