from django.urls import path

from . import public_views

app_name = "complaints-public"

urlpatterns = [
    path("new/", public_views.IntakeView.as_view(), name="new"),
    path("status/", public_views.StatusView.as_view(), name="status"),
]
