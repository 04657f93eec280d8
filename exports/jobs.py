"""Long outputs as background jobs, one mechanism for all of them: the program export
(export.zip, 17-19 s at the bench's large scale) and a buyer officer's obligations
statement (obligations.pdf, 9 s) are built by a Celery worker, not inside a web request
(gunicorn's timeout is 60 s). A status page shows the job's progress (a percentage kept
in the cache while it runs) and offers the download when ready.

Each kind (``core.models.ExportJobKind``) has a ``JobKind`` in ``KINDS``: how to build
its file, and who may still download it. The files may hold decrypted complainant
identities or a buyer's obligations, so only the member who asked can download one,
and only while still allowed to see what it holds; files are deleted once
``EXPORT_JOB_KEEP`` has passed (``export_jobs_expire``, on the beat schedule).
"""

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from buyers import statement
from core.audit import audit_log
from core.authz import Forbidden, can, require_member
from core.models import ExportJob, ExportJobKind, ExportJobStatus
from exports.services import may_export, may_include_identity, program_export
from programs.models import Membership

EXPORT_JOB_KEEP = datetime.timedelta(hours=24)


@dataclass(frozen=True)
class JobKind:
    # build(job, progress) -> (open binary handle, file name); raises PermissionDenied
    # when the requester may no longer have it (the job then fails with that message).
    build: Callable
    # may_download(job, user) -> bool, checked again at every download.
    may_download: Callable
    content_type: str
    refused: str  # the failure message when build raises PermissionDenied


def _progress_key(job_id):
    return f"export-job:{job_id}:progress"


def _progress_setter(job):
    def progress(done, total):
        cache.set(_progress_key(job.pk), int(99 * done / max(total, 1)), 3600)

    return progress


def job_create(*, kind, requested_by, program=None, params=None, include_identity=False):
    """Queue a job of ``kind``; the caller has checked the requester may have it.
    Must run inside the caller's transaction (the task is queued on commit)."""
    from exports.tasks import export_job_run

    job = ExportJob.objects.create(
        id=uuid.uuid4(),
        kind=kind,
        program=program,
        params=params or {},
        requested_by=requested_by,
        include_identity=include_identity,
    )
    transaction.on_commit(lambda: export_job_run.delay(str(job.pk)))
    return job


def job_get(*, kind, user, job_id, program=None):
    """The user's own job of this kind (and program), else 404 (another's job, another
    program's, a malformed id: all the same)."""
    try:
        job_id = uuid.UUID(str(job_id))
    except ValueError:
        raise Http404 from None
    job = ExportJob.objects.filter(pk=job_id, kind=kind, program=program, requested_by=user).first()
    if job is None:
        raise Http404
    return job


def job_progress(job):
    if job.status == ExportJobStatus.DONE:
        return 100
    return cache.get(_progress_key(job.pk)) or 0


def job_running(job):
    return job is not None and job.status in (ExportJobStatus.QUEUED, ExportJobStatus.RUNNING)


def job_run(*, job_id):
    """Build the file of a queued job (the Celery task calls this). Idempotent: a job
    already claimed, finished or failed is left alone."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJobStatus.QUEUED).update(
        status=ExportJobStatus.RUNNING
    )
    if not claimed:
        return None
    job = ExportJob.objects.select_related("program", "requested_by").get(pk=job_id)
    kind = KINDS[job.kind]
    try:
        handle, filename = kind.build(job, _progress_setter(job))
    except PermissionDenied:
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJobStatus.FAILED, error=kind.refused, finished_at=timezone.now()
        )
        return None
    except Exception:
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJobStatus.FAILED, error="The job failed.", finished_at=timezone.now()
        )
        raise
    with handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(0)
        job.file.save(filename, File(handle), save=False)
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJobStatus.DONE, file=job.file.name, size=size, finished_at=timezone.now()
    )
    cache.delete(_progress_key(job.pk))
    return job.pk


def job_file(*, job, user):
    """The finished file, for its requester while they may still have it; else 404."""
    if job.requested_by_id != user.pk or not KINDS[job.kind].may_download(job, user):
        raise Http404
    if job.status != ExportJobStatus.DONE or not job.file:
        raise Http404
    return job.file.open("rb")


def export_jobs_expire(*, now=None):
    """Delete the files and rows of jobs (every kind) older than EXPORT_JOB_KEEP."""
    cutoff = (now or timezone.now()) - EXPORT_JOB_KEEP
    n = 0
    for job in ExportJob.objects.filter(created_at__lt=cutoff):
        if job.file:
            job.file.delete(save=False)
        job.delete()
        n += 1
    return n


# ---------------------------------------------------------------- the program export


def _admin_membership(job, user):
    return Membership.objects.filter(program=job.program, user=user, is_active=True).first()


def _export_may_download(job, user):
    membership = _admin_membership(job, user)
    if not may_export(membership) or membership.program_id != job.program_id:
        return False
    return not job.include_identity or may_include_identity(membership)


def _export_build(job, progress):
    handle, _manifest = program_export(
        actor=job.requested_by,
        program=job.program,
        membership=_admin_membership(job, job.requested_by),
        include_identity=job.include_identity,
        progress=progress,
    )
    return handle, f"{job.program.slug}-export-{job.pk}.zip"


def export_job_start(*, actor, program, include_identity=False):
    """Queue an export of ``program`` for ``actor``; return the job."""
    require_member(actor, program, "export.run")
    if include_identity and not can(actor, program, "case.identity"):
        # By role, not by a grant on some case: the zip holds every case's identity.
        raise Forbidden("You are not allowed to export complainant identities.")
    with transaction.atomic():
        job = job_create(
            kind=ExportJobKind.PROGRAM_EXPORT,
            requested_by=actor,
            program=program,
            include_identity=include_identity,
        )
        audit_log(
            program=program,
            actor=actor,
            verb="program.export_requested",
            obj=program,
            payload={"job": str(job.pk), "identity_included": include_identity},
        )
    return job


def export_job_get(*, program, user, job_id):
    return job_get(kind=ExportJobKind.PROGRAM_EXPORT, program=program, user=user, job_id=job_id)


def export_job_run(*, job_id):
    return job_run(job_id=job_id)


KINDS = {
    ExportJobKind.PROGRAM_EXPORT: JobKind(
        build=_export_build,
        may_download=_export_may_download,
        content_type="application/zip",
        refused="The requester may no longer export this program.",
    ),
    ExportJobKind.OBLIGATIONS_STATEMENT: JobKind(
        build=statement.statement_build,
        may_download=statement.statement_may_download,
        content_type="application/pdf",
        refused="You are no longer the compliance officer of these buyers.",
    ),
}
