from django.urls import path

from . import views

app_name = "audits"

urlpatterns = [
    path("", views.AuditListView.as_view(), name="audit_list"),
    path("new/", views.AuditCreateView.as_view(), name="audit_create"),
    path("<int:pk>/", views.AuditDetailView.as_view(), name="audit_detail"),
    path("<int:pk>/edit/", views.AuditEditView.as_view(), name="audit_edit"),
    path("<int:pk>/transition/", views.AuditTransitionView.as_view(), name="audit_transition"),
    path("<int:pk>/team/", views.AuditTeamView.as_view(), name="audit_team"),
    path(
        "<int:pk>/team/<int:user>/remove/",
        views.AuditTeamRemoveView.as_view(),
        name="audit_team_remove",
    ),
    path("<int:pk>/findings/new/", views.FindingCreateView.as_view(), name="finding_create"),
    path("findings/<int:pk>/", views.FindingDetailView.as_view(), name="finding_detail"),
    path(
        "findings/<int:pk>/evidence/",
        views.FindingEvidenceView.as_view(),
        name="finding_evidence",
    ),
    path("findings/<int:pk>/refer/", views.FindingReferView.as_view(), name="finding_refer"),
    path("evidence/<int:pk>/", views.EvidenceDownloadView.as_view(), name="evidence_download"),
    path("caps/", views.CAPListView.as_view(), name="cap_list"),
    path("caps/<int:pk>/", views.CAPDetailView.as_view(), name="cap_detail"),
    path("caps/items/new/", views.CAPItemCreateView.as_view(), name="cap_item_create"),
    path("caps/items/<int:pk>/", views.CAPItemDetailView.as_view(), name="cap_item_detail"),
    path(
        "caps/items/<int:pk>/deadline/",
        views.CAPItemDeadlineView.as_view(),
        name="cap_item_deadline",
    ),
    path(
        "caps/items/<int:pk>/transition/",
        views.CAPItemTransitionView.as_view(),
        name="cap_item_transition",
    ),
    path(
        "caps/items/<int:pk>/comment/",
        views.CAPItemCommentView.as_view(),
        name="cap_item_comment",
    ),
    path(
        "caps/items/<int:pk>/evidence/",
        views.CAPItemEvidenceView.as_view(),
        name="cap_item_evidence",
    ),
    path("education/", views.EducationListView.as_view(), name="education_list"),
    path("education/new/", views.EducationCreateView.as_view(), name="education_create"),
    path("grades/", views.GradesView.as_view(), name="grades"),
    path(
        "facilities/<int:facility>/history/",
        views.FacilityHistoryView.as_view(),
        name="facility_history",
    ),
    path("reports/", views.ReportListView.as_view(), name="report_list"),
    path("reports/new/", views.ReportRequestView.as_view(), name="report_request"),
    path("reports/<int:pk>/", views.ReportDetailView.as_view(), name="report_detail"),
    path(
        "reports/<int:pk>/download/",
        views.ReportDownloadView.as_view(),
        name="report_download",
    ),
    path("policy/", views.PolicyView.as_view(), name="policy"),
]
