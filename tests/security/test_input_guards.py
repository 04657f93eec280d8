"""Issue 21: no 500 from any input (NUL bytes) and no-store on pages behind a login."""

import datetime

import pytest
from django.urls import reverse

from complaints.models import Case
from core.actors import SystemActor
from core.roles import Role

SYSTEM = SystemActor("test-setup")

pytestmark = pytest.mark.django_db


def test_nul_in_a_public_api_query_parameter_is_a_400_naming_it(personas, client_for):
    a = personas.a
    client = client_for(None)
    for name in ("suppliers", "facilities", "buyers"):
        response = client.get(f"/api/v1/public/{a.slug}/{name}/?search=ab%00cd")
        assert response.status_code == 400, (name, response.status_code)
        assert response.json()["field"] == "search"
    response = client.get(f"/api/v1/public/{a.slug}/suppliers/?country=U%00S")
    assert response.status_code == 400 and response.json()["field"] == "country"


def test_nul_in_an_html_query_parameter_form_field_or_json_string_is_refused(personas, client_for):
    a = personas.a
    staff = client_for(a.user(Role.STAFF))
    response = staff.get(f"/p/{a.slug}/complaints/?q=%00")
    assert response.status_code == 400
    assert "“q”" in response.content.decode()
    # A public form: nothing is filed.
    before = Case.objects.count()
    anonymous = client_for(None)
    response = anonymous.post(
        f"/public/{a.slug}/complaints/new/",
        {"narrative": "They took my passport\x00", "category": "wages"},
    )
    assert response.status_code == 400 and "narrative" in response.content.decode()
    assert Case.objects.count() == before
    # A JSON string, however deep.
    response = staff.post(
        reverse("programs-api:supplier-list", kwargs={"program": a.slug}),
        {"legal_name": "Farm", "country": "US", "extra": {"list": ["ok", "b\x00d"]}},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "extra.list[1]"


def test_pages_behind_a_login_are_private_no_store_public_pages_keep_their_rules(
    personas, client_for
):
    a = personas.a
    staff = client_for(a.user(Role.ADMIN))
    for path in (
        f"/p/{a.slug}/complaints/",
        reverse("programs:api_token", kwargs={"program": a.slug}),
        f"/p/{a.slug}/enforcement/standings/",
        f"/api/v1/programs/{a.slug}/suppliers/",
        "/buyer/",
    ):
        response = staff.get(path)
        assert response.status_code in (200, 302, 403, 404), path
        cache_control = response.get("Cache-Control", "")
        assert "no-store" in cache_control and "private" in cache_control, (path, cache_control)
    # Open data that opts in stays cacheable by shared caches.
    response = client_for(None).get(f"/public/{a.slug}/suppliers.csv")
    assert "no-store" not in response.get("Cache-Control", "")


def test_agreements_filter_names_only_buyers_the_member_may_see(personas, client_for):
    """A buyer officer saw every buyer of the program in the agreements filter."""
    from programs import services as program_services

    a = personas.a
    program_services.agreement_create(
        actor=SYSTEM,
        program=a.program,
        buyer=a.other_buyer,
        title="Other agreement",
        signed_date=datetime.date(2025, 6, 1),
        effective_from=datetime.date(2025, 7, 1),
        premium_rate="0.010000",
        premium_unit="lb",
        consequence_clause="Suspend purchases.",
    )
    path = reverse("programs:agreement_list", kwargs={"program": a.slug})
    officer_page = client_for(a.user(Role.BUYER_OFFICER)).get(path)
    assert officer_page.status_code == 200
    names = [b.name for b in officer_page.context["buyers"]]
    assert names == [a.buyer.name]
    assert a.other_buyer.name not in officer_page.content.decode()
    staff_page = client_for(a.user(Role.STAFF)).get(path)
    assert {b.name for b in staff_page.context["buyers"]} == {a.buyer.name, a.other_buyer.name}


def test_a_field_longer_than_the_limit_is_refused_before_any_view(personas, client_for):
    """A 1 MB string in a field without a max_length was stored (a note, a summary)."""
    from core.guards import MAX_FIELD_CHARS

    a = personas.a
    staff = client_for(a.user(Role.STAFF))
    long = "x" * (MAX_FIELD_CHARS + 1)
    response = staff.post(
        reverse("programs-api:supplier-list", kwargs={"program": a.slug}),
        {"legal_name": "Farm", "country": "US", "notes": long},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": f"notes: Ensure this field has no more than {MAX_FIELD_CHARS} characters.",
        "code": "max_length",
        "field": "notes",
    }
    response = staff.get(f"/p/{a.slug}/complaints/?q={long}")
    assert response.status_code == 400 and "“q”" in response.content.decode()
    # Exactly at the limit is the view's to judge.
    response = staff.get(f"/p/{a.slug}/complaints/?q={'x' * MAX_FIELD_CHARS}")
    assert response.status_code == 200


def test_an_invitation_address_longer_than_a_username_is_an_error_not_a_500(personas, client_for):
    from django.contrib.auth import get_user_model

    a = personas.a
    admin = client_for(a.user(Role.ADMIN))
    address = "w" * 140 + "@example.org"  # 152 characters: a valid address, too long
    users = get_user_model().objects.count()
    response = admin.post(
        reverse("programs-api:member-list", kwargs={"program": a.slug}),
        {"email": address, "role": "viewer"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "email" in response.json()
    response = admin.post(
        reverse("programs:member_invite", kwargs={"program": a.slug}),
        {"email": address, "role": "viewer"},
    )
    assert response.status_code == 200 and "at most 150 characters" in response.content.decode()
    assert get_user_model().objects.count() == users
