"""Mounted by config/urls.py under p/<slug:program>/."""

from django.urls import path

from .views import ExportJobDownloadView, ExportJobView, ProgramExportView

urlpatterns = [
    path("export.zip", ProgramExportView.as_view(), name="program-export"),
    path("exports/", ExportJobView.as_view(), name="program-export-job"),
    path("exports/download/", ExportJobDownloadView.as_view(), name="program-export-download"),
]
