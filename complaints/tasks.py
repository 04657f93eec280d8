"""Celery jobs of the complaints app: thin, idempotent, scoped by program id."""

import datetime

from celery import shared_task
from celery.schedules import crontab
from django.db.models import Q
from django.utils import timezone

from core.actors import SystemActor

from . import services
from .models import OPEN_STATUSES, Case, CaseStatus, ComplaintPolicy

REMINDER_INTERVAL = datetime.timedelta(hours=24)

BEAT_SCHEDULE = {
    "complaints-clock-reminders": {
        "task": "complaints.tasks.send_clock_reminders",
        "schedule": crontab(minute="*/15"),
    },
    # A complaint's notice rides on a countdown task; if the worker holding it dies, the
    # broker redelivers it only after the visibility timeout (an hour). This sweep tells
    # every complaint untold after the window plus a minute (issue 13, defect 4).
    "complaints-sweep-intake-notices": {
        "task": "complaints.tasks.sweep_intake_notices",
        "schedule": 60.0,
    },
    # Channel messages whose publish was lost or whose sender died (complaints/channels/).
    "complaints-sweep-channel-outbox": {
        "task": "complaints.tasks.send_channel_messages",
        "schedule": 60.0,
    },
    # Retaliation watch: ask workers of closed cases on the program's days.
    "complaints-retaliation-checkins": {
        "task": "complaints.tasks.send_retaliation_checkins",
        "schedule": crontab(minute=40, hour=15),
    },
    "complaints-identity-purge": {
        "task": "complaints.tasks.purge_expired_identities",
        "schedule": crontab(minute=17, hour=3),
    },
}


def _case(case_id, program_id):
    # Re-check scope: the id must belong to the program the task was queued for.
    return Case.objects.select_related("program").filter(pk=case_id, program_id=program_id).first()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def notify_cases_received(program_id):
    """Tell the program's admins and staff of every complaint not told yet (references
    only; see notices.py). Idempotent: a redelivery finds nothing left to tell."""
    from . import notices

    return notices.send_pending(program_id)


# How long past its notice window a complaint may stay untold before the sweep tells it
# (the window's own closing run comes 2 s after the window; this leaves it room).
NOTICE_SWEEP_GRACE = datetime.timedelta(minutes=1)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sweep_intake_notices():
    """Tell every program's complaints that no notice has told within the window plus
    ``NOTICE_SWEEP_GRACE`` (the countdown task was lost with its worker, or the broker
    was down at intake). Same watermark as the notices: nothing is told twice. Returns
    the programs told."""
    from django.conf import settings

    from . import notices

    window = datetime.timedelta(seconds=max(settings.COMPLAINT_NOTICE_WINDOW, 0))
    cutoff = timezone.now() - window - NOTICE_SWEEP_GRACE
    told = []
    for program_id in notices.programs_untold(received_before=cutoff):
        if notices.send_pending(program_id):
            told.append(program_id)
    return told


@shared_task(acks_late=True, reject_on_worker_lost=True)
def notify_case_received(case_id, program_id):
    """The one-mail-per-complaint task of earlier releases: a message still queued at an
    upgrade is told through the watermark like any other."""
    return notify_cases_received(program_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def notify_case_assigned(case_id, program_id):
    """The per-assignment mail task of earlier releases: case_assign now writes the mail
    to the outbox itself. A message still queued at an upgrade is told through it."""
    from django.db import transaction

    from core.models import NotificationKind
    from core.notifications import notify

    case = _case(case_id, program_id)
    if case is None or case.assigned_to is None:
        return
    with transaction.atomic():
        notify(
            kind=NotificationKind.CASE_ASSIGNED,
            program=case.program,
            obj=case,
            key="queued-before-outbox",
            recipients=[case.assigned_to],
            context={
                "program": case.program.name,
                "reference": case.reference,
                "priority": case.priority,
                "resolution_due": f"{case.resolution_due:%Y-%m-%d}",
            },
        )


def overdue_kinds(case, now):
    kinds = set()
    if case.acknowledged_at is None and case.ack_due < now:
        kinds.add("acknowledgement")
    if case.status == CaseStatus.RECEIVED and case.triage_due < now:
        kinds.add("triage")
    if case.status in OPEN_STATUSES and case.resolution_due < now:
        kinds.add("resolution")
    return kinds


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_clock_reminders():
    """Remind about every overdue open case, at most once a day per case."""
    now = timezone.now()
    cutoff = now - REMINDER_INTERVAL
    due = (
        Case.objects.filter(status__in=OPEN_STATUSES)
        .filter(
            Q(acknowledged_at__isnull=True, ack_due__lt=now)
            | Q(status=CaseStatus.RECEIVED, triage_due__lt=now)
            | Q(resolution_due__lt=now)
        )
        .filter(Q(last_reminder_at__isnull=True) | Q(last_reminder_at__lt=cutoff))
        .select_related("program")
    )
    sent = 0
    for case in due.iterator(chunk_size=500):
        kinds = overdue_kinds(case, now)
        if kinds and services.case_remind(case=case, cutoff=cutoff, kinds=kinds):
            sent += 1
    return sent


@shared_task(acks_late=True, reject_on_worker_lost=True)
def purge_expired_identities():
    """Erase identities of cases closed longer ago than the program's retention."""
    now = timezone.now()
    policies = {p.program_id: p for p in ComplaintPolicy.objects.all()}
    purged = 0
    candidates = Case.objects.filter(
        status=CaseStatus.CLOSED, identity_purged_at__isnull=True, closed_at__isnull=False
    ).exclude(identity_ciphertext="")
    for case in candidates.select_related("program").iterator(chunk_size=500):
        policy = policies.get(case.program_id) or ComplaintPolicy(program=case.program)
        if case.closed_at + datetime.timedelta(days=policy.identity_retention_days) <= now:
            services.case_identity_purge(actor=SystemActor("retention-job"), case=case)
            purged += 1
    # The channel numbers of purged cases (also those purged by hand, or whose contact
    # erasure was lost with a worker): each in a transaction of its own, after the purge.
    from .channels.conversation import purge_contacts

    purge_contacts(
        Case.objects.filter(identity_purged_at__isnull=False).values_list("pk", flat=True)
    )
    return purged


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_channel_messages():
    """Send the channel outbox's due messages (complaints/channels/outbox.py). Safe in
    any number of workers at once; also the beat sweep."""
    from .channels import outbox

    return outbox.deliver_due()


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=8,
)
def fetch_recording(row_id, program_id):
    """Store a call's recording as evidence (complaints/channels/voice.py); retried while
    the provider has not finished it. Idempotent."""
    from .channels import voice

    evidence = voice.fetch_recording(row_id, program_id)
    return evidence.pk if evidence else None


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_retaliation_checkins():
    """Queue the due retaliation check-ins (complaints/channels/checkins.py); each is
    asked once (a unique row), whatever the redelivery."""
    from .channels import checkins

    return checkins.send_due()
