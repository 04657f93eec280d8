"""Celery jobs of the program export: building an archive in the background, and
deleting archives past their keeping time."""

from celery import shared_task
from celery.schedules import crontab

from . import jobs

BEAT_SCHEDULE = {
    "export-jobs-expire": {
        "task": "exports.tasks.export_jobs_expire_task",
        "schedule": crontab(minute=17),
    },
}


# An export of the bench's large program takes ~20 s; ten minutes is a fault.
@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=600, time_limit=660)
def export_job_run(job_id):
    result = jobs.export_job_run(job_id=job_id)
    return str(result) if result else None


@shared_task(acks_late=True, reject_on_worker_lost=True)
def export_jobs_expire_task():
    return jobs.export_jobs_expire()
