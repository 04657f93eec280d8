from django.urls import path

from . import views

app_name = "disclosure"

public = "public/<slug:program>/"

urlpatterns = [
    path("", views.program_index, name="index"),
    path(public, views.program_page, name="program"),
    path(public + "data/", views.data_page, name="data"),
    path(public + "suppliers.csv", views.suppliers_csv, name="suppliers_csv"),
    path(public + "suppliers.json", views.suppliers_json, name="suppliers_json"),
    path(public + "suppliers.geojson", views.suppliers_geojson, name="suppliers_geojson"),
    path(public + "opensupplyhub.csv", views.opensupplyhub_csv, name="opensupplyhub_csv"),
    path(public + "buyers.csv", views.buyers_csv, name="buyers_csv"),
    path(public + "report.pdf", views.report_pdf, name="report_pdf"),
]
