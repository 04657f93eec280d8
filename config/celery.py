"""The Celery app. Tasks are thin: they load by id and call a service.

Each app contributes its periodic jobs through ``BEAT_SCHEDULE`` in its ``tasks.py``;
they are merged here so the schedule lives in code, not in a database scheduler.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("wsr")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _scope_tasks(sender, **kwargs):
    # Tasks cross programs by id, as the system (core/scoping.py).
    from core.scoping import scope_celery_tasks

    scope_celery_tasks()


@app.on_after_finalize.connect
def _collect_beat_schedule(sender, **kwargs):
    # Imported here: the task modules need Django's apps, which are ready only now.
    from audits import tasks as audits_tasks
    from buyers import tasks as portal_tasks
    from complaints import tasks as complaints_tasks
    from core import tasks as core_tasks
    from enforcement import tasks as enforcement_tasks
    from exports import tasks as exports_tasks
    from premiums import tasks as premiums_tasks

    schedule = dict(sender.conf.beat_schedule or {})
    for module in (
        core_tasks,
        complaints_tasks,
        audits_tasks,
        enforcement_tasks,
        premiums_tasks,
        exports_tasks,
        portal_tasks,
    ):
        schedule.update(module.BEAT_SCHEDULE)
    sender.conf.beat_schedule = schedule
