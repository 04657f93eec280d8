"""PDF content of the audit report and the program-wide CAP progress table."""

from collections import OrderedDict

from django.utils import timezone

from core.pdf import render_pdf

from . import selectors
from .models import ReportKind


def audit_report_context(audit):
    program = audit.program
    findings = list(selectors.finding_list(program=program, audit=audit))
    by_provision = OrderedDict()
    for finding in findings:
        by_provision.setdefault(finding.provision, []).append(finding)
    items = list(
        selectors.cap_item_list(program=program, facility=audit.facility_id).filter(
            finding__audit=audit
        )
    )
    other_items = list(
        selectors.cap_item_list(program=program, facility=audit.facility_id).exclude(
            finding__audit=audit
        )
    )
    # The program's policy or its defaults, as finalizing reads it: a program that never
    # saved a policy still reports its minimum coverage and document checklist.
    from .services.audits import policy_for

    policy = policy_for(program)
    return {
        "program": program,
        "audit": audit,
        "facility": audit.facility,
        "team": selectors.audit_team(audit=audit),
        "findings": findings,
        "by_provision": list(by_provision.items()),
        "cap_items": items,
        "other_cap_items": other_items,
        "progress": selectors.cap_progress_by_facility(
            program=program, facilities=[audit.facility_id]
        ).get(audit.facility_id),
        "min_coverage": policy.min_interview_coverage if policy else None,
        "checklist": policy.document_checklist if policy else [],
        "generated_at": timezone.now(),
    }


def cap_progress_context(program):
    caps = selectors.with_cap_counts(selectors.cap_list(program=program))
    progress = selectors.cap_progress_by_facility(program=program)
    return {
        "program": program,
        "caps": [(cap, progress.get(cap.facility_id)) for cap in caps],
        "program_rate": selectors.cap_progress_program(program=program),
        "series": selectors.cap_progress_series(program=program),
        "generated_at": timezone.now(),
    }


def render_report_pdf(report):
    if report.kind == ReportKind.AUDIT:
        return render_pdf("audits/pdf/audit_report.html", audit_report_context(report.audit))
    return render_pdf("audits/pdf/cap_progress.html", cap_progress_context(report.program))
