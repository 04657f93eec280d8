"""Taking a member off an audit's team: admin/staff only, a confirmation page, a POST with
CSRF, the guardian grant gone (the auditor gets 404 on the audit afterwards), the lead
kept until another lead is assigned."""

import pytest
from django.test import Client
from django.urls import reverse
from guardian.shortcuts import get_perms

from audits import selectors, services
from core.actors import SystemActor
from core.models import AuditEvent
from core.roles import Role
from programs import services as program_services
from tests.conftest import make_user

from .helpers import make_audit

pytestmark = pytest.mark.django_db


def url(name, world, **kwargs):
    return reverse(name, kwargs={"program": world.slug, **kwargs})


def second_auditor(world):
    user = make_user(f"auditor-two@{world.slug}.example.org")
    program_services.membership_invite(
        actor=SystemActor("test"),
        program=world.program,
        email=user.email,
        role=Role.AUDITOR,
        send_email=False,
    )
    return user


def test_staff_removes_an_auditor_who_then_cannot_see_the_audit(personas, client_for):
    a = personas.a
    member = second_auditor(a)
    audit = make_audit(a)
    services.audit_team_add(actor=a.user(Role.STAFF), audit=audit, user=member)
    member_client = client_for(member)
    assert member_client.get(url("audits:audit_detail", a, pk=audit.pk)).status_code == 200

    staff = client_for(a.user(Role.STAFF))
    remove = url("audits:audit_team_remove", a, pk=audit.pk, user=member.pk)
    assert remove in staff.get(url("audits:audit_detail", a, pk=audit.pk)).content.decode()
    confirm = staff.get(remove)
    assert confirm.status_code == 200 and "csrfmiddlewaretoken" in confirm.content.decode()

    response = staff.post(remove)
    assert response.status_code == 302
    assert get_perms(member, audit) == []
    assert member_client.get(url("audits:audit_detail", a, pk=audit.pk)).status_code == 404
    assert member_client.get(url("audits-api:audit-detail", a, pk=audit.pk)).status_code == 404
    event = AuditEvent.objects.filter(verb="audit.team_removed", object_id=str(audit.pk)).get()
    assert event.payload == {"user": member.pk} and event.actor_id == a.user(Role.STAFF).pk
    # Not on the team any more: the removal page for them is a 404.
    assert staff.get(remove).status_code == 404


def test_the_removal_needs_the_csrf_token(personas):
    a = personas.a
    member = second_auditor(a)
    audit = make_audit(a)
    services.audit_team_add(actor=a.user(Role.STAFF), audit=audit, user=member)
    client = Client(enforce_csrf_checks=True)
    client.force_login(a.user(Role.STAFF))
    response = client.post(url("audits:audit_team_remove", a, pk=audit.pk, user=member.pk))
    assert response.status_code == 403
    assert "view_audit" in get_perms(member, audit)


def test_the_lead_stays_until_another_lead_is_assigned(personas, client_for):
    a = personas.a
    audit = make_audit(a)
    lead = a.user(Role.AUDITOR)
    staff = client_for(a.user(Role.STAFF))
    remove = url("audits:audit_team_remove", a, pk=audit.pk, user=lead.pk)
    assert remove not in staff.get(url("audits:audit_detail", a, pk=audit.pk)).content.decode()
    response = staff.post(remove, follow=True)
    assert "Assign another lead auditor" in response.content.decode()
    assert "change_audit" in get_perms(lead, audit)


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.VIEWER, Role.INVESTIGATOR])
def test_only_admin_and_staff_remove_members(role, personas, client_for):
    a = personas.a
    member = second_auditor(a)
    audit = make_audit(a)
    services.audit_team_add(actor=a.user(Role.STAFF), audit=audit, user=member)
    client = client_for(a.user(role))
    remove = url("audits:audit_team_remove", a, pk=audit.pk, user=member.pk)
    assert client.get(remove).status_code == 403
    assert client.post(remove).status_code == 403
    assert member.pk in [m["user"].pk for m in selectors.audit_team(audit=audit)]
