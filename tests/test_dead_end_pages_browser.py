"""What a person sees at a dead end, in Chromium at a phone and a desktop size, in each
public language (issue 17, defect 10): the 403, 404 and 500 pages in the site's layout
with a way back, and the provision form with a field per language. Screenshots are saved
under test-artifacts/ for a person to look at."""

import os

import pytest
from django.urls import reverse

from core.roles import Role
from tests.conftest import ARTIFACTS, browser_login

LANGS = ("en", "es", "ht", "bn")
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
HEADINGS = {
    404: {
        "en": "This page does not exist",
        "es": "Esta página no existe",
        "ht": "Paj sa a pa egziste",
        "bn": "এই পাতাটি নেই",
    },
    500: {
        "en": "Something went wrong on our side",
        "es": "Algo salió mal de nuestro lado",
        "ht": "Gen yon bagay ki pa mache bò kote nou",
        "bn": "আমাদের দিকে কিছু একটা ভুল হয়েছে",
    },
}
TITLE_IN = {"es": "Spanish", "ht": "Haitian Creole", "bn": "Bengali"}


def _shot(page, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, f"{name}.png"), full_page=True)


def _fits_the_width(page):
    # Nothing wider than the screen: no sideways scrolling on a phone.
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.browser
@pytest.mark.urls("tests.error_urls")
@pytest.mark.django_db(transaction=True)
def test_error_pages_in_each_language_and_size(personas, browser_page):
    page = browser_page
    a = personas.a
    for lang in LANGS:
        page.set_extra_http_headers({"Accept-Language": lang})
        for size, viewport in SIZES.items():
            page.set_viewport_size(viewport)
            page.goto(f"/public/{a.slug}/no-such-page/")
            assert page.inner_text("h1") == HEADINGS[404][lang]
            # The way back (public pages send no Referer, so home and the staff log-in;
            # the previous page is tested in tests/test_error_pages.py).
            assert page.locator(".error-ways a[href='/']").count() == 1
            assert _fits_the_width(page)
            _shot(page, f"error-404-{lang}-{size}")

            response = page.goto("/test-failure/")
            assert response.status == 500
            assert page.inner_text("h1") == HEADINGS[500][lang]
            assert page.locator(".error-ways a[href='/']").count() == 1
            assert _fits_the_width(page)
            _shot(page, f"error-500-{lang}-{size}")
    page.set_extra_http_headers({"Accept-Language": "en"})
    page.set_viewport_size(SIZES["desktop"])
    browser_login(page, a.user(Role.VIEWER))
    response = page.goto(reverse("programs:member_invite", kwargs={"program": a.slug}))
    assert response.status == 403
    assert page.inner_text("h1") == "You cannot open this page"
    page.click(".error-ways >> text=Your programs")
    page.wait_for_load_state()
    assert page.url.rstrip("/").endswith(f"/p/{a.slug}") or "/p/" in page.url
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.goto(reverse("programs:member_invite", kwargs={"program": a.slug}))
        _shot(page, f"error-403-en-{size}")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_provision_form_has_a_field_per_language(personas, browser_page):
    page = browser_page
    a = personas.a
    browser_login(page, a.user(Role.STAFF))
    page.goto(reverse("programs:code_detail", kwargs={"program": a.slug, "pk": a.code.pk}))
    page.click("button:has-text('Start a new draft')")
    page.wait_for_load_state()
    draft = a.code.versions.get(status="draft")
    provision = draft.provisions.get(number="2.1")
    edit = reverse("programs:provision_edit", kwargs={"program": a.slug, "pk": provision.pk})
    for lang in LANGS:
        page.set_extra_http_headers({"Accept-Language": lang})
        for size, viewport in SIZES.items():
            page.set_viewport_size(viewport)
            page.goto(edit)
            assert page.locator("textarea[name=translations]").count() == 0
            for code in TITLE_IN:
                assert page.locator(f"input[name=title_{code}]").count() == 1
                assert page.locator(f"textarea[name=text_{code}]").count() == 1
            assert _fits_the_width(page)
            _shot(page, f"provision-form-{lang}-{size}")
    page.set_extra_http_headers({"Accept-Language": "en"})
    page.set_viewport_size(SIZES["desktop"])
    page.goto(edit)
    page.fill("input[name=title_es]", "Sombra y agua")
    page.fill("textarea[name=text_es]", "Sombra y agua gratis en cada campo.")
    page.fill("input[name=title_ht]", "Lonbraj ak dlo")  # no text: refused
    page.click("button[type=submit]")
    page.wait_for_selector(".error-summary")
    assert "Give the text in Haitian Creole too" in page.inner_text(".error-summary")
    assert page.input_value("input[name=title_es]") == "Sombra y agua"  # input kept
    _shot(page, "provision-form-error-en-desktop")
    page.fill("textarea[name=text_ht]", "Lonbraj ak dlo gratis nan chak jaden.")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    provision.refresh_from_db()
    assert provision.translations["ht"] == {
        "title": "Lonbraj ak dlo",
        "text": "Lonbraj ak dlo gratis nan chak jaden.",
    }
