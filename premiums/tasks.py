"""Celery jobs of the premium ledger: the nightly shortfall check, one task per program."""

from celery import shared_task
from celery.schedules import crontab

from core.actors import SystemActor

from . import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def check_premium_shortfalls():
    """Daily: one shortfall check per program, each a task of its own, so a program whose
    check fails (bad ledger data) is retried by its own redelivery and does not skip
    the programs after it. Returns how many checks were queued."""
    from programs.models import Program

    ids = list(Program.objects.values_list("pk", flat=True))
    for program_id in ids:
        check_program_premium_shortfalls.delay(program_id)
    return len(ids)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def check_program_premium_shortfalls(program_id):
    """Propose premium violations for one program's shortfalls beyond its tolerance
    (idempotent: one violation per supplier and period). Returns how many it opened."""
    from programs.models import Program

    program = Program.objects.filter(pk=program_id).first()
    if program is None:
        return 0
    return len(
        services.premium_shortfall_check(actor=SystemActor("enforcement"), program=program)[
            "opened"
        ]
    )


BEAT_SCHEDULE = {
    "premiums-shortfalls": {
        "task": "premiums.tasks.check_premium_shortfalls",
        "schedule": crontab(minute=30, hour=2),
    },
}
