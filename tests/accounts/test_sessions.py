"""A user's sessions are listed and can be ended (one, or all others); an admin of the
program ends a member's sessions; every end is an audit event."""

import pytest
from django.test import Client

from accounts.models import UserSession
from core.models import AuditEvent
from core.roles import Role
from programs.models import Membership
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def login(user, agent):
    client = Client(HTTP_USER_AGENT=agent)
    assert (
        client.post(
            "/accounts/login/", {"username": user.username, "password": PASSWORD}
        ).status_code
        == 302
    )
    return client


def test_user_lists_and_ends_sessions(personas):
    a = personas.a
    user = a.user(Role.VIEWER)
    laptop, phone, tablet = (login(user, agent) for agent in ("Laptop", "Phone", "Tablet"))
    page = laptop.get("/accounts/sessions/")
    body = page.content.decode()
    assert all(agent in body for agent in ("Laptop", "Phone", "Tablet"))
    assert "127.0.0.1" not in body  # no address is kept
    phone_row = UserSession.objects.get(user=user, user_agent="Phone")
    laptop.post("/accounts/sessions/", {"session": phone_row.pk})
    assert phone.get(f"/p/{a.slug}/").status_code == 302  # logged out
    assert laptop.get(f"/p/{a.slug}/").status_code == 200
    laptop.post("/accounts/sessions/", {"action": "end_others"})
    assert tablet.get(f"/p/{a.slug}/").status_code == 302
    assert laptop.get(f"/p/{a.slug}/").status_code == 200
    assert list(UserSession.objects.filter(user=user).values_list("user_agent", flat=True)) == [
        "Laptop"
    ]
    verbs = list(AuditEvent.objects.filter(program=None, actor=user).values_list("verb", flat=True))
    assert verbs[-2:] == ["session.ended", "session.ended_all"]
    # Logging out forgets the row.
    laptop.post("/accounts/logout/")
    assert not UserSession.objects.filter(user=user).exists()


def test_a_session_of_another_user_cannot_be_ended(personas):
    victim = personas.a.user(Role.STAFF)
    victim_client = login(victim, "Victim")
    row = UserSession.objects.get(user=victim)
    other = login(personas.a.user(Role.VIEWER), "Other")
    assert other.post("/accounts/sessions/", {"session": row.pk}).status_code == 404
    assert UserSession.objects.filter(pk=row.pk).exists()
    assert victim_client.get("/accounts/sessions/").status_code in (200, 302)


def test_admin_ends_a_members_sessions(personas, client_for):
    a, b = personas.a, personas.b
    member = a.user(Role.INVESTIGATOR)
    session = login(member, "Lost laptop")
    membership = Membership.objects.get(user=member, program=a.program)
    url = f"/p/{a.slug}/members/{membership.pk}/end-sessions/"
    # Not an admin: refused; another program's admin: not found. Nothing ended.
    assert client_for(a.user(Role.STAFF)).post(url).status_code == 403
    assert client_for(b.user(Role.ADMIN)).post(url).status_code == 404
    assert (
        client_for(b.user(Role.ADMIN))
        .post(f"/p/{b.slug}/members/{membership.pk}/end-sessions/")
        .status_code
        == 404
    )
    assert UserSession.objects.filter(user=member).exists()

    admin = a.user(Role.ADMIN)
    response = client_for(admin).post(url)
    assert response.status_code == 302
    assert session.get(f"/p/{a.slug}/").status_code == 302
    event = AuditEvent.objects.get(program=a.program, verb="session.ended_all")
    assert event.actor_id == admin.pk and event.object_id == str(member.pk)
    assert event.payload == {"count": 1}


def test_the_end_sessions_control_follows_its_action(personas, client_for):
    """The member list shows "End sessions" exactly to whom core.authz allows
    member.sessions_end (admins), not to staff who may see the list."""
    from django.urls import reverse

    url = reverse("programs:member_list", kwargs={"program": personas.a.slug})
    admin_page = client_for(personas.a.user(Role.ADMIN)).get(url).content.decode()
    staff_page = client_for(personas.a.user(Role.STAFF)).get(url)
    assert "End sessions" in admin_page
    assert staff_page.status_code == 200 and "End sessions" not in staff_page.content.decode()
