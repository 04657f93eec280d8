"""Every Celery task of the project runs under a time limit below the broker's
visibility timeout, workers are recycled by memory, and gunicorn workers by request
count with jitter (issue 16)."""

import re
from pathlib import Path

from django.conf import settings

from config.celery import app

PROJECT = ("wsr.", "programs.", "complaints.", "audits.", "enforcement.", "disclosure.")


def test_every_task_has_soft_and_hard_time_limits():
    app.loader.import_default_modules()
    tasks = {name: t for name, t in app.tasks.items() if name.startswith(PROJECT)}
    assert len(tasks) > 10
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    for name, task in tasks.items():
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        hard = task.time_limit or app.conf.task_time_limit
        assert soft and hard, name
        assert soft < hard < visibility, name
    public_report = tasks["disclosure.tasks.render_report"]
    assert public_report.time_limit <= 150


def test_workers_are_recycled():
    assert app.conf.worker_max_memory_per_child
    dockerfile = (Path(settings.BASE_DIR) / "Dockerfile").read_text()
    cmd = dockerfile[dockerfile.index('CMD ["gunicorn"') :]
    assert re.search(r'"--max-requests", "\d+"', cmd)
    assert re.search(r'"--max-requests-jitter", "\d+"', cmd)
