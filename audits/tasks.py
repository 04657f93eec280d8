"""Celery tasks of the audits app: thin, by id, re-checking scope; idempotent."""

from celery import shared_task
from celery.schedules import crontab

from programs.models import Program

from . import services

BEAT_SCHEDULE = {
    "audits-cap-overdue": {
        "task": "audits.tasks.cap_overdue_sweep_task",
        "schedule": crontab(minute=15),
    },
    "audits-reports-requeue": {
        "task": "audits.tasks.reports_requeue_task",
        "schedule": crontab(minute="*/10"),
    },
}


@shared_task(acks_late=True, reject_on_worker_lost=True)
def report_render_task(report_id, program_id):
    # The service claims the report with a conditional UPDATE scoped to program_id.
    report = services.report_render(report_id=report_id, program_id=program_id)
    return report.pk if report else None


@shared_task(acks_late=True, reject_on_worker_lost=True)
def cap_overdue_task(program_id):
    program = Program.objects.get(pk=program_id)
    return list(services.cap_items_mark_overdue(program=program))


@shared_task(acks_late=True, reject_on_worker_lost=True)
def cap_overdue_sweep_task():
    for program_id in Program.objects.values_list("pk", flat=True):
        cap_overdue_task.delay(program_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def reports_requeue_task():
    return services.reports_requeue_stale()
