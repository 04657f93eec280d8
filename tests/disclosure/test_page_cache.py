"""The whole program page is shared between stateless visitors: a fresh CSP nonce in
every response, nothing personal in what is shared, register changes visible at once,
complaint figures at most DISCLOSURE_FIGURES_MAX_AGE late."""

import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.middleware.csp import get_nonce
from django.test import override_settings
from django.utils.csp import LazyNonce, build_policy

from complaints import services as complaint_services
from core.actors import PUBLIC
from disclosure import page_cache, selectors
from programs.models import Role
from tests.utils import count_queries

from .conftest import add_suppliers, body_of


@pytest.fixture
def a(personas):
    return personas.a


def _submit(world, n=1):
    for i in range(n):
        complaint_services.complaint_submit(
            actor=PUBLIC,
            program=world.program,
            narrative=f"Complaint {i} about the crew boss.",
            category="wages",
            facility=world.facility,
        )


def _received_to_date(page):
    return int(re.search(r'data-figure="total_received">(\d+)<', page).group(1))


def test_second_visitor_gets_the_stored_page_with_its_own_nonce(a, client_for):
    url = f"/public/{a.slug}/"
    cold, first = count_queries(lambda: client_for(None).get(url))
    warm, second = count_queries(lambda: client_for(None).get(url))
    assert first.status_code == second.status_code == 200
    # Served from the stored page: the program and the two versions, nothing else.
    assert warm < cold and warm <= 3, (cold, warm)
    assert page_cache.NONCE_PLACEHOLDER not in body_of(second)
    assert body_of(first) == body_of(second)
    assert first["Content-Security-Policy"] == second["Content-Security-Policy"]
    assert not second.cookies.get("sessionid") and not second.cookies.get("csrftoken")


def test_a_stored_page_gets_each_responses_own_nonce(a, rf):
    # The page itself needs no inline script today; a nonce used by any template must
    # still be new in every response and match its CSP header.
    version = selectors.data_version(a.program)
    first = rf.get(f"/public/{a.slug}/")
    first._csp_nonce = LazyNonce()
    key = page_cache.key(first, a.program, version, "en")
    html = f'<script nonce="{first._csp_nonce}">go()</script><p>{first._csp_nonce}</p>'
    response = HttpResponse(html)
    response.shareable = True
    page_cache.store(first, key, response)
    assert page_cache.NONCE_PLACEHOLDER in cache.get(key)
    second = rf.get(f"/public/{a.slug}/")
    second._csp_nonce = LazyNonce()
    served = page_cache.get(second, key).content.decode()
    assert served == f'<script nonce="{second._csp_nonce}">go()</script><p>{second._csp_nonce}</p>'
    assert str(second._csp_nonce) != str(first._csp_nonce)
    header = build_policy(settings.SECURE_CSP, get_nonce(second))
    assert f"'nonce-{second._csp_nonce}'" in header


def test_a_page_with_a_csrf_token_is_not_stored(a, rf):
    request = rf.get(f"/public/{a.slug}/")
    request._csp_nonce = LazyNonce()
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    key = page_cache.key(request, a.program, selectors.data_version(a.program), "en")
    response = HttpResponse("<form>token</form>")
    response.shareable = True
    page_cache.store(request, key, response)
    assert cache.get(key) is None


def test_a_signed_in_user_is_never_served_or_stored(a, client_for):
    url = f"/public/{a.slug}/"
    staff = a.members[Role.STAFF]
    assert body_of(client_for(None).get(url))  # stored for stateless visitors
    own = body_of(client_for(staff).get(url))
    assert staff.get_username() in own and "Log out" in own
    anonymous = body_of(client_for(None).get(url))
    assert staff.get_username() not in anonymous and "Log out" not in anonymous
    assert "csrfmiddlewaretoken" not in anonymous


