"""HTML pages and API endpoints: query counts, evidence, reports, education, grades."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from audits import reports, selectors, services
from audits.models import EvidenceFile, Finding
from core.actors import SystemActor
from core.errors import DomainError
from core.roles import Role
from programs import services as program_services
from programs.models import Provision
from tests.utils import assert_constant_queries

from .helpers import PNG, make_audit, make_cap_item, make_finding

pytestmark = pytest.mark.django_db


def url(name, world, **kwargs):
    return reverse(name, kwargs={"program": world.slug, **kwargs})


# ---------------------------------------------------------------- query counts


def _facility(world):
    return program_services.facility_create(
        actor=SystemActor("t"),
        program=world.program,
        supplier=world.supplier,
        name=f"Farm {world.program.pk}-{Provision.objects.count()}-{id(object())}",
        address="x",
        country="US",
        worker_count=10,
    )


LIST_PAGES = [
    ("audits:audit_list", lambda a, n: [make_audit(a) for _ in range(n)]),
    ("audits:cap_list", lambda a, n: [make_cap_item(a) for _ in range(n)]),
    (
        "audits:education_list",
        lambda a, n: [
            services.education_session_record(
                actor=a.user(Role.STAFF),
                program=a.program,
                facility=a.facility,
                date=datetime.date(2026, 1, 1) + datetime.timedelta(days=i),
                language="es",
                educator="Lupe",
                attendance_count=10,
                topics=["Zero tolerance"],
            )
            for i in range(n)
        ],
    ),
    (
        "audits:report_list",
        lambda a, n: [
            services.report_request(
                actor=a.user(Role.STAFF), program=a.program, kind="cap_progress"
            )
            for _ in range(n)
        ],
    ),
    ("audits-api:audit-list", lambda a, n: [make_audit(a) for _ in range(n)]),
    ("audits-api:cap-item-list", lambda a, n: [make_cap_item(a) for _ in range(n)]),
    (
        "audits-api:cap-list",
        lambda a, n: [make_cap_item(a, facility=_facility(a)) for _ in range(n)],
    ),
    (
        "audits-api:education-session-list",
        lambda a, n: [
            services.education_session_record(
                actor=a.user(Role.STAFF),
                program=a.program,
                facility=a.facility,
                date=datetime.date(2026, 1, 1),
                language="en",
                educator="E",
                attendance_count=1,
            )
            for _ in range(n)
        ],
    ),
    (
        "audits-api:report-list",
        lambda a, n: [
            services.report_request(
                actor=a.user(Role.STAFF), program=a.program, kind="cap_progress"
            )
            for _ in range(n)
        ],
    ),
]


@pytest.mark.parametrize("name,grow", LIST_PAGES, ids=[n for n, _ in LIST_PAGES])
@pytest.mark.parametrize("role", [Role.STAFF, Role.AUDITOR])
def test_list_query_count_is_constant(name, grow, role, personas, client_for):
    a = personas.a
    client = client_for(a.user(role))
    grow(a, 1)
    client.get(url(name, a))  # warm caches (content types for guardian) before counting
    assert_constant_queries(lambda: client.get(url(name, a)), lambda n: grow(a, n))


def test_finding_list_endpoint_query_count_is_constant(personas, client_for):
    a = personas.a
    audit = make_audit(a)
    client = client_for(a.user(Role.AUDITOR))
    make_finding(a, audit)
    # The first request of a process fills Django's content-type cache (guardian's
    # permission check): one query more whatever the rows, so not the growth we look for.
    client.get(url("audits-api:finding-list", a))
    assert_constant_queries(
        lambda: client.get(url("audits-api:finding-list", a)),
        lambda n: [make_finding(a, audit) for _ in range(n)],
    )


def test_facility_history_and_grades_query_counts_are_constant(personas, client_for):
    a = personas.a
    client = client_for(a.user(Role.STAFF))

    def grow(n):
        audit = make_audit(a, workforce_size=10, workers_interviewed=10)
        for _ in range(n):
            item = make_cap_item(a, finding=make_finding(a, audit))
            services.cap_item_transition(actor=a.user(Role.STAFF), item=item, status="in_progress")
        for status in ("fieldwork", "draft_report", "final"):
            services.audit_transition(actor=a.user(Role.STAFF), audit=audit, status=status)

    grow(1)
    for name, kwargs in [
        ("audits:facility_history", {"facility": a.facility.pk}),
        ("audits:grades", {}),
    ]:
        page = url(name, a, **kwargs)
        assert_constant_queries(lambda page=page: client.get(page), grow)


# ---------------------------------------------------------------- audits through the pages


def test_coverage_refusal_is_shown_on_the_page(personas, client_for):
    a = personas.a
    audit = make_audit(a, workforce_size=100, workers_interviewed=20)
    client = client_for(a.user(Role.AUDITOR))
    for status in ("fieldwork", "draft_report"):
        client.post(url("audits:audit_transition", a, pk=audit.pk), {"status": status})
    response = client.post(
        url("audits:audit_transition", a, pk=audit.pk), {"status": "final"}, follow=True
    )
    assert "below the program minimum" in response.content.decode()
    audit.refresh_from_db()
    assert audit.status == "draft_report"
    client.post(
        url("audits:audit_transition", a, pk=audit.pk),
        {"status": "final", "justification": "Night shift absent; second visit booked."},
    )
    audit.refresh_from_db()
    assert audit.status == "final"


def test_auditor_cannot_touch_an_audit_not_assigned(personas, client_for):
    a = personas.a
    audit = make_audit(a, lead_role=None)
    client = client_for(a.user(Role.AUDITOR))
    assert client.get(url("audits:audit_detail", a, pk=audit.pk)).status_code == 404
    assert (
        client.post(
            url("audits:audit_transition", a, pk=audit.pk), {"status": "fieldwork"}
        ).status_code
        == 404
    )
    api = client.get(url("audits-api:audit-list", a)).json()
    assert audit.pk not in [row["id"] for row in api["results"]]


def test_viewer_cannot_write(personas, client_for):
    a = personas.a
    audit = make_audit(a)
    client = client_for(a.user(Role.VIEWER))
    assert client.get(url("audits:audit_detail", a, pk=audit.pk)).status_code == 200
    assert (
        client.post(
            url("audits:audit_transition", a, pk=audit.pk), {"status": "fieldwork"}
        ).status_code
        == 403
    )
    assert client.get(url("audits:audit_create", a)).status_code == 403


# ---------------------------------------------------------------- evidence


def test_evidence_type_is_checked_by_content_and_size(personas, settings):
    a = personas.a
    finding = make_finding(a, make_audit(a))
    staff = a.user(Role.STAFF)
    # An HTML file named .png is refused: the bytes decide, not the name or header.
    fake = SimpleUploadedFile("photo.png", b"<html><script>alert(1)</script>", "image/png")
    with pytest.raises(DomainError, match="Only PDF, image"):
        services.evidence_attach(actor=staff, program=a.program, upload=fake, finding=finding)
    settings.MAX_UPLOAD_BYTES = 100
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.7" + b"x" * 200)
    with pytest.raises(DomainError, match="larger than"):
        services.evidence_attach(actor=staff, program=a.program, upload=big, finding=finding)
    settings.MAX_UPLOAD_BYTES = 10_000
    ok = services.evidence_attach(
        actor=staff, program=a.program, upload=SimpleUploadedFile("x.bin", PNG), finding=finding
    )
    assert ok.content_type == "image/png" and ok.size == len(PNG)
    assert "x.bin" not in ok.file.name  # stored under its hash, not the uploader's name


def test_evidence_download_is_access_checked(personas, client_for):
    a = personas.a
    audit = make_audit(a, lead_role=None)
    finding = make_finding(a, audit)
    staff_client = client_for(a.user(Role.STAFF))
    response = staff_client.post(
        url("audits:finding_evidence", a, pk=finding.pk),
        {"file": SimpleUploadedFile("photo.png", PNG), "description": "shed"},
    )
    assert response.status_code == 302
    evidence = EvidenceFile.objects.get(finding=finding)
    download = url("audits:evidence_download", a, pk=evidence.pk)
    response = staff_client.get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"]
    # The auditor is not on this audit: its evidence is not theirs to read.
    assert client_for(a.user(Role.AUDITOR)).get(download).status_code == 404
    assert client_for(a.user(Role.BUYER_OFFICER)).get(download).status_code in (403, 404)


# ---------------------------------------------------------------- referral to enforcement


def test_a_refused_referral_is_a_message_not_a_500(personas, client_for):
    """The refer page used an unbound form to carry a refusal, which cannot take an
    error: a referral the service refused was a 500."""
    a = personas.a
    finding = make_finding(a, make_audit(a))  # not a violation candidate
    response = client_for(a.user(Role.STAFF)).post(
        url("audits:finding_refer", a, pk=finding.pk), follow=True
    )
    assert response.status_code == 200
    assert "Mark the finding as a violation candidate first." in response.content.decode()
    assert Finding.objects.get(pk=finding.pk).referral_status == ""


def test_finding_referral_proposes_a_violation_once(personas):
    a = personas.a
    finding = make_finding(a, make_audit(a), violation_candidate=True)
    staff = a.user(Role.STAFF)
    services.audit_finding_refer(actor=staff, finding=finding)
    finding.refresh_from_db()
    assert finding.referral_status == "sent"
    from enforcement.models import Violation

    violation = Violation.objects.get(program=a.program, source_kind="audit_finding")
    assert violation.source_ref == str(finding.pk)
    with pytest.raises(DomainError, match="already been referred"):
        services.audit_finding_refer(actor=staff, finding=finding)
    other = make_finding(a, make_audit(a))
    with pytest.raises(DomainError, match="violation candidate"):
        services.audit_finding_refer(actor=staff, finding=other)


# ---------------------------------------------------------------- education and grades


def test_education_reach_per_season(personas):
    a = personas.a
    services.audit_policy_update(actor=a.user(Role.ADMIN), program=a.program, season_start_month=10)
    f2 = program_services.facility_create(
        actor=SystemActor("t"),
        program=a.program,
        supplier=a.supplier,
        name="F2",
        address="x",
        country="US",
        worker_count=80,
    )
    staff = a.user(Role.STAFF)

    def session(facility, day, n):
        services.education_session_record(
            actor=staff,
            program=a.program,
            facility=facility,
            date=day,
            language="ht",
            educator="Lucner",
            attendance_count=n,
            topics=["Zero tolerance"],
        )

    session(a.facility, datetime.date(2024, 11, 3), 60)  # season 2024-25
    session(a.facility, datetime.date(2025, 2, 3), 90)  # 150 > 120 workers: capped
    session(f2, datetime.date(2025, 3, 1), 20)
    session(f2, datetime.date(2025, 10, 2), 40)  # season 2025-26
    reach = selectors.education_reach(program=a.program)
    assert reach == [
        {"season": "2024-25", "workers_reached": 140, "workforce": 200, "share": 0.7},
        {"season": "2025-26", "workers_reached": 40, "workforce": 200, "share": 0.2},
    ]
    per_facility = selectors.education_reach_by_facility(program=a.program, facility=f2)
    assert [(r["season"], r["share"]) for r in per_facility] == [
        ("2024-25", 0.25),
        ("2025-26", 0.5),
    ]
    with pytest.raises(DomainError):
        session(a.facility, datetime.date(2999, 1, 1), 1)


def test_grades_from_latest_final_audit_with_program_average(personas):
    a = personas.a
    health = Provision.objects.get(version=a.version, number="2.1")
    f2 = program_services.facility_create(
        actor=SystemActor("t"),
        program=a.program,
        supplier=a.supplier,
        name="F2",
        address="x",
        country="US",
        worker_count=10,
    )

    def final_audit(facility, findings):
        audit = make_audit(a, facility=facility, workforce_size=10, workers_interviewed=10)
        for provision, severity in findings:
            make_finding(a, audit, provision=provision, severity=severity)
        for status in ("fieldwork", "draft_report", "final"):
            audit = services.audit_transition(actor=a.user(Role.STAFF), audit=audit, status=status)
        return audit

    final_audit(a.facility, [(health, "major"), (health, "major"), (a.provision, "zero_tolerance")])
    final_audit(a.facility, [(health, "minor")])  # the latest one counts
    final_audit(f2, [(health, "major")])
    make_audit(a, facility=f2)  # not final: ignored
    sections, scores, averages, latest = selectors.facility_grades(program=a.program)
    assert sections == ["Health and safety", "Zero tolerance"]
    assert scores[a.facility.pk] == {"Health and safety": 90, "Zero tolerance": 100}
    assert scores[f2.pk] == {"Health and safety": 75, "Zero tolerance": 100}
    assert averages == {"Health and safety": 82.5, "Zero tolerance": 100}


# ---------------------------------------------------------------- PDF of a real audit


def test_audit_report_pdf_has_the_expected_pages_and_text(personas):
    a = personas.a
    health = Provision.objects.get(version=a.version, number="2.1")
    audit = make_audit(
        a,
        workforce_size=120,
        workers_interviewed=70,
        management_interviewed=3,
        documents_reviewed=["Payroll records"],
        summary="Unannounced visit at dawn.",
    )
    f1 = make_finding(a, audit, facts="Crew leader threatened a worker.", violation_candidate=True)
    make_finding(a, audit, provision=health, facts="No shade in field 4.")
    item = make_cap_item(a, finding=f1, observation="Threats by crew leader X.")
    services.cap_item_transition(actor=a.user(Role.STAFF), item=item, status="in_progress")
    for status in ("fieldwork", "draft_report", "final"):
        audit = services.audit_transition(actor=a.user(Role.STAFF), audit=audit, status=status)
    report = services.report_request(
        actor=a.user(Role.STAFF), program=a.program, kind="audit", audit=audit
    )
    data = reports.render_report_pdf(report)
    pdf = PdfReader(io.BytesIO(data))
    # Table cells wrap lines: compare with whitespace collapsed.
    pages = [" ".join(p.extract_text().split()) for p in pdf.pages]
    assert len(pages) == 3  # summary + coverage, findings by provision, the CAP
    assert "Audit report: Alpha Fair Food Farm 1" in pages[0]
    assert "Interview coverage" in pages[0] and "58%" in pages[0] and "50%" in pages[0]
    assert "Not reviewed: Time records" in pages[0]
    assert "Findings by provision" in pages[1]
    assert "1.1 No forced labor" in pages[1] and "2.1 Shade and water" in pages[1]
    assert "Crew leader threatened a worker." in pages[1]
    assert "Corrective action plan" in pages[2]
    assert "Threats by crew leader X." in pages[2] and "In progress" in pages[2]
    assert "Page 3 of 3" in pages[2]


def test_cap_progress_pdf(personas):
    a = personas.a
    item = make_cap_item(a)
    for status in ("in_progress", "reported_done", "verified"):
        services.cap_item_transition(actor=a.user(Role.STAFF), item=item, status=status)
    make_cap_item(a)
    report = services.report_request(
        actor=a.user(Role.STAFF), program=a.program, kind="cap_progress"
    )
    pdf = PdfReader(io.BytesIO(reports.render_report_pdf(report)))
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    assert "Corrective action plan progress" in text
    assert "Program-wide: 50% of CAP items verified" in text
    assert "Alpha Fair Food Farm 1" in text


# ---------------------------------------------------------------- API writes


def test_api_records_an_audit_finding_and_cap_item(personas, client_for):
    a = personas.a
    client = client_for(a.user(Role.AUDITOR))
    response = client.post(
        url("audits-api:audit-list", a),
        {
            "facility": a.facility.pk,
            "audit_type": "unannounced",
            "scheduled_date": "2026-03-01",
            "workforce_size": 100,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    audit_id = response.json()["id"]
    response = client.post(
        url("audits-api:finding-list", a),
        {"audit": audit_id, "provision": a.provision.pk, "facts": "Debt bondage reported."},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    finding_id = response.json()["id"]
    response = client.post(
        url("audits-api:cap-item-list", a),
        {
            "finding": finding_id,
            "observation": "o",
            "recommendation": "r",
            "deadline": (datetime.date.today() + datetime.timedelta(30)).isoformat(),
            "responsible_party": "owner",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    item_id = response.json()["id"]
    response = client.post(
        url("audits-api:cap-item-transition", a, pk=item_id),
        {"status": "verified"},
        content_type="application/json",
    )
    assert response.status_code == 409
    response = client.post(
        url("audits-api:cap-item-comment", a, pk=item_id),
        {"body": "Photos of the new shade received."},
        content_type="application/json",
    )
    assert response.status_code == 201
    response = client.post(
        url("audits-api:audit-transition", a, pk=audit_id),
        {"status": "fieldwork"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["status"] == "fieldwork"
    # A finding on another program's audit id is a validation error, not a leak.
    b_audit = make_audit(personas.b)
    response = client.post(
        url("audits-api:finding-list", a),
        {"audit": b_audit.pk, "provision": a.provision.pk, "facts": "x"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not Finding.objects.filter(audit=b_audit).exists()
    progress = client.get(url("audits-api:cap-progress", a) + "?as_of=2026-01-01").json()
    assert progress["facilities"][str(a.facility.pk)] is None


def test_dashboard_panel_and_beat_schedule(personas, client_for):
    from audits.tasks import BEAT_SCHEDULE
    from config.celery import app

    a = personas.a
    item = make_cap_item(a)
    for status in ("in_progress", "reported_done", "verified"):
        services.cap_item_transition(actor=a.user(Role.STAFF), item=item, status=status)
    make_cap_item(a)
    response = client_for(a.user(Role.VIEWER)).get(
        reverse("programs:dashboard", kwargs={"program": a.slug})
    )
    body = " ".join(response.content.decode().split())
    assert "<strong>50%</strong> CAP items verified" in body
    for entry in BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


def test_interface_selectors_issue_constant_queries(personas):
    from tests.utils import count_queries

    a = personas.a
    staff = a.user(Role.STAFF)

    def grow(n):
        for i in range(n):
            f = _facility(a)
            services.education_session_record(
                actor=staff,
                program=a.program,
                facility=f,
                language="es",
                educator="E",
                date=datetime.date(2025, 1 + i % 12, 1),
                attendance_count=3,
            )
            make_cap_item(a, facility=f)

    grow(1)
    calls = [
        lambda: selectors.education_reach(program=a.program),
        lambda: selectors.cap_progress_by_facility(program=a.program),
        lambda: selectors.cap_progress_series(program=a.program, points=12),
    ]
    before = [count_queries(c)[0] for c in calls]
    grow(29)
    assert [count_queries(c)[0] for c in calls] == before
    assert before[1:] == [1, 1]
