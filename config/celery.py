"""The Celery app. Tasks are thin: they load by id and call a service.

Each app contributes its periodic jobs through ``BEAT_SCHEDULE`` in its ``tasks.py``;
they are merged here so the schedule lives in code, not in a database scheduler.
"""

import importlib
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("wsr")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The buyer portal keeps its jobs beside enforcement's, in a module of its own.
app.autodiscover_tasks(["enforcement"], related_name="portal_tasks")

BEAT_MODULES = [
    "core.tasks",
    "programs.tasks",
    "complaints.tasks",
    "audits.tasks",
    "enforcement.tasks",
    "enforcement.portal_tasks",
    "disclosure.tasks",
]


@app.on_after_finalize.connect
def _collect_beat_schedule(sender, **kwargs):
    schedule = dict(sender.conf.beat_schedule or {})
    for name in BEAT_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        schedule.update(getattr(module, "BEAT_SCHEDULE", {}))
    sender.conf.beat_schedule = schedule