def test_a_staff_render_is_not_stored_for_others(a, client_for):
    url = f"/public/{a.slug}/?lang=es"
    staff = a.members[Role.STAFF]
    client_for(staff).get(url)  # first render of this key, by a signed-in user
    page = body_of(client_for(None).get(url))
    assert staff.get_username() not in page and "csrfmiddlewaretoken" not in page


def test_unknown_parameters_render_but_are_not_stored(a, client_for, rf):
    version = selectors.data_version(a.program)
    odd = rf.get(f"/public/{a.slug}/", {"utm_source": "x"})
    assert page_cache.key(odd, a.program, version, "en") is None
    repeated = rf.get(f"/public/{a.slug}/?page=1&page=2")
    assert page_cache.key(repeated, a.program, version, "en") is None
    long = rf.get(f"/public/{a.slug}/", {"q": "x" * 101})
    assert page_cache.key(long, a.program, version, "en") is None
    with_session = rf.get(f"/public/{a.slug}/")
    with_session.COOKIES["sessionid"] = "abc"
    assert page_cache.key(with_session, a.program, version, "en") is None
    # Parameter order does not matter; values do.
    one = page_cache.key(rf.get("/", {"q": "a", "page": "2"}), a.program, version, "en")
    two = page_cache.key(rf.get("/?page=2&q=a"), a.program, version, "en")
    assert one == two
    assert one != page_cache.key(rf.get("/", {"q": "b", "page": "2"}), a.program, version, "en")
    response = client_for(None).get(f"/public/{a.slug}/?utm_source=x")
    assert response.status_code == 200 and a.supplier.legal_name in body_of(response)


def test_register_changes_show_at_once(a, client_for):
    url = f"/public/{a.slug}/"
    assert "Grower 500 Inc" not in body_of(client_for(None).get(url))
    add_suppliers(a, 1, start=500)
    assert "Grower 500 Inc" in body_of(client_for(None).get(url))


def test_complaint_events_do_not_move_the_register_version(a):
    before = selectors.data_version(a.program)
    _submit(a)
    after = selectors.data_version(a.program)
    assert after.seq == before.seq and after.key == before.key
    assert after.mark > before.mark  # max age 0 in tests: the figures are current
    assert after.figures_key != before.figures_key
    add_suppliers(a, 1, start=600)
    assert selectors.data_version(a.program).seq > after.seq


@override_settings(DISCLOSURE_FIGURES_MAX_AGE=300)
def test_complaint_figures_lag_at_most_the_max_age(a, client_for):
    url = f"/public/{a.slug}/"
    first = body_of(client_for(None).get(url))
    assert "Complaint figures are updated every 5 minutes." in first
    received = _received_to_date(first)
    _submit(a, 2)
    # Within the max age the shared page (and its figures) stand.
    assert _received_to_date(body_of(client_for(None).get(url))) == received
    # A register change shows at once, even though complaint events came after it.
    add_suppliers(a, 1, start=700)
    page = body_of(client_for(None).get(url))
    assert "Grower 700 Inc" in page
    # Once the max age has passed (the memoised mark expires), the figures catch up.
    cache.delete(f"disclosure:{a.program.pk}:figures-mark")
    assert _received_to_date(body_of(client_for(None).get(url))) == received + 2


