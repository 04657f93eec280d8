"""Celery jobs of the buyer portal: deadline reminders and the daily digest.

Thin: the sweeps find work and fan it out by id; each per-item task re-checks scope and
calls a function of ``notifications`` that is idempotent under redelivery (row
lock + the outbox row of the reminder or the digest, unique per officer). config/celery.py merges ``BEAT_SCHEDULE``.
"""

from celery import shared_task
from celery.schedules import crontab

from . import notifications

BEAT_SCHEDULE = {
    # Hourly, not daily: a missed run costs an hour, and the records make reruns free.
    "buyer-portal-deadline-reminders": {
        "task": "buyers.tasks.sweep_deadline_reminders",
        "schedule": crontab(minute=15),
    },
    "buyer-portal-daily-digest": {
        "task": "buyers.tasks.sweep_digests",
        "schedule": crontab(minute=0, hour=6),
    },
}


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sweep_deadline_reminders():
    due = notifications.reminders_due()
    for obligation_id, program_id, threshold in due:
        send_obligation_reminder.delay(obligation_id, program_id, threshold)
    return len(due)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_obligation_reminder(obligation_id, program_id, threshold):
    recipients = notifications.obligation_reminder_send(
        obligation_id=obligation_id, program_id=program_id, threshold=threshold
    )
    return len(recipients or [])


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sweep_digests():
    user_ids = notifications.digest_officers()
    for user_id in user_ids:
        send_officer_digest.delay(user_id)
    return len(user_ids)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_officer_digest(user_id):
    return notifications.officer_digest_send(user_id=user_id)
