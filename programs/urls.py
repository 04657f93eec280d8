from django.urls import path

from accounts.views import MemberSessionsEndView

from . import views

app_name = "programs"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    # parties
    path("buyers/", views.BuyerListView.as_view(), name="buyer_list"),
    path("buyers/new/", views.BuyerCreateView.as_view(), name="buyer_create"),
    path("buyers/<int:pk>/", views.BuyerDetailView.as_view(), name="buyer_detail"),
    path("buyers/<int:pk>/edit/", views.BuyerEditView.as_view(), name="buyer_edit"),
    path("suppliers/", views.SupplierListView.as_view(), name="supplier_list"),
    path("suppliers/new/", views.SupplierCreateView.as_view(), name="supplier_create"),
    path("suppliers/<int:pk>/", views.SupplierDetailView.as_view(), name="supplier_detail"),
    path("suppliers/<int:pk>/edit/", views.SupplierEditView.as_view(), name="supplier_edit"),
    path("facilities/", views.FacilityListView.as_view(), name="facility_list"),
    path("facilities/new/", views.FacilityCreateView.as_view(), name="facility_create"),
    path("facilities/<int:pk>/", views.FacilityDetailView.as_view(), name="facility_detail"),
    path("facilities/<int:pk>/edit/", views.FacilityEditView.as_view(), name="facility_edit"),
    path("sourcing/", views.SourcingListView.as_view(), name="sourcing_list"),
    path("sourcing/new/", views.SourcingCreateView.as_view(), name="sourcing_create"),
    path("sourcing/<int:pk>/end/", views.SourcingEndView.as_view(), name="sourcing_end"),
    # agreements
    path("agreements/", views.AgreementListView.as_view(), name="agreement_list"),
    path("agreements/new/", views.AgreementCreateView.as_view(), name="agreement_create"),
    path("agreements/<int:pk>/", views.AgreementDetailView.as_view(), name="agreement_detail"),
    path("agreements/<int:pk>/edit/", views.AgreementEditView.as_view(), name="agreement_edit"),
    path(
        "agreements/<int:pk>/activate/",
        views.AgreementActivateView.as_view(),
        name="agreement_activate",
    ),
    path(
        "agreements/<int:pk>/terminate/",
        views.AgreementTerminateView.as_view(),
        name="agreement_terminate",
    ),
    path(
        "agreements/<int:pk>/document/",
        views.AgreementDocumentView.as_view(),
        name="agreement_document",
    ),
    path(
        "agreements/<int:pk>/signatories/new/",
        views.SignatoryAddView.as_view(),
        name="signatory_add",
    ),
    path(
        "agreements/<int:pk>/signatories/<int:signatory>/remove/",
        views.SignatoryRemoveView.as_view(),
        name="signatory_remove",
    ),
    path("agreements/<int:pk>/share/", views.AgreementShareView.as_view(), name="agreement_share"),
    path(
        "agreements/<int:pk>/unshare/",
        views.AgreementUnshareView.as_view(),
        name="agreement_unshare",
    ),
    # the code of conduct
    path("code/", views.CodeListView.as_view(), name="code_list"),
    path("code/new/", views.CodeCreateView.as_view(), name="code_create"),
    path("code/<int:pk>/", views.CodeDetailView.as_view(), name="code_detail"),
    path("code/<int:pk>/draft/", views.CodeDraftCreateView.as_view(), name="code_draft_create"),
    path("code/versions/<int:pk>/", views.VersionDetailView.as_view(), name="version_detail"),
    path(
        "code/versions/<int:pk>/ratify/", views.VersionRatifyView.as_view(), name="version_ratify"
    ),
    path(
        "code/versions/<int:pk>/provisions/new/",
        views.ProvisionAddView.as_view(),
        name="provision_add",
    ),
    path(
        "code/provisions/<int:pk>/edit/", views.ProvisionEditView.as_view(), name="provision_edit"
    ),
    path(
        "code/provisions/<int:pk>/remove/",
        views.ProvisionRemoveView.as_view(),
        name="provision_remove",
    ),
    # members and the user's API token
    path("members/", views.MemberListView.as_view(), name="member_list"),
    path("members/invite/", views.MemberInviteView.as_view(), name="member_invite"),
    path("members/<int:pk>/", views.MemberEditView.as_view(), name="member_edit"),
    path(
        "members/<int:pk>/end-sessions/",
        MemberSessionsEndView.as_view(),
        name="member_sessions_end",
    ),
    path("api-token/", views.ApiTokenView.as_view(), name="api_token"),
]
