from django.urls import path

from . import custody_views, views
from .channels import staff_views as channel_views

app_name = "complaints"

urlpatterns = [
    path("", views.CaseListView.as_view(), name="case_list"),
    path("new/", views.CaseCreateView.as_view(), name="case_create"),
    path("policy/", views.PolicyView.as_view(), name="policy"),
    path("<int:pk>/", views.CaseDetailView.as_view(), name="case_detail"),
    path("<int:pk>/triage/", views.CaseTriageView.as_view(), name="case_triage"),
    path("<int:pk>/assign/", views.CaseAssignView.as_view(), name="case_assign"),
    path("<int:pk>/share/", views.CaseShareView.as_view(), name="case_share"),
    path("<int:pk>/status/", views.CaseTransitionView.as_view(), name="case_transition"),
    path("<int:pk>/retaliation/", views.CaseRetaliationView.as_view(), name="case_retaliation"),
    path("<int:pk>/identity/", views.IdentityRevealView.as_view(), name="case_identity"),
    path(
        "<int:pk>/identity/request/",
        custody_views.IdentityRequestView.as_view(),
        name="identity_request",
    ),
    path(
        "identity-requests/",
        custody_views.IdentityRequestListView.as_view(),
        name="identity_requests",
    ),
    path(
        "identity-requests/<int:pk>/decide/",
        custody_views.IdentityRequestDecideView.as_view(),
        name="identity_request_decide",
    ),
    path("custody/", custody_views.CustodySettingsView.as_view(), name="custody_settings"),
    path("channels/", channel_views.ChannelListView.as_view(), name="channel_list"),
    path("channels/<int:pk>/stop/", channel_views.ChannelStopView.as_view(), name="channel_stop"),
    path("<int:pk>/notes/", views.NoteAddView.as_view(), name="note_add"),
    path("<int:pk>/messages/", views.MessageSendView.as_view(), name="message_send"),
    path("<int:pk>/evidence/", views.EvidenceAddView.as_view(), name="evidence_add"),
    path("<int:pk>/interviews/", views.InterviewAddView.as_view(), name="interview_add"),
    path("<int:pk>/findings/", views.FindingAddView.as_view(), name="finding_add"),
    path("<int:pk>/summary.pdf", views.CaseSummaryPdfView.as_view(), name="case_pdf"),
    path("findings/<int:pk>/refer/", views.FindingReferView.as_view(), name="finding_refer"),
    path("evidence/<int:pk>/", views.EvidenceDownloadView.as_view(), name="evidence_download"),
]
