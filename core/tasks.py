"""Kernel jobs: sending the notification outbox, anchoring the audit chains, and
background exports."""

from celery import shared_task
from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Sends what nobody sent: a publish lost with the broker, a sender killed mid-way
    # (rows left "sending" past NOTIFICATION_LEASE), a failed send due for its retry.
    "wsr-sweep-notifications": {
        "task": "wsr.tasks.sweep_notifications",
        "schedule": crontab(minute="*"),
    },
    "wsr-audit-checkpoint": {
        "task": "wsr.tasks.audit_checkpoint",
        "schedule": crontab(minute="*/15"),
    },
    "export-jobs-expire": {
        "task": "wsr.tasks.export_jobs_expire_task",
        "schedule": crontab(minute=17),
    },
}


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_notifications():
    """Send every due notification (idempotent: rows are claimed one sender at a time)."""
    from .notifications import deliver_due

    return deliver_due()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sweep_notifications():
    from .notifications import deliver_due

    return deliver_due()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def audit_checkpoint():
    """Append a signed checkpoint of every audit chain that moved (wsr/checkpoints.py)."""
    from .checkpoints import write_all

    return write_all()


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
