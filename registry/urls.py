from django.urls import path

from . import views

app_name = "registry"

urlpatterns = [
    path("imports/", views.ImportListView.as_view(), name="import_list"),
    path("imports/<uuid:pk>/", views.ImportDetailView.as_view(), name="import_detail"),
    path("imports/<uuid:pk>/mapping/", views.ImportMappingView.as_view(), name="import_mapping"),
    path("imports/<uuid:pk>/decide/", views.MatchDecideView.as_view(), name="match_decide"),
    path("imports/<uuid:pk>/apply/", views.ImportApplyView.as_view(), name="import_apply"),
    path("open-supply-hub/", views.OSHubView.as_view(), name="oshub"),
    path(
        "export/opensupplyhub.csv",
        views.FacilityExportView.as_view(kind="oshub"),
        name="export_oshub",
    ),
    path(
        "export/transparency-pledge.csv",
        views.FacilityExportView.as_view(kind="pledge"),
        name="export_pledge",
    ),
]
