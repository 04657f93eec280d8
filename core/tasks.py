"""Kernel jobs: sending the notification outbox, anchoring the audit chains, and
background exports."""

from celery import shared_task
from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Sends what nobody sent: a publish lost with the broker, a sender killed mid-way
    # (rows left "sending" past NOTIFICATION_LEASE), a failed send due for its retry.
    "wsr-sweep-notifications": {
        "task": "core.tasks.sweep_notifications",
        "schedule": crontab(minute="*"),
    },
    "wsr-audit-checkpoint": {
        "task": "core.tasks.audit_checkpoint",
        "schedule": crontab(minute="*/15"),
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
    """Append a signed checkpoint of every audit chain that moved (core/checkpoints.py)."""
    from .checkpoints import write_all

    return write_all()
