"""Reading a settings page never writes: a program's settings rows are created by the
change that its audit event records, not by the first GET (issue 15's data-flow gaps)."""

import pytest
from django.urls import reverse

from audits.models import AuditPolicy
from core.models import AuditEvent
from core.roles import Role
from enforcement.models import EnforcementSettings
from enforcement.services import enforcement_settings_update

pytestmark = pytest.mark.django_db

PAGES = ["enforcement:policy", "audits:policy", "complaints:policy"]


@pytest.mark.parametrize("name", PAGES)
def test_a_settings_page_read_creates_no_row_and_no_event(personas, client_for, name):
    a = personas.a
    EnforcementSettings.objects.filter(program=a.program).delete()
    AuditPolicy.objects.filter(program=a.program).delete()
    events = AuditEvent.objects.filter(program=a.program).count()
    response = client_for(a.user(Role.ADMIN)).get(reverse(name, kwargs={"program": a.slug}))
    assert response.status_code == 200
    assert not EnforcementSettings.objects.filter(program=a.program).exists()
    assert not AuditPolicy.objects.filter(program=a.program).exists()
    assert AuditEvent.objects.filter(program=a.program).count() == events


def test_the_first_change_creates_the_row_with_its_event(personas):
    a = personas.a
    EnforcementSettings.objects.filter(program=a.program).delete()
    enforcement_settings_update(
        actor=a.user(Role.ADMIN), program=a.program, confirm_roles=[Role.ADMIN]
    )
    row = EnforcementSettings.objects.get(program=a.program)
    assert row.confirm_roles == [Role.ADMIN]
    assert AuditEvent.objects.filter(
        program=a.program, verb="enforcement_settings.updated", object_id=str(row.pk)
    ).exists()
