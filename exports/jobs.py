"""Long outputs as background jobs: the program export (export.zip) is built by a Celery
worker, not inside a web request (17-19 s at the bench's large scale, against a
gunicorn timeout of 60 s). The admin starts it, a status page shows its progress
(a percentage kept in the cache while it runs) and offers the download when ready.

The zip may hold decrypted complainant identities, so: only the member who asked can
download it, and only while still an admin of the program; the file is deleted once
``EXPORT_JOB_KEEP`` has passed (``export_jobs_expire``, on the beat schedule).
"""

import datetime
import uuid

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from core.audit import audit_log
from core.authz import Forbidden, can, require_member
from core.models import ExportJob, ExportJobStatus
from exports.services import may_export, may_include_identity, program_export
from programs.models import Membership

EXPORT_JOB_KEEP = datetime.timedelta(hours=24)


def _progress_key(job_id):
    return f"export-job:{job_id}:progress"


def export_job_start(*, actor, program, include_identity=False):
    """Queue an export of ``program`` for ``actor``; return the job."""
    require_member(actor, program, "export.run")
    if include_identity and not can(actor, program, "case.identity"):
        # By role, not by a grant on some case: the zip holds every case's identity.
        raise Forbidden("You are not allowed to export complainant identities.")
    from exports.tasks import export_job_run

    with transaction.atomic():
        job = ExportJob.objects.create(
            id=uuid.uuid4(),
            program=program,
            requested_by=actor,
            include_identity=include_identity,
        )
        audit_log(
            program=program,
            actor=actor,
            verb="program.export_requested",
            obj=program,
            payload={"job": str(job.pk), "identity_included": include_identity},
        )
        transaction.on_commit(lambda: export_job_run.delay(str(job.pk)))
    return job


def export_job_get(*, program, user, job_id):
    """The user's own job in this program, else 404 (another's job, another program's,
    a malformed id: all the same)."""
    try:
        job_id = uuid.UUID(str(job_id))
    except ValueError:
        raise Http404 from None
    job = ExportJob.objects.filter(pk=job_id, program=program, requested_by=user).first()
    if job is None:
        raise Http404
    return job


def export_job_progress(job):
    if job.status == ExportJobStatus.DONE:
        return 100
    return cache.get(_progress_key(job.pk)) or 0


def export_job_run(*, job_id):
    """Build the export of a queued job (the Celery task calls this). Idempotent: a job
    already claimed, finished or failed is left alone."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJobStatus.QUEUED).update(
        status=ExportJobStatus.RUNNING
    )
    if not claimed:
        return None
    job = ExportJob.objects.select_related("program", "requested_by").get(pk=job_id)
    membership = Membership.objects.filter(
        program=job.program, user=job.requested_by, is_active=True
    ).first()

    def progress(done, total):
        cache.set(_progress_key(job.pk), int(99 * done / total), 3600)

    try:
        handle, _manifest = program_export(
            actor=job.requested_by,
            program=job.program,
            membership=membership,
            include_identity=job.include_identity,
            progress=progress,
        )
    except PermissionDenied:
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJobStatus.FAILED,
            error="The requester may no longer export this program.",
            finished_at=timezone.now(),
        )
        return None
    except Exception:
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJobStatus.FAILED, error="The export failed.", finished_at=timezone.now()
        )
        raise
    with handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(0)
        job.file.save(f"{job.program.slug}-export-{job.pk}.zip", File(handle), save=False)
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJobStatus.DONE, file=job.file.name, size=size, finished_at=timezone.now()
    )
    cache.delete(_progress_key(job.pk))
    return job.pk


def export_job_file(*, job, membership):
    """The finished file, for its requester while still an admin of the program."""
    if not may_export(membership) or membership.program_id != job.program_id:
        raise Http404
    if job.include_identity and not may_include_identity(membership):
        raise Http404
    if job.status != ExportJobStatus.DONE or not job.file:
        raise Http404
    return job.file.open("rb")


def export_jobs_expire(*, now=None):
    """Delete the files and rows of jobs older than EXPORT_JOB_KEEP."""
    cutoff = (now or timezone.now()) - EXPORT_JOB_KEEP
    n = 0
    for job in ExportJob.objects.filter(created_at__lt=cutoff):
        if job.file:
            job.file.delete(save=False)
        job.delete()
        n += 1
    return n
