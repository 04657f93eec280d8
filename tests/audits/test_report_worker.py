"""The report task on a real Celery worker (queue "reports") and the page that polls it."""

import hashlib
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from audits import services
from audits.models import Report, ReportStatus
from audits.tasks import report_render_task
from core.roles import Role
from tests.conftest import build_world
from tests.utils import wait_for

from .helpers import make_audit, make_cap_item, make_finding


def _wait_for(report_id):
    def finished():
        report = Report.objects.get(pk=report_id)
        return report if report.status in (ReportStatus.READY, ReportStatus.FAILED) else None

    return wait_for(finished, "the worker to finish the report")


def test_report_tasks_route_to_the_reports_queue():
    """PDF rendering goes to its own queue (settings.CELERY_TASK_ROUTES); consequences
    stay on the default queue, so a pile of reports never delays them."""
    from config.celery import app

    def queue_of(name):
        return app.amqp.router.route({}, name, (), {})["queue"].name

    assert queue_of(report_render_task.name) == "reports"
    assert queue_of("disclosure.tasks.render_report") == "reports"
    assert queue_of("enforcement.tasks.apply_consequences") == "default"


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_audit_report_is_rendered_by_the_worker_and_offered(celery_worker_real, client_for):
    world = build_world("gamma", "Gamma Farms")
    staff = world.user(Role.STAFF)
    audit = make_audit(world, workforce_size=50, workers_interviewed=30)
    finding = make_finding(world, audit, facts="Workers paid below the piece rate.")
    make_cap_item(world, finding=finding, observation="Underpayment on bucket counts.")

    client = client_for(staff)
    response = client.post(
        reverse("audits:report_request", kwargs={"program": world.slug}), {"audit": audit.pk}
    )
    assert response.status_code == 302
    report = Report.objects.get(program=world.program, audit=audit)
    detail = reverse("audits:report_detail", kwargs={"program": world.slug, "pk": report.pk})
    assert response["Location"] == detail

    report = _wait_for(report.pk)
    assert report.status == ReportStatus.READY, report.error
    data = report.file.read()
    report.file.close()
    assert hashlib.sha256(data).hexdigest() == report.sha256 and report.size == len(data)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())
    assert "Audit report: Gamma Farms Farm 1" in text
    assert "Workers paid below the piece rate." in text

    # The htmx poll gets the fragment, now offering the file.
    fragment = client.get(detail, headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert "<html" not in body and "Download" in body and "hx-trigger" not in body
    download = client.get(
        reverse("audits:report_download", kwargs={"program": world.slug, "pk": report.pk})
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == data

    # Redelivery of the same task does not render again.
    assert services.report_render(report_id=report.pk, program_id=world.program.pk) is None


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_cap_progress_report_and_pending_page(celery_worker_real, client_for):
    world = build_world("delta", "Delta Dairy")
    staff = world.user(Role.STAFF)
    make_cap_item(world)
    report = services.report_request(actor=staff, program=world.program, kind="cap_progress")
    report = _wait_for(report.pk)
    assert report.status == ReportStatus.READY, report.error
    assert report.file.read().startswith(b"%PDF-")
    report.file.close()
    # A task for another program's id re-checks scope and does nothing.
    queued = Report.objects.create(program=world.program, kind="cap_progress", requested_by=staff)
    assert services.report_render(report_id=queued.pk, program_id=world.program.pk + 999) is None
    queued.refresh_from_db()
    assert queued.status == ReportStatus.QUEUED
    page = client_for(staff).get(
        reverse("audits:report_detail", kwargs={"program": world.slug, "pk": queued.pk})
    )
    assert b'hx-trigger="every 2s"' in page.content
    assert b"htmx-2.min.js" in page.content
