from django.urls import path

from . import views

app_name = "programs"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("suppliers/", views.SupplierListView.as_view(), name="supplier_list"),
    path("suppliers/new/", views.SupplierCreateView.as_view(), name="supplier_create"),
    path("suppliers/<int:pk>/", views.SupplierDetailView.as_view(), name="supplier_detail"),
    path("suppliers/<int:pk>/edit/", views.SupplierEditView.as_view(), name="supplier_edit"),
    path("facilities/new/", views.FacilityCreateView.as_view(), name="facility_create"),
]