def test_register_version_query_uses_the_partial_index(a):
    _submit(a, 3)
    events = selectors.AuditEvent.objects.filter(program=a.program).exclude(
        object_type__startswith=selectors.REGISTER_EXCLUDED_PREFIX
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        # Tiny test tables make a sort of a few rows cheapest; at scale the planner
        # walks an index in order. Of those, the partial one must be usable.
        cursor.execute("SET LOCAL enable_sort = off")
    plan = events.order_by("-seq").values_list("seq")[:1].explain()
    assert "auditevent_register_seq" in plan, plan


@override_settings(DISCLOSURE_VERSION_MAX_AGE=60)
def test_within_the_version_max_age_a_process_answers_without_a_query(a, client_for):
    url = f"/public/{a.slug}/"
    client_for(None).get(url)
    queries, response = count_queries(lambda: client_for(None).get(url))
    assert response.status_code == 200 and queries == 0
    add_suppliers(a, 1, start=800)
    # Still the version this process read less than the max age ago ...
    assert "Grower 800 Inc" not in body_of(client_for(None).get(url))
    # ... and once it has passed, the new one.
    page_cache._recent_versions.clear()
    assert "Grower 800 Inc" in body_of(client_for(None).get(url))


def test_each_process_keeps_a_bounded_copy(a, client_for, rf, monkeypatch):
    monkeypatch.setattr(page_cache, "LOCAL_PAGES", 3)
    queries = ["", "?page=1", "?lang=es", "?lang=ht", "?lang=bn"]
    for query in queries:
        assert client_for(None).get(f"/public/{a.slug}/{query}").status_code == 200
    assert len(page_cache._local_pages) == 3
    # The shared copy still answers for a page this process has dropped.
    request = rf.get(f"/public/{a.slug}/")
    key = page_cache.key(request, a.program, selectors.data_version(a.program), "en")
    assert key not in page_cache._local_pages and cache.get(key) is not None


def test_made_up_queries_are_answered_but_not_stored(a, client_for, rf):
    """Only the page's own queries are stored: a search, a page past the end or written
    another way, an unknown choice or language would otherwise let anyone fill the cache
    with URLs of their own making."""
    version = selectors.data_version(a.program)
    made_up = [
        "?q=Grower",
        "?page=7",
        "?page=01",
        "?country=ZZ",
        "?standing=nonsense",
        "?lang=zz",
    ]
    for query in made_up:
        response = client_for(None).get(f"/public/{a.slug}/{query}")
        assert response.status_code == 200 and a.supplier.legal_name in body_of(response)
        request = rf.get(f"/public/{a.slug}/{query}")
        for lang in ("en", "es", "ht", "bn"):
            assert cache.get(page_cache.key(request, a.program, version, lang)) is None, query
    # The page's own filters are stored.
    own = f"/public/{a.slug}/?q=&country=US&standing=good&stage=&lang=en"
    assert client_for(None).get(own).status_code == 200
    assert cache.get(page_cache.key(rf.get(own), a.program, version, "en")) is not None


def test_supplier_pages_are_stored_by_the_page_they_land_on(a, client_for):
    add_suppliers(a, 30, start=900)  # two pages of 25
    url = f"/public/{a.slug}/"
    last = body_of(client_for(None).get(url + "?page=2"))
    for odd in ("?page=99", "?page=x", "?page=2"):
        # Out of range and junk land on a real page (the last, the first): one entry each.
        client_for(None).get(url + odd)
    pages = [key for key in cache._cache.get_client().keys("*:page:*")]
    assert len(pages) == 2, pages
    assert "Grower 929 Inc" in last


def test_a_deploy_that_changes_texts_is_not_hidden_behind_cached_pages(a, rf, settings, tmp_path):
    version = selectors.data_version(a.program)
    key = page_cache.key(rf.get(f"/public/{a.slug}/"), a.program, version, "es")
    assert f":{selectors.RELEASE}:" in key
    # The release digest follows the templates and the compiled translations.
    (tmp_path / "templates").mkdir()
    (tmp_path / "locale/es/LC_MESSAGES").mkdir(parents=True)
    page = tmp_path / "templates/page.html"
    catalog = tmp_path / "locale/es/LC_MESSAGES/django.mo"
    page.write_text("<p>Hello</p>")
    catalog.write_bytes(b"one")
    settings.BASE_DIR = tmp_path
    first = selectors._release()
    assert selectors._release() == first
    catalog.write_bytes(b"two")
    second = selectors._release()
    page.write_text("<p>Hola</p>")
    assert len({first, second, selectors._release()}) == 3
