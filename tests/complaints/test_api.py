"""Staff API of the complaint line: endpoints, scoping, query counts, schema."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from complaints import services
from complaints.models import Case, Finding, Note
from core.models import AuditEvent
from core.roles import Role
from tests.utils import assert_constant_queries

from .conftest import assigned, investigating, submit, triaged

pytestmark = pytest.mark.django_db


def url(name, world, **kw):
    return reverse(f"complaints-api:{name}", kwargs={"program": world.slug, **kw})


def test_staff_logs_a_hotline_complaint_and_gets_the_code_once(personas, client_for):
    world = personas.a
    staff = client_for(world.user(Role.STAFF))
    response = staff.post(
        url("case-list", world),
        {
            "channel": "hotline",
            "narrative": "Caller says the crew leader keeps their passports.",
            "category": "forced_labor",
            "facility": world.facility.pk,
            "language": "ht",
            "stay_anonymous": False,
            "contact_phone": "+1 239 555 0199",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert len(body["receipt_code"].replace(" ", "")) == 16
    case = Case.objects.get(reference=body["reference"])
    assert case.channel == "hotline" and case.logged_by == world.user(Role.STAFF)
    assert case.priority == "urgent" and case.identity_ciphertext
    detail = staff.get(url("case-detail", world, pk=case.pk)).json()
    assert "receipt" not in str(detail) and "555 0199" not in str(detail)
    # A web channel cannot be claimed by staff; viewers cannot log.
    bad = staff.post(
        url("case-list", world),
        {"channel": "web", "narrative": "x", "facility": world.facility.pk},
        content_type="application/json",
    )
    assert bad.status_code == 400
    viewer = client_for(world.user(Role.VIEWER))
    response = viewer.post(
        url("case-list", world),
        {"channel": "sms", "narrative": "x", "facility": world.facility.pk},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_case_workflow_over_the_api(personas, client_for):
    world = personas.a
    case, _ = submit(world)
    staff = client_for(world.user(Role.STAFF))
    inv_user = world.user(Role.INVESTIGATOR)
    inv = client_for(inv_user)
    r = staff.post(
        url("case-triage", world, pk=case.pk),
        {"category": "health_safety", "priority": "high", "provisions": [world.provision.pk]},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["priority"] == "urgent"
    r = staff.post(
        url("case-triage", world, pk=case.pk),
        {"category": "health_safety", "priority": "high", "provisions": [personas.b.provision.pk]},
        content_type="application/json",
    )
    assert r.status_code == 400  # provision of another program
    r = staff.post(
        url("case-assign", world, pk=case.pk),
        {"user": inv_user.pk},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["assigned_to"] == inv_user.username
    r = staff.post(
        url("case-assign", world, pk=case.pk),
        {"user": personas.b.user(Role.INVESTIGATOR).pk},
        content_type="application/json",
    )
    assert r.status_code == 400
    r = inv.post(
        url("case-transition", world, pk=case.pk),
        {"status": "investigating"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "investigating"
    r = inv.post(
        url("case-note-list", world, case_pk=case.pk),
        {"body": "Visited field 7."},
        content_type="application/json",
    )
    assert r.status_code == 201
    r = inv.post(
        url("case-message-list", world, case_pk=case.pk),
        {"body": "Gracias."},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["direction"] == "to_worker"
    r = inv.post(
        url("case-interview-list", world, case_pk=case.pk),
        {"kind": "witness", "conducted_on": "2026-01-10", "summary": "Confirms."},
        content_type="application/json",
    )
    assert r.status_code == 201
    r = inv.post(
        url("case-evidence-list", world, case_pk=case.pk),
        {"file": SimpleUploadedFile("a.txt", b"plain text", content_type="image/png")},
    )
    assert r.status_code == 400 and "not accepted" in str(r.json())
    r = inv.post(
        url("case-evidence-list", world, case_pk=case.pk),
        {
            "file": SimpleUploadedFile("a.pdf", b"%PDF-1.7 x", content_type="application/pdf"),
            "description": "pay stub",
        },
    )
    assert r.status_code == 201 and r.json()["content_type"] == "application/pdf"
    r = inv.post(
        url("case-finding-list", world, case_pk=case.pk),
        {"provision": world.provision.pk, "facts": "Passports held by the crew leader."},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["severity"] == "zero_tolerance"
    r = inv.post(
        url("case-transition", world, pk=case.pk),
        {"status": "resolved", "outcome": "substantiated", "summary": "Confirmed"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["outcome"] == "substantiated"
    r = inv.post(
        url("case-transition", world, pk=case.pk),
        {"status": "closed"},
        content_type="application/json",
    )
    assert r.status_code == 403  # closing is for admins and staff
    r = staff.post(
        url("case-transition", world, pk=case.pk),
        {"status": "closed"},
        content_type="application/json",
    )
    assert r.status_code == 200
    verbs = set(AuditEvent.objects.filter(program=world.program).values_list("verb", flat=True))
    assert {
        "note.added",
        "message.sent",
        "interview.recorded",
        "evidence.added",
        "finding.added",
        "case.closed",
    } <= verbs


def test_investigator_sees_only_own_cases(personas, client_for):
    world = personas.a
    mine = investigating(world)
    other, _ = submit(world)
    inv = client_for(world.user(Role.INVESTIGATOR))
    listed = [c["id"] for c in inv.get(url("case-list", world)).json()["results"]]
    assert listed == [mine.pk]
    assert inv.get(url("case-detail", world, pk=other.pk)).status_code == 404
    assert inv.get(url("case-note-list", world, case_pk=other.pk)).status_code == 404
    viewer = client_for(world.user(Role.VIEWER))
    assert viewer.get(url("case-list", world)).json()["results"] == []
    staff = client_for(world.user(Role.STAFF))
    assert len(staff.get(url("case-list", world)).json()["results"]) == 2


def test_list_endpoints_constant_queries(personas, client_for):
    world = personas.a
    case = investigating(world)
    inv = world.user(Role.INVESTIGATOR)
    services.note_add(actor=inv, case=case, body="n0")
    services.message_send(actor=inv, case=case, body="m0")
    services.finding_add(actor=inv, case=case, provision=world.provision, facts="f0")
    staff = client_for(world.user(Role.STAFF))

    def grow_cases(n):
        for _ in range(n):
            c, _ = submit(world)
            triaged(world, c)
            assigned(world, c)

    assert_constant_queries(lambda: staff.get(url("case-list", world)), grow_cases)

    def grow_children(n):
        for i in range(n):
            services.note_add(actor=inv, case=case, body=f"n{i}")
            services.message_send(actor=inv, case=case, body=f"m{i}")
            services.finding_add(actor=inv, case=case, provision=world.provision, facts=f"f{i}")

    lists = ["case-note-list", "case-message-list", "case-finding-list"]
    counts = {}
    for name in lists:
        counts[name] = staff.get(url(name, world, case_pk=case.pk))
    before = {}
    from tests.utils import count_queries

    for name in lists:
        before[name] = count_queries(lambda n=name: staff.get(url(n, world, case_pk=case.pk)))[0]
    before["findings"] = count_queries(lambda: staff.get(url("finding-list", world)))[0]
    grow_children(29)
    for name in lists:
        after = count_queries(lambda n=name: staff.get(url(n, world, case_pk=case.pk)))[0]
        assert after == before[name], name
    assert count_queries(lambda: staff.get(url("finding-list", world)))[0] == before["findings"]
    assert Note.objects.filter(case=case).count() == 30
    assert Finding.objects.filter(case=case).count() == 30


def test_other_program_objects_are_404(personas, client_for):
    world = personas.a
    case = investigating(world)
    b_staff = client_for(personas.b.user(Role.STAFF))
    b = personas.b
    assert b_staff.get(url("case-detail", b, pk=case.pk)).status_code == 404
    r = b_staff.post(
        url("case-note-list", b, case_pk=case.pk), {"body": "x"}, content_type="application/json"
    )
    assert r.status_code == 404
    assert Note.objects.count() == 0


def test_openapi_schema_lists_complaint_endpoints(client_for, personas):
    response = client_for(personas.a.user(Role.STAFF)).get(reverse("api-schema") + "?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/v1/programs/{program}/complaints/cases/",
        "/api/v1/programs/{program}/complaints/cases/{id}/triage/",
        "/api/v1/programs/{program}/complaints/cases/{id}/assign/",
        "/api/v1/programs/{program}/complaints/cases/{case_pk}/notes/",
        "/api/v1/programs/{program}/complaints/cases/{case_pk}/messages/",
        "/api/v1/programs/{program}/complaints/cases/{case_pk}/findings/",
        "/api/v1/programs/{program}/complaints/findings/{id}/refer/",
        "/api/v1/public/{program}/complaints/submit/",
        "/api/v1/public/{program}/complaints/status/",
        "/api/v1/public/{program}/complaints/status/messages/",
    ]:
        assert path in paths, path


def _substantiated_finding(world, facility=True):
    case = investigating(world)
    inv = world.user(Role.INVESTIGATOR)
    finding = services.finding_add(actor=inv, case=case, provision=world.provision, facts="x")
    return finding, case


def test_finding_refer_proposes_a_violation(personas, client_for):
    from enforcement.models import Violation

    world = personas.a
    finding, case = _substantiated_finding(world)
    staff = client_for(world.user(Role.STAFF))
    # Not before the case is resolved as substantiated.
    r = staff.post(url("finding-refer", world, pk=finding.pk))
    assert r.status_code == 400 and "substantiated" in r.json()["detail"]
    services.case_resolve(actor=world.user(Role.INVESTIGATOR), case=case, outcome="substantiated")
    # Investigators do not refer; staff do.
    r = client_for(world.user(Role.INVESTIGATOR)).post(url("finding-refer", world, pk=finding.pk))
    assert r.status_code == 403
    r = staff.post(url("finding-refer", world, pk=finding.pk))
    assert r.status_code == 200, r.content
    violation = Violation.objects.get(pk=r.json()["violation_id"])
    assert violation.source_kind == "complaint_finding"
    assert violation.source_ref == str(finding.pk)
    assert violation.facility == world.facility and violation.provision == world.provision
    assert case.reference in violation.summary
    r = staff.post(url("finding-refer", world, pk=finding.pk))
    assert r.status_code == 400 and "already referred" in r.json()["detail"]
    assert Violation.objects.filter(source_ref=str(finding.pk)).count() == 1
    assert AuditEvent.objects.filter(verb="finding.referred", object_id=str(finding.pk)).exists()
    # Program B cannot refer A's finding.
    r = client_for(personas.b.user(Role.STAFF)).post(
        url("finding-refer", personas.b, pk=finding.pk)
    )
    assert r.status_code == 404
