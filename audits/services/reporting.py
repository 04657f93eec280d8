"""PDF reports: requested by members, rendered by the "reports" Celery queue."""

import datetime
import hashlib
import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from core.actors import SystemActor
from core.audit import audit_log, chain_lock
from core.authz import require_member
from core.errors import DomainError
from core.tenancy import same_program

from ..models import (
    Report,
    ReportKind,
    ReportStatus,
)
from ._common import _user_id

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- reports


@transaction.atomic
def report_request(*, actor, program, kind, audit=None):
    """Queue a PDF report; the Celery task (queue "reports") is sent after commit."""
    require_member(actor, program, "report.request")
    if kind not in ReportKind.values:
        raise DomainError(f"Unknown report '{kind}'.")
    if kind == ReportKind.AUDIT:
        if audit is None:
            raise DomainError("An audit report needs an audit.")
        same_program(program, audit)
    else:
        audit = None
    report = Report.objects.create(
        program=program, kind=kind, audit=audit, requested_by=actor if _user_id(actor) else None
    )
    audit_log(
        program=program,
        actor=actor,
        verb="report.requested",
        obj=report,
        payload={"kind": kind, "audit": audit.pk if audit else None},
    )
    from ..tasks import report_render_task

    transaction.on_commit(lambda: report_render_task.delay(report.pk, program.pk))
    return report


def report_render(*, report_id, program_id):
    """Render one queued report (called by the task). Claimed by a conditional UPDATE
    (queued → rendering), so a redelivered task does not render twice; a report stuck
    in rendering (worker died) can be re-queued by ``reports_requeue_stale``."""
    claimed = Report.objects.filter(
        pk=report_id, program_id=program_id, status=ReportStatus.QUEUED
    ).update(status=ReportStatus.RENDERING)
    if claimed != 1:
        return None
    report = Report.objects.select_related("program", "audit").get(pk=report_id)
    try:
        from ..reports import render_report_pdf

        data = render_report_pdf(report)
    except Exception as exc:  # the page must show the failure, not spin forever
        log.exception("report %s failed", report_id)
        with transaction.atomic():
            chain_lock(report.program_id)  # the lock order (core/audit.py)
            Report.objects.filter(pk=report_id, status=ReportStatus.RENDERING).update(
                status=ReportStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
            )
            audit_log(
                program=report.program,
                actor=SystemActor("audits.reports"),
                verb="report.failed",
                obj=report,
                payload={"error": str(exc)[:200]},
            )
        return None
    with transaction.atomic():
        chain_lock(report.program_id)  # the lock order (core/audit.py): chain, then rows
        report = Report.objects.select_for_update(no_key=True).get(pk=report_id)
        report.file.save(report.filename, ContentFile(data), save=False)
        report.sha256 = hashlib.sha256(data).hexdigest()
        report.size = len(data)
        report.status = ReportStatus.READY
        report.finished_at = timezone.now()
        report.save()
        audit_log(
            program=report.program,
            actor=SystemActor("audits.reports"),
            verb="report.rendered",
            obj=report,
            payload={"sha256": report.sha256, "size": report.size},
        )
    return report


STALE_AFTER = datetime.timedelta(minutes=15)


def reports_requeue_stale(*, older_than=STALE_AFTER):
    """Beat sweeper: reports queued (publish lost) or rendering (worker died) too long
    ago go back to the queue."""
    from ..tasks import report_render_task

    cutoff = timezone.now() - older_than
    stale = Report.objects.filter(
        status__in=[ReportStatus.QUEUED, ReportStatus.RENDERING], created_at__lt=cutoff
    ).values_list("pk", "program_id")
    count = 0
    for pk, program_id in stale:
        Report.objects.filter(pk=pk, status=ReportStatus.RENDERING).update(
            status=ReportStatus.QUEUED
        )
        report_render_task.delay(pk, program_id)
        count += 1
    return count
