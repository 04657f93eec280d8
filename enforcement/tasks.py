"""Celery tasks of the enforcement app: thin, idempotent, load by id and call a service."""

import datetime

from celery import shared_task
from celery.schedules import crontab
from django.db import InterfaceError, OperationalError
from django.db.models import Q
from django.utils import timezone

from enforcement.models import (
    BuyerObligation,
    ObligationState,
    Standing,
    SupplierStanding,
    Violation,
)

from . import services

# A confirmed violation whose outbox row is still pending after this long was probably
# never published (process died between commit and publish): the sweeper re-enqueues it.
SWEEP_AFTER = datetime.timedelta(minutes=1)


# A transient database error (a restarted or failed-over PostgreSQL, a terminated
# connection, a deadlock victim) is retried with backoff (1, 2, 4 ... s, jittered, at most
# 60 s apart) instead of waiting for the sweeper's next pass (issue 13, defect 8). Safe:
# the failed attempt's transaction rolled back and the outbox claim makes a repeat a no-op.
TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)
RETRY = {
    "autoretry_for": TRANSIENT_DB_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(acks_late=True, reject_on_worker_lost=True, **RETRY)
def apply_consequences(violation_id, program_id):
    """Apply the ladder to one confirmed violation. Safe to run any number of times:
    ``consequences_apply`` claims the outbox row under a lock and applies at most once.
    Transient database errors are retried (``RETRY``)."""
    violation = Violation.objects.filter(pk=violation_id, program_id=program_id).first()
    if violation is None:
        return None
    sanction = services.consequences_apply(violation=violation)
    return sanction.pk if sanction else None


@shared_task(acks_late=True, reject_on_worker_lost=True, **RETRY)
def sweep_unapplied_consequences():
    """Re-enqueue confirmed violations whose consequences are not applied yet."""
    from .services.violations import application_mark_enqueued, violations_pending_application

    stale = list(violations_pending_application(older_than=timezone.now() - SWEEP_AFTER))
    for violation_id, program_id in stale:
        application_mark_enqueued(violation_id=violation_id)
        apply_consequences.delay(violation_id, program_id)
    return len(stale)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def mark_overdue_obligations():
    """Obligations past their due date → overdue; overdue past the grace period → breach.
    An attested obligation is late until verified: it is stamped overdue (keeping its
    state) and breaches after the grace period like the others."""
    today = timezone.localdate()
    overdue = list(
        BuyerObligation.objects.filter(
            Q(state__in=[ObligationState.PENDING, ObligationState.ACKNOWLEDGED])
            | Q(state=ObligationState.ATTESTED, overdue_at__isnull=True),
            due_date__lt=today,
        ).values_list("pk", flat=True)
    )
    for pk in overdue:
        services.obligation_mark_overdue(obligation_id=pk)
    breached = 0
    for pk in BuyerObligation.objects.filter(
        state__in=[ObligationState.OVERDUE, ObligationState.ATTESTED], due_date__lt=today
    ).values_list("pk", flat=True):
        if services.obligation_mark_breached(obligation_id=pk) is not None:
            breached += 1
    return {"overdue": len(overdue), "breached": breached}


@shared_task(acks_late=True, reject_on_worker_lost=True)
def expire_suspensions():
    """Suspensions whose end date has passed → reinstatement review."""
    ids = list(
        SupplierStanding.objects.filter(
            standing=Standing.SUSPENDED, suspended_until__lt=timezone.localdate()
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        services.suspension_expire(standing_id=pk)
    return len(ids)


BEAT_SCHEDULE = {
    "enforcement-sweep-unapplied": {
        "task": "enforcement.tasks.sweep_unapplied_consequences",
        "schedule": 60.0,
    },
    "enforcement-obligations-overdue": {
        "task": "enforcement.tasks.mark_overdue_obligations",
        "schedule": crontab(minute=5),
    },
    "enforcement-expire-suspensions": {
        "task": "enforcement.tasks.expire_suspensions",
        "schedule": crontab(minute=15, hour=0),
    },
}
