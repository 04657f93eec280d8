"""Errors raised before any API view runs (no route matched) answer JSON under /api/,
Django's HTML pages elsewhere (config/urls.py handler400/403/404/500)."""

import pytest
from django.test import RequestFactory

from core import views


@pytest.mark.django_db
def test_api_path_that_matches_no_route_answers_json_404(client):
    # "t" does not match the <int:pk> converter: Django's resolver raises the 404.
    response = client.get("/api/v1/buyer/agreements/t/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Not found."}


@pytest.mark.django_db
def test_unknown_page_outside_the_api_still_answers_html(client):
    response = client.get("/no-such-page-anywhere/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("view", "status"),
    [(views.bad_request, 400), (views.permission_denied, 403)],
)
def test_other_handlers_answer_json_under_the_api(view, status):
    request = RequestFactory().get("/api/v1/programs/alpha/facilities/")
    response = view(request, Exception())
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")


def test_server_error_answers_json_under_the_api_and_html_elsewhere():
    factory = RequestFactory()
    api = views.server_error(factory.get("/api/v1/buyer/agreements/"))
    assert api.status_code == 500
    assert api["Content-Type"].startswith("application/json")
    page = views.server_error(factory.get("/p/"))
    assert page.status_code == 500
    assert page["Content-Type"].startswith("text/html")
