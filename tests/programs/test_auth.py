"""Log in, log out, password reset and change through django.contrib.auth.urls, with
this project's templates; and the admin page that invites members."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent
from core.roles import Role
from programs.models import Membership
from tests.conftest import PASSWORD, make_user
from tests.utils import drain_mail

pytestmark = pytest.mark.django_db


def test_login_and_logout(a):
    client = Client()
    page = client.get(reverse("login"))
    assert page.status_code == 200 and "Forgot your password?" in page.content.decode()
    r = client.post(
        reverse("login"), {"username": a.user(Role.STAFF).username, "password": PASSWORD}
    )
    assert r.status_code == 302
    # One program: home goes straight to its workspace.
    assert client.get(reverse("home"))["Location"] == f"/p/{a.slug}/"
    r = client.post(reverse("logout"))
    assert r.status_code == 302 and r["Location"] == reverse("login")
    assert client.get(f"/p/{a.slug}/").status_code == 302


def test_password_reset_end_to_end(a, mailoutbox):
    user = a.user(Role.VIEWER)
    client = Client()
    assert "Reset your password" in client.get(reverse("password_reset")).content.decode()
    r = client.post(reverse("password_reset"), {"email": user.email})
    assert r["Location"] == reverse("password_reset_done")
    assert "Check your e-mail" in client.get(r["Location"]).content.decode()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject == "Reset your WSR Platform password"
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mailoutbox[0].body).group(1)

    r = client.get(link, follow=True)  # redirects to the set-password URL
    assert "Choose a new password" in r.content.decode()
    r = client.post(
        r.redirect_chain[-1][0],
        {"new_password1": "a new long passphrase 42", "new_password2": "a new long passphrase 42"},
    )
    assert r["Location"] == reverse("password_reset_complete")
    assert "Your password is set" in client.get(r["Location"]).content.decode()
    user.refresh_from_db()
    assert user.check_password("a new long passphrase 42")
    # The link works once.
    assert "no longer works" in client.get(link, follow=True).content.decode()


def test_password_change(a, client_for):
    user = a.user(Role.AUDITOR)
    client = client_for(user)
    assert "Change your password" in client.get(reverse("password_change")).content.decode()
    r = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another long passphrase 7",
            "new_password2": "another long passphrase 7",
        },
    )
    assert r["Location"] == reverse("password_change_done")
    assert "was changed" in client.get(r["Location"]).content.decode()


def test_admin_invites_a_member_through_the_service(
    a, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    superuser = make_user("root@example.org", is_staff=True, is_superuser=True)
    client = client_for(superuser)
    url = reverse("admin:programs_membership_invite")
    assert client.get(reverse("admin:programs_membership_add"))["Location"] == url
    page = client.get(url)
    assert page.status_code == 200 and "Invite a member to a program" in page.content.decode()

    r = client.post(
        url, {"program": a.program.pk, "email": "x@example.org", "role": "buyer_officer"}
    )
    assert r.status_code == 200 and "bound to a buyer" in r.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            url,
            {
                "program": a.program.pk,
                "email": "newcomer@example.org",
                "role": "investigator",
                "send_email": "on",
            },
        )
    assert r.status_code == 302
    membership = Membership.objects.get(user__email="newcomer@example.org")
    assert membership.role == "investigator" and membership.invited_by == superuser
    assert AuditEvent.objects.filter(
        program=a.program, verb="membership.invited", object_id=str(membership.pk)
    ).exists()
    drain_mail()
    assert len(mailoutbox) == 1
    assert not get_user_model().objects.get(email="newcomer@example.org").has_usable_password()

    # Deactivation from the changelist is an admin action calling membership_change.
    r = client.post(
        reverse("admin:programs_membership_changelist"),
        {"action": "deactivate", "_selected_action": [membership.pk]},
    )
    assert r.status_code == 302
    membership.refresh_from_db()
    assert not membership.is_active
    assert AuditEvent.objects.filter(program=a.program, verb="membership.changed").exists()


def test_admin_domain_models_are_read_only(a, client_for):
    superuser = make_user("root@example.org", is_staff=True, is_superuser=True)
    client = client_for(superuser)
    r = client.get(reverse("admin:programs_agreement_change", args=[a.agreement.pk]))
    assert r.status_code == 200 and 'name="_save"' not in r.content.decode()
    assert client.get(reverse("admin:programs_supplier_add")).status_code == 403
    assert (
        client.get(reverse("admin:programs_facility_changelist"), {"q": "Farm"}).status_code == 200
    )


def test_invitation_link_sets_the_password(a, mailoutbox, django_capture_on_commit_callbacks):
    from programs import services

    with django_capture_on_commit_callbacks(execute=True):
        services.membership_invite(
            actor=a.user(Role.ADMIN), program=a.program, email="invitee@example.org", role="staff"
        )
    drain_mail()
    link = re.search(r"http://localhost:8000(/accounts/reset/\S+/)", mailoutbox[0].body).group(1)
    client = Client()
    r = client.get(link, follow=True)
    assert "Choose a new password" in r.content.decode()
    client.post(
        r.redirect_chain[-1][0],
        {"new_password1": "invited and welcome 99", "new_password2": "invited and welcome 99"},
    )
    user = get_user_model().objects.get(email="invitee@example.org")
    assert user.check_password("invited and welcome 99")
