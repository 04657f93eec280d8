"""The Celery app. Tasks are thin: they load by id and call a service.

Each app contributes its periodic jobs through ``BEAT_SCHEDULE`` in its ``tasks.py``;
they are merged here so the schedule lives in code, not in a database scheduler.
"""

import importlib
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wsr.settings.dev")

app = Celery("wsr")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

BEAT_APPS = ["wsr", "programs", "complaints", "audits", "enforcement", "disclosure"]


@app.on_after_finalize.connect
def _collect_beat_schedule(sender, **kwargs):
    schedule = dict(sender.conf.beat_schedule or {})
    for label in BEAT_APPS:
        try:
            module = importlib.import_module(f"{label}.tasks")
        except ModuleNotFoundError as exc:
            if exc.name != f"{label}.tasks":
                raise
            continue
        schedule.update(getattr(module, "BEAT_SCHEDULE", {}))
    sender.conf.beat_schedule = schedule
