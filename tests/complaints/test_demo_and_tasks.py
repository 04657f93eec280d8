"""Demo seeding through the services, and the Celery jobs on a real worker."""

import pytest
from django.core import mail

from complaints import demo, selectors
from complaints.models import Case, Message
from complaints.tasks import BEAT_SCHEDULE
from core.models import AuditEvent
from core.roles import Role
from tests.utils import wait_for

from .conftest import submit


@pytest.mark.django_db
def test_demo_seed_is_idempotent_and_realistic(personas):
    world = personas.a
    demo.seed(program=world.program, members=world.members)
    count = Case.objects.filter(program=world.program).count()
    assert count == len(demo.STORIES)
    demo.seed(program=world.program, members=world.members)
    assert Case.objects.filter(program=world.program).count() == count
    statuses = set(Case.objects.filter(program=world.program).values_list("status", flat=True))
    assert {"received", "triaged", "investigating", "closed"} <= statuses
    assert Case.objects.filter(program=world.program, is_retaliation=True).exists()
    assert Message.objects.filter(program=world.program, direction="from_worker").exists()
    stats = selectors.public_complaint_stats(program=world.program)
    assert stats["total_received"] == count and stats["total_resolved"] == 2
    assert AuditEvent.objects.filter(program=world.program, verb="case.received").count() == count


def test_beat_schedule_is_declared():
    tasks = {entry["task"] for entry in BEAT_SCHEDULE.values()}
    assert tasks == {
        "complaints.tasks.send_clock_reminders",
        "complaints.tasks.sweep_intake_notices",
        "complaints.tasks.purge_expired_identities",
        # the worker channels' outbox sweep (lost publishes, dead senders)
        "complaints.tasks.send_channel_messages",
        "complaints.tasks.send_retaliation_checkins",
    }
    from config.celery import app

    app.finalize()
    assert "complaints-identity-purge" in app.conf.beat_schedule


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_new_complaint_notifies_staff_through_a_real_worker(personas, celery_worker_real):
    world = personas.a
    mail.outbox.clear()
    case, _code = submit(world)  # commits: on_commit enqueues on the real broker
    staff = world.user(Role.STAFF).email

    def to_staff():
        return [m for m in mail.outbox if m.to == [staff]]

    message = wait_for(to_staff, "the worker to send the notification", timeout=30)[0]
    assert case.reference in message.subject
    assert case.narrative not in message.body  # no narrative in mail
