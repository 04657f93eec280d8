"""A deactivated member (membership or whole account) loses their session and their API
token at once, on every path: workspace, API, buyer portal."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from core.roles import Role
from programs import services as program_services
from programs.models import Membership

pytestmark = pytest.mark.django_db


def token_client(user):
    from accounts import services

    _, secret = services.api_token_create(actor=user, user=user, name="probe")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


@pytest.mark.parametrize("role", [Role.STAFF, Role.VIEWER])
def test_deactivated_membership_stops_session_and_token_at_once(personas, client_for, role):
    world = personas.a
    user = world.user(role)
    session = client_for(user)
    api = token_client(user)
    assert session.get(f"/p/{world.slug}/").status_code == 200
    assert api.get(f"/api/v1/programs/{world.slug}/suppliers/").status_code == 200

    membership = Membership.objects.get(user=user, program=world.program)
    program_services.membership_change(
        actor=world.user(Role.ADMIN), membership=membership, is_active=False
    )
    assert session.get(f"/p/{world.slug}/").status_code == 404
    assert api.get(f"/api/v1/programs/{world.slug}/suppliers/").status_code == 404


def test_deactivated_buyer_officer_loses_the_portal_at_once(personas, client_for):
    world = personas.a
    user = world.user(Role.BUYER_OFFICER)
    session = client_for(user)
    api = token_client(user)
    assert session.get("/buyer/").status_code == 200
    assert api.get("/api/v1/buyer/obligations/").status_code == 200
    membership = Membership.objects.get(user=user, program=world.program)
    program_services.membership_change(
        actor=world.user(Role.ADMIN), membership=membership, is_active=False
    )
    page = session.get("/buyer/")
    assert page.status_code in (403, 404) or world.buyer.name not in page.content.decode()
    listing = api.get("/api/v1/buyer/obligations/")
    assert listing.status_code in (403, 404) or listing.json()["count"] == 0


def test_deactivated_account_stops_session_and_token_at_once(personas, client_for):
    world = personas.a
    user = world.user(Role.STAFF)
    session = client_for(user)
    api = token_client(user)
    assert session.get(f"/p/{world.slug}/").status_code == 200
    assert api.get(f"/api/v1/programs/{world.slug}/suppliers/").status_code == 200

    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    assert session.get(f"/p/{world.slug}/").status_code == 302  # back to the login page
    assert api.get(f"/api/v1/programs/{world.slug}/suppliers/").status_code in (401, 403)
