"""No complaint goes untold for more than a few minutes (issue 13, defect 4).

A complaint arriving inside a program's notice window waits for the window's closing
run, a countdown task; if the worker holding that task dies, the broker redelivers it
only after its visibility timeout, an hour. The beat sweep tells such a complaint once
the window and a minute of grace have passed, exactly once."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from complaints import notices
from complaints.models import IntakeNotice
from complaints.tasks import NOTICE_SWEEP_GRACE, sweep_intake_notices
from config.celery import app
from core.notifications import deliver_due
from tests.complaints.conftest import submit

WINDOW = 60


@override_settings(COMPLAINT_NOTICE_WINDOW=WINDOW)
@pytest.mark.django_db(transaction=True)
def test_a_complaint_whose_closing_run_died_is_told_by_the_sweep_once(personas):
    world, other = personas.a, personas.b
    first, _ = submit(world)  # opens the window: its notice goes at once ...
    notices.send_pending(world.program.pk)  # ... (what the immediate task does)
    second, _ = submit(world)  # inside the window: left to the closing run, which dies
    quiet, _ = submit(other)
    notices.send_pending(other.program.pk)  # the other program's complaints were told
    deliver_due()  # the notification outbox's sender sends those (core/notifications.py)
    mail.outbox.clear()
    received = timezone.now()

    # Within the window (plus its grace) the sweep leaves it to the closing run.
    with time_machine.travel(received + datetime.timedelta(seconds=WINDOW), tick=False):
        assert sweep_intake_notices() == []
    deliver_due()
    assert mail.outbox == []

    later = received + datetime.timedelta(seconds=WINDOW) + NOTICE_SWEEP_GRACE
    with time_machine.travel(later + datetime.timedelta(seconds=5), tick=False):
        assert sweep_intake_notices() == [world.program.pk]
        assert sweep_intake_notices() == []  # told once
    deliver_due()
    # One mail per recipient (admin and staff), each about the untold complaint.
    assert {m.subject for m in mail.outbox} == {
        f"[{world.program.name}] New complaint {second.reference}"
    }
    recipients = [tuple(m.to) for m in mail.outbox]
    assert len(recipients) == len(set(recipients)) >= 2
    assert IntakeNotice.objects.get(program=world.program).notified_through == second.number
    # The dead closing run, redelivered an hour later, finds nothing left to tell.
    assert notices.send_pending(world.program.pk) == []
    deliver_due()
    assert len(mail.outbox) == len(recipients)


def test_the_sweep_runs_every_minute_on_beat():
    app.loader.import_default_modules()
    schedule = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}
    assert schedule["complaints.tasks.sweep_intake_notices"] <= 60
    # "A few minutes" at most: the window, a minute of grace and the sweep's period.
    worst = settings.COMPLAINT_NOTICE_WINDOW + NOTICE_SWEEP_GRACE.total_seconds() + 60
    assert worst <= 5 * 60
