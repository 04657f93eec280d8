"""Error pages are the site's own, in the visitor's language, with a way back (issue 17,
defect 10). The 500 page renders with no request context and no database."""

import pytest
from django.template import loader
from django.test import RequestFactory
from django.utils import translation

from core.roles import Role
from core.views import server_error

HEADINGS_404 = {
    "en": "This page does not exist",
    "es": "Esta página no existe",
    "ht": "Paj sa a pa egziste",
    "bn": "এই পাতাটি নেই",
}
HEADINGS_500 = {
    "en": "Something went wrong on our side",
    "es": "Algo salió mal de nuestro lado",
    "ht": "Gen yon bagay ki pa mache bò kote nou",
    "bn": "আমাদের দিকে কিছু একটা ভুল হয়েছে",
}


@pytest.mark.parametrize("lang", ["en", "es", "ht", "bn"])
def test_404_page_fits_the_site_speaks_the_language_and_leads_back(personas, client_for, lang):
    response = client_for(None).get(
        "/public/no-such-program/",
        HTTP_ACCEPT_LANGUAGE=lang,
        HTTP_REFERER="http://testserver/public/alpha/",
    )
    assert response.status_code == 404
    page = response.content.decode()
    assert HEADINGS_404[lang] in page
    assert f'<html lang="{lang}">' in page
    assert "css/app.css" in page  # the site's layout, not a bare page
    assert 'href="/"' in page  # home
    assert 'href="http://testserver/public/alpha/"' in page  # back where they came from


def test_404_never_links_back_to_another_site(client_for, db):
    response = client_for(None).get("/nowhere/", HTTP_REFERER="https://evil.example/phish")
    assert response.status_code == 404
    assert "evil.example" not in response.content.decode()


def test_403_page_leads_a_member_back_to_their_programs(personas, client_for):
    a = personas.a
    response = client_for(a.user(Role.VIEWER)).get(f"/p/{a.slug}/members/invite/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "You cannot open this page" in page
    assert 'href="/p/"' in page and "css/app.css" in page


@pytest.mark.parametrize("lang", ["en", "es", "ht", "bn"])
def test_500_page_renders_without_request_context_or_database(lang):
    # No database fixture: pytest-django refuses any query here, so rendering proves the
    # page needs none (a 500 is often a database that is down).
    with translation.override(lang):
        # What Django does for a 500: the template rendered with no context at all.
        page = loader.get_template("500.html").render()
        assert HEADINGS_500[lang] in page and 'href="/"' in page
        response = server_error(RequestFactory().get("/p/alpha/"))
    assert response.status_code == 500
    assert "css/app.css" in response.content.decode()
