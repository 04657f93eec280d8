from django.urls import path

from . import views

app_name = "enforcement"

urlpatterns = [
    path("", views.ViolationListView.as_view(), name="violation_list"),
    path("violations/new/", views.ViolationProposeView.as_view(), name="violation_propose"),
    path("violations/<int:pk>/", views.ViolationDetailView.as_view(), name="violation_detail"),
    path(
        "violations/<int:pk>/confirm/",
        views.ViolationConfirmView.as_view(),
        name="violation_confirm",
    ),
    path(
        "violations/<int:pk>/dismiss/",
        views.ViolationDismissView.as_view(),
        name="violation_dismiss",
    ),
    path(
        "violations/<int:pk>/remediate/",
        views.ViolationRemediateView.as_view(),
        name="violation_remediate",
    ),
    path("standings/", views.StandingListView.as_view(), name="standing_list"),
    path("standings/<int:supplier>/", views.StandingDetailView.as_view(), name="standing_detail"),
    path(
        "standings/<int:supplier>/proposals/<int:pk>/decide/",
        views.ProposalDecideView.as_view(),
        name="proposal_decide",
    ),
    path(
        "standings/<int:supplier>/reinstate/",
        views.StandingReinstateView.as_view(),
        name="standing_reinstate",
    ),
    path("obligations/", views.ObligationBoardView.as_view(), name="obligation_board"),
    path("obligations/<int:pk>/", views.ObligationDetailView.as_view(), name="obligation_detail"),
    path(
        "obligations/<int:pk>/waive/", views.ObligationWaiveView.as_view(), name="obligation_waive"
    ),
    path(
        "obligations/<int:pk>/verify/",
        views.ObligationVerifyView.as_view(),
        name="obligation_verify",
    ),
    path(
        "obligations/<int:pk>/reject/",
        views.ObligationRejectView.as_view(),
        name="obligation_reject",
    ),
    path(
        "obligations/<int:pk>/evidence/",
        views.ObligationEvidenceView.as_view(),
        name="obligation_evidence",
    ),
    path("breaches/", views.BreachListView.as_view(), name="breach_list"),
    path("policy/", views.PolicyView.as_view(), name="policy"),
    path("policy/draft/", views.PolicyDraftView.as_view(), name="policy_draft"),
    path("policy/<int:pk>/rules/", views.PolicyRuleView.as_view(), name="policy_rule"),
    path("policy/<int:pk>/ratify/", views.PolicyRatifyView.as_view(), name="policy_ratify"),
    path("settings/", views.SettingsView.as_view(), name="settings"),
]
