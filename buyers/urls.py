"""The buyer compliance officer's portal, mounted at /buyer/ (see config/urls.py)."""

from django.urls import path

from . import views as views

app_name = "buyer"

urlpatterns = [
    path("", views.PortalHomeView.as_view(), name="portal"),
    path("obligations/", views.ObligationListView.as_view(), name="obligation_list"),
    path("obligations.csv", views.ObligationsCSVView.as_view(), name="obligations_csv"),
    path("obligations.pdf", views.ObligationsPDFView.as_view(), name="obligations_pdf"),
    path("statement/", views.StatementJobView.as_view(), name="statement"),
    path("statement/download/", views.StatementDownloadView.as_view(), name="statement_download"),
    path("obligations/<int:pk>/", views.ObligationDetailView.as_view(), name="obligation_detail"),
    path(
        "obligations/<int:pk>/acknowledge/",
        views.ObligationAcknowledgeView.as_view(),
        name="obligation_acknowledge",
    ),
    path(
        "obligations/<int:pk>/attest/",
        views.ObligationAttestView.as_view(),
        name="obligation_attest",
    ),
    path(
        "obligations/<int:pk>/evidence/",
        views.ObligationEvidenceView.as_view(),
        name="obligation_evidence",
    ),
    path("agreements/", views.AgreementListView.as_view(), name="agreement_list"),
    path("agreements/<int:pk>/", views.AgreementDetailView.as_view(), name="agreement_detail"),
    path(
        "agreements/<int:pk>/document/",
        views.AgreementDocumentView.as_view(),
        name="agreement_document",
    ),
    path("do-not-source/", views.DoNotSourceView.as_view(), name="do_not_source"),
    path("do-not-source.csv", views.DoNotSourceCSVView.as_view(), name="do_not_source_csv"),
    path("premium/", views.PremiumView.as_view(), name="premium"),
    path("premium/report/", views.PurchaseReportView.as_view(), name="premium_report"),
    path("premium/upload/", views.PurchaseUploadView.as_view(), name="premium_upload"),
    path("notifications/", views.NotificationsView.as_view(), name="notifications"),
    path("api-access/", views.ApiAccessView.as_view(), name="api_access"),
]
