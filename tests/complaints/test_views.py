"""Staff workspace pages: list (query count), case file actions, evidence, PDF."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from complaints import services
from complaints.models import Case, Evidence, Note
from core.models import AuditEvent
from core.roles import Role
from tests.utils import assert_constant_queries

from .conftest import assigned, investigating, submit, triaged

pytestmark = pytest.mark.django_db


def u(name, world, **kw):
    return reverse(f"complaints:{name}", kwargs={"program": world.slug, **kw})


def test_case_list_constant_queries_and_nav_link(personas, client_for):
    world = personas.a
    submit(world)
    staff = client_for(world.user(Role.STAFF))

    def grow(n):
        for i in range(n):
            c, _ = submit(world, category="violence" if i % 2 else "wages")
            if i % 3 == 0:
                triaged(world, c)
                assigned(world, c)

    assert_constant_queries(lambda: staff.get(u("case_list", world)), grow)
    page = staff.get(u("case_list", world)).content.decode()
    assert 'href="/p/alpha/complaints/"' in page  # nav link appears
    # Every row links to its own case file.
    for case in Case.objects.filter(program=world.program)[:25]:
        assert f'href="{u("case_detail", world, pk=case.pk)}">{case.reference}</a>' in page
    # Filters
    urgent = staff.get(u("case_list", world) + "?priority=urgent").context["cases"]
    assert urgent and all(c.priority == "urgent" for c in urgent)


def test_investigator_list_is_own_cases_with_constant_queries(personas, client_for):
    world = personas.a
    investigating(world)
    inv = client_for(world.user(Role.INVESTIGATOR))

    def grow(n):
        for _ in range(n):
            c, _ = submit(world)
            triaged(world, c)
            assigned(world, c)
            submit(world)  # not assigned: must not appear

    inv.get(u("case_list", world))  # warm the content-type cache guardian uses
    assert_constant_queries(lambda: inv.get(u("case_list", world)), grow)
    assert len(inv.get(u("case_list", world)).context["paginator"].object_list) == 30


def test_staff_log_hotline_complaint_shows_code_once(personas, client_for):
    world = personas.a
    staff = client_for(world.user(Role.STAFF))
    response = staff.post(
        u("case_create", world),
        {
            "channel": "whatsapp",
            "language": "bn",
            "facility": world.facility.pk,
            "category": "wages",
            "narrative": "Wages paid late for two months.",
            "stay_anonymous": "on",
        },
    )
    assert response.status_code == 200
    assert 'id="receipt-code"' in response.content.decode()
    case = Case.objects.get()
    assert case.channel == "whatsapp" and case.language == "bn"
    assert client_for(world.user(Role.INVESTIGATOR)).get(u("case_create", world)).status_code == 403
    bad = staff.post(u("case_create", world), {"channel": "whatsapp", "narrative": ""})
    assert bad.status_code == 400 and Case.objects.count() == 1


def test_case_file_actions_through_html(personas, client_for):
    world = personas.a
    case, _ = submit(world)
    staff = client_for(world.user(Role.STAFF))
    r = staff.post(
        u("case_triage", world, pk=case.pk),
        {"category": "health_safety", "priority": "high", "facility": world.facility.pk},
    )
    assert r.status_code == 302
    r = staff.post(
        u("case_assign", world, pk=case.pk), {"investigator": world.user(Role.INVESTIGATOR).pk}
    )
    assert r.status_code == 302
    inv = client_for(world.user(Role.INVESTIGATOR))
    assert (
        inv.post(u("case_transition", world, pk=case.pk), {"status": "investigating"}).status_code
        == 302
    )
    assert (
        inv.post(u("note_add", world, pk=case.pk), {"body": "Called the grower."}).status_code
        == 302
    )
    r = inv.post(u("note_add", world, pk=case.pk), {"body": ""})
    assert r.status_code == 400  # the form error is shown on the case file
    assert Note.objects.count() == 1
    assert inv.post(u("message_send", world, pk=case.pk), {"body": "Hola"}).status_code == 302
    r = inv.post(
        u("interview_add", world, pk=case.pk),
        {"kind": "witness", "conducted_on": "2026-01-05", "summary": "Confirms."},
    )
    assert r.status_code == 302
    r = inv.post(
        u("finding_add", world, pk=case.pk),
        {"provision": world.provision.pk, "facts": "Confirmed.", "severity": ""},
    )
    assert r.status_code == 302
    r = inv.post(
        u("evidence_add", world, pk=case.pk),
        {
            "file": SimpleUploadedFile(
                "x.gif",
                # A real 1x1 GIF (uploads are decoded: a signature alone is refused).
                b"GIF87a\x01\x00\x01\x00\x81\x00\x00\xc8\x1e\x1e\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x08\x04\x00\x01\x04\x04\x00;",
                content_type="image/gif",
            )
        },
    )
    assert r.status_code == 302
    r = inv.post(
        u("evidence_add", world, pk=case.pk),
        {"file": SimpleUploadedFile("x.gif", b"#!/bin/sh\nrm -rf /", content_type="image/gif")},
    )
    assert r.status_code == 400 and Evidence.objects.count() == 1
    # Investigators cannot triage (manage) even on their own case.
    r = inv.post(u("case_triage", world, pk=case.pk), {"category": "wages", "priority": "normal"})
    assert r.status_code == 403
    detail = inv.get(u("case_detail", world, pk=case.pk)).content.decode()
    for text in ("Called the grower.", "Hola", "Confirms.", "Confirmed.", "image/gif"):
        assert text in detail


def test_retaliation_form(personas, client_for):
    world = personas.a
    original, _ = submit(world)
    later, _ = submit(world, category="wages")
    staff = client_for(world.user(Role.STAFF))
    r = staff.post(u("case_retaliation", world, pk=later.pk), {"original_reference": "C-0000-1"})
    assert r.status_code == 400 and b"No case of this program" in r.content
    r = staff.post(
        u("case_retaliation", world, pk=later.pk), {"original_reference": original.reference}
    )
    assert r.status_code == 302
    later.refresh_from_db()
    assert later.retaliation_of == original and later.priority == "urgent"
    page = staff.get(u("case_detail", world, pk=original.pk)).content.decode()
    assert later.reference in page  # the original links to the retaliation case


def test_evidence_download_is_private(personas, client_for):
    world = personas.a
    case = investigating(world)
    evidence = services.evidence_add(
        actor=world.user(Role.INVESTIGATOR),
        case=case,
        upload=SimpleUploadedFile("p.pdf", b"%PDF-1.4 secret", content_type="application/pdf"),
    )
    url = u("evidence_download", world, pk=evidence.pk)
    r = client_for(world.user(Role.INVESTIGATOR)).get(url)
    assert r.status_code == 200
    assert b"".join(r.streaming_content) == b"%PDF-1.4 secret"
    assert r["Content-Disposition"].startswith("attachment")
    assert client_for(world.user(Role.VIEWER)).get(url).status_code == 404
    assert client_for(personas.b.user(Role.ADMIN)).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 302
    # No MEDIA route serves the stored file directly:
    assert client_for(None).get(evidence.file.url).status_code == 404


def test_case_summary_pdf_redacts_identity_without_grant(personas, client_for):
    world = personas.a
    case, _ = submit(world, identity={"name": "Rosa Martínez"})
    triaged(world, case)
    assigned(world, case)

    def text(user):
        r = client_for(user).get(u("case_pdf", world, pk=case.pk))
        assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
        return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)

    staff_text = text(world.user(Role.STAFF))
    assert "REDACTED" in staff_text and "Rosa" not in staff_text
    assert case.reference in staff_text
    before = AuditEvent.objects.filter(verb="case.identity_revealed").count()
    inv_text = text(world.user(Role.INVESTIGATOR))
    assert "Rosa" in inv_text
    assert AuditEvent.objects.filter(verb="case.identity_revealed").count() == before + 1


def test_policy_page_sets_clocks_and_retention(personas, client_for):
    from complaints.models import ComplaintPolicy

    world = personas.a
    staff = client_for(world.user(Role.STAFF))
    page = staff.get(u("policy", world))
    assert page.status_code == 200
    data = {k: v.initial for k, v in page.context["form"].fields.items()}
    data.update({"urgent__ack_hours": 6, "identity_retention_days": 90})
    r = staff.post(u("policy", world), data)
    assert r.status_code == 302
    policy = ComplaintPolicy.objects.get(program=world.program)
    assert policy.clock_for("urgent")["ack_hours"] == 6
    assert policy.identity_retention_days == 90
    assert AuditEvent.objects.filter(verb="complaint_policy.set").exists()
    r = staff.post(u("policy", world), {**data, "normal__triage_hours": 0})
    assert r.status_code == 400
    assert client_for(world.user(Role.INVESTIGATOR)).get(u("policy", world)).status_code == 403
