"""Sample arguments for the audits routes (program A's objects, made through services)."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from audits import services
from audits.models import Report, ReportKind, ReportStatus
from core.roles import Role

# A real 1x1 PNG without metadata (uploads are decoded: a signature alone is refused).
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc8!'\x07\x00\x02\xb6\x01\x054\xa6u\xaa\x00\x00\x00\x00"
    b"IEND\xaeB`\x82"
)


def samples(world):
    staff = world.user(Role.STAFF)
    audit = services.audit_create(
        actor=staff,
        program=world.program,
        facility=world.facility,
        audit_type="periodic",
        scheduled_date=datetime.date(2026, 3, 2),
        lead_auditor=world.user(Role.AUDITOR),
    )
    finding = services.finding_create(
        actor=staff, audit=audit, provision=world.provision, facts="Sample facts."
    )
    evidence = services.evidence_attach(
        actor=staff,
        program=world.program,
        upload=SimpleUploadedFile("photo.png", PNG),
        finding=finding,
    )
    item = services.cap_item_create(
        actor=staff,
        program=world.program,
        finding=finding,
        observation="Sample observation",
        recommendation="Sample recommendation",
        deadline=datetime.date.today() + datetime.timedelta(days=60),
        responsible_party="Manager",
    )
    session = services.education_session_record(
        actor=staff,
        program=world.program,
        facility=world.facility,
        date=datetime.date(2026, 1, 15),
        language="es",
        educator="Educator",
        attendance_count=30,
    )
    # A finished report row (rendering is covered by the worker test); no task is sent.
    report = Report.objects.create(
        program=world.program,
        kind=ReportKind.CAP_PROGRESS,
        status=ReportStatus.READY,
        requested_by=staff,
    )
    from django.core.files.base import ContentFile

    report.file.save("sample.pdf", ContentFile(b"%PDF-1.7 sample"), save=True)
    pk = {"pk": audit.pk}
    return {
        "audits:audit_detail": pk,
        "audits:audit_edit": pk,
        "audits:audit_transition": pk,
        "audits:audit_team": pk,
        "audits:audit_team_remove": {"pk": audit.pk, "user": audit.lead_auditor_id},
        "audits:finding_create": pk,
        "audits:finding_detail": {"pk": finding.pk},
        "audits:finding_evidence": {"pk": finding.pk},
        "audits:finding_refer": {"pk": finding.pk},
        "audits:evidence_download": {"pk": evidence.pk},
        "audits:cap_detail": {"pk": item.cap_id},
        "audits:cap_item_detail": {"pk": item.pk},
        "audits:cap_item_deadline": {"pk": item.pk},
        "audits:cap_item_transition": {"pk": item.pk},
        "audits:cap_item_comment": {"pk": item.pk},
        "audits:cap_item_evidence": {"pk": item.pk},
        "audits:facility_history": {"facility": world.facility.pk},
        "audits:report_detail": {"pk": report.pk},
        "audits:report_download": {"pk": report.pk},
        "audits-api:audit-detail": pk,
        "audits-api:audit-transition": pk,
        "audits-api:finding-detail": {"pk": finding.pk},
        "audits-api:finding-refer": {"pk": finding.pk},
        "audits-api:finding-evidence": {"pk": finding.pk},
        "audits-api:cap-detail": {"pk": item.cap_id},
        "audits-api:cap-item-detail": {"pk": item.pk},
        "audits-api:cap-item-transition": {"pk": item.pk},
        "audits-api:cap-item-comment": {"pk": item.pk},
        "audits-api:cap-item-evidence": {"pk": item.pk},
        "audits-api:education-session-detail": {"pk": session.pk},
        "audits-api:report-detail": {"pk": report.pk},
    }
