"""Mounted by config/urls.py under p/<slug:program>/."""

from django.urls import path

from .views import ProgramExportView

urlpatterns = [
    path("export.zip", ProgramExportView.as_view(), name="program-export"),
]
