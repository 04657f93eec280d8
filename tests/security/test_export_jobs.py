"""The program export as a background job (issue 16): started by an admin, built by a
real Celery worker (not inside the web request), with a progress page and a download
for its requester only; the file is deleted after its keeping time."""

import datetime
import io
import os
import time
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent, ExportJob, ExportJobStatus
from core.roles import Role
from exports import jobs
from programs import services as program_services
from tests.conftest import SYSTEM, make_user

from .test_export import IDENTITY, _file_a_complaint, _rows


def _download(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "no-store"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _wait_done(job_id, timeout=120):
    deadline = time.monotonic() + timeout  # not a timing assertion: stops a hang
    while time.monotonic() < deadline:
        job = ExportJob.objects.get(pk=job_id)
        if job.status in (ExportJobStatus.DONE, ExportJobStatus.FAILED):
            return job
        time.sleep(0.3)
    pytest.fail("the export job never finished")


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_export_job_built_by_the_worker_downloaded_by_its_requester_only(
    celery_worker_real, personas, client_for, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    a = personas.a
    case = _file_a_complaint(a)
    admin = a.user(Role.ADMIN)
    client = client_for(admin)
    page = reverse("program-export-job", kwargs={"program": a.slug})

    started = client.post(page, {"identity": "1"})
    assert started.status_code == 302
    job = ExportJob.objects.get()
    assert started["Location"] == f"{page}?job={job.pk}"
    assert job.requested_by == admin and job.include_identity
    assert AuditEvent.objects.filter(verb="program.export_requested").count() == 1

    job = _wait_done(job.pk)
    assert job.status == ExportJobStatus.DONE, job.error
    status = client.get(started["Location"])
    assert status.status_code == 200 and "ready" in status.content.decode()
    assert status["Cache-Control"] == "no-store"

    download = reverse("program-export-download", kwargs={"program": a.slug})
    zf = _download(client, f"{download}?job={job.pk}")
    assert "manifest.json" in zf.namelist()
    cases = _rows(zf, "complaints/case.csv")
    assert [r["id"] for r in cases] == [str(case.pk)]
    identities = _rows(zf, "complaints/complainant_identities.csv")
    assert identities[0]["name"] == IDENTITY["name"]

    # Not another admin of the same program, not staff, not another program's admin,
    # not a malformed id: all 404 (or 403 for a role that may not export at all).
    other_admin = make_user("second-admin@alpha.example.org")
    program_services.membership_invite(
        actor=SYSTEM, program=a.program, email=other_admin.email, role=Role.ADMIN, send_email=False
    )
    assert client_for(other_admin).get(f"{download}?job={job.pk}").status_code == 404
    assert client_for(other_admin).get(f"{page}?job={job.pk}").status_code == 404
    assert client_for(a.user(Role.STAFF)).get(f"{download}?job={job.pk}").status_code == 403
    b_admin = personas.b.user(Role.ADMIN)
    b_download = reverse("program-export-download", kwargs={"program": personas.b.slug})
    assert client_for(b_admin).get(f"{b_download}?job={job.pk}").status_code == 404
    assert client.get(f"{download}?job=not-a-uuid").status_code == 404

    # An admin demoted since asking can no longer download it.
    membership = a.program.memberships.get(user=admin)
    membership.role = Role.STAFF
    membership.save()
    assert client.get(f"{download}?job={job.pk}").status_code in (403, 404)

    # Kept for a day, then the file and the row are gone.
    path = job.file.path
    assert jobs.export_jobs_expire(now=timezone.now() + datetime.timedelta(hours=25)) == 1
    assert not ExportJob.objects.exists()

    assert not os.path.exists(path)


@pytest.mark.django_db
def test_export_job_refused_to_non_admins(personas, client_for):
    a = personas.a
    page = reverse("program-export-job", kwargs={"program": a.slug})
    assert client_for(a.user(Role.STAFF)).post(page).status_code == 403
    assert not ExportJob.objects.exists()


@pytest.mark.django_db
def test_export_job_start_asks_the_authorization_table_first(personas):
    """The service decides by ``core.authz`` (export.run), not by the caller's membership
    object: a staff member is refused by the table and nothing is queued or audited;
    another program's admin likewise."""
    from core.authz import Forbidden

    a = personas.a
    before = AuditEvent.objects.count()
    for actor in (a.user(Role.STAFF), personas.b.user(Role.ADMIN)):
        with pytest.raises(Forbidden):
            jobs.export_job_start(actor=actor, program=a.program)
    assert not ExportJob.objects.exists() and AuditEvent.objects.count() == before
