"""Issue 21: JSON fields take one shape each (core.jsonshapes): a bad shape is a 400 or
a form error and changes nothing; rows stored before are repaired by a migration."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from audits.models import Audit
from core.jsonshapes import repaired
from core.roles import Role
from enforcement import services as enforcement_services
from programs.models import Program
from tests.audits.helpers import make_audit

pytestmark = pytest.mark.django_db


def api(name, world, **kwargs):
    return reverse(name, kwargs={"program": world.slug, **kwargs})


@pytest.mark.parametrize("bad", [5, "Payroll", [{"a": 1}], [["nested"]], ["x" * 500], None])
def test_audit_documents_reviewed_refuses_bad_shapes(personas, client_for, bad):
    a = personas.a
    audit = make_audit(a)
    client = client_for(a.user(Role.STAFF))
    response = client.patch(
        api("audits-api:audit-detail", a, pk=audit.pk),
        {"documents_reviewed": bad},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert "documents_reviewed" in response.json()
    audit.refresh_from_db()
    assert audit.documents_reviewed == []
    # The audit page still renders.
    page = client.get(reverse("audits:audit_detail", kwargs={"program": a.slug, "pk": audit.pk}))
    assert page.status_code == 200


def test_good_shapes_are_accepted(personas, client_for):
    a = personas.a
    audit = make_audit(a)
    client = client_for(a.user(Role.STAFF))
    response = client.patch(
        api("audits-api:audit-detail", a, pk=audit.pk),
        {"documents_reviewed": ["Payroll records"]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    audit.refresh_from_db()
    assert audit.documents_reviewed == ["Payroll records"]


def test_settings_and_provision_json_fields_refuse_bad_shapes(personas, client_for):
    a = personas.a
    admin = client_for(a.user(Role.ADMIN))
    for body in (
        {"confirm_roles": {"staff": True}},
        {"confirm_roles": ["buyer_officer"]},
        {"approval_stages": [0]},
        {"approval_stages": "3"},
    ):
        response = admin.patch(
            api("enforcement-api:policy-settings", a), body, content_type="application/json"
        )
        assert response.status_code == 400, (body, response.content)
    settings = enforcement_services.settings_for(a.program)
    assert settings.confirm_roles == [] and settings.approval_stages == [3]
    response = admin.post(
        api("programs-api:provision-list", a),
        {
            "version": a.version.pk,
            "number": "9.9",
            "section": "S",
            "title": "T",
            "text": "x",
            "translations": {"es": "not an object"},
        },
        content_type="application/json",
    )
    assert response.status_code == 400, response.content


def test_model_validation_refuses_what_a_service_would_store(personas):
    from django.core.exceptions import ValidationError

    a = personas.a
    program = Program.objects.get(pk=a.program.pk)
    program.languages = "en"
    with pytest.raises(ValidationError):
        program.full_clean()


def test_migration_repairs_rows_stored_before(personas):
    a = personas.a
    audit = make_audit(a)
    Audit.objects.filter(pk=audit.pk).update(documents_reviewed=["Payroll records", 5, None])
    Program.objects.filter(pk=a.program.pk).update(languages="en")
    for module in (
        "audits.migrations.0002_json_field_shapes",
        "programs.migrations.0004_json_field_shapes",
    ):
        importlib.import_module(module).repair_json_shapes(apps, None)
    audit.refresh_from_db()
    assert audit.documents_reviewed == ["Payroll records"]
    assert Program.objects.get(pk=a.program.pk).languages == []
    assert repaired("escalation_policy", [{"days_overdue": 1, "stage": 9}], []) == []
