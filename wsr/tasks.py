"""Celery jobs of the kernel: background exports."""

from celery import shared_task
from celery.schedules import crontab

BEAT_SCHEDULE = {
    "export-jobs-expire": {
        "task": "wsr.tasks.export_jobs_expire_task",
        "schedule": crontab(minute=17),
    },
}


# An export of the bench's large program takes ~20 s; ten minutes is a fault.
@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=600, time_limit=660)
def export_job_run(job_id):
    from wsr import jobs

    result = jobs.export_job_run(job_id=job_id)
    return str(result) if result else None


@shared_task(acks_late=True, reject_on_worker_lost=True)
def export_jobs_expire_task():
    from wsr import jobs

    return jobs.export_jobs_expire()
