"""Deadline reminders (one per obligation per threshold), the digest option and the
beat jobs, with frozen time."""

import datetime

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import TestCase
from django.urls import reverse

from buyers import notifications as portal_notifications
from buyers import tasks as portal_tasks
from config.celery import app as celery_app
from core.actors import SystemActor
from core.errors import DomainError
from core.models import Notification, NotificationKind, NotificationPreference
from core.roles import Role
from enforcement import services as enforcement_services
from tests.utils import drain_mail, wait_for

from .helpers import SECRET_SUMMARY, make_obligation

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def at(time_machine, day):
    time_machine.move_to(
        datetime.datetime.combine(day, datetime.time(9, 0), datetime.UTC), tick=False
    )


def run_reminders():
    """One sweep, as the beat job does it; the outbox sends after each commit."""
    sent = []
    for obligation_id, program_id, threshold in portal_notifications.reminders_due():
        with TestCase.captureOnCommitCallbacks(execute=True):
            recipients = portal_notifications.obligation_reminder_send(
                obligation_id=obligation_id, program_id=program_id, threshold=threshold
            )
        sent.append((obligation_id, threshold, tuple(recipients or ())))
    drain_mail()
    return sent


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()  # our own Redis base (WSR_TEST_REDIS_BASE)
    yield
    cache.clear()


def test_new_obligation_mail_comes_from_enforcement_only_once(
    personas, django_capture_on_commit_callbacks
):
    a = personas.a
    mail.outbox.clear()
    officer = a.user(Role.BUYER_OFFICER)
    # consequences_apply sends its notice after commit; run the hooks as a commit would.
    with django_capture_on_commit_callbacks(execute=True):
        obligation = make_obligation(a)
    drain_mail()
    to_officer = [m for m in mail.outbox if officer.email in m.to]
    assert len(to_officer) == 1
    assert obligation.required in to_officer[0].body
    assert SECRET_SUMMARY not in to_officer[0].body
    # The portal adds no second "new obligation" mail on the same day.
    mail.outbox.clear()
    assert run_reminders() == []
    assert mail.outbox == []


def test_reminders_once_per_threshold(personas, time_machine):
    a = personas.a
    at(time_machine, START.date())
    obligation = make_obligation(a)  # zero tolerance: suspend purchases within 7 days
    drain_mail()  # the consequence mails of the new obligation
    due = obligation.due_date
    assert due == START.date() + datetime.timedelta(days=7)
    officer = a.user(Role.BUYER_OFFICER)

    # Created inside the 7-day window: the creation mail was the notice.
    mail.outbox.clear()
    assert run_reminders() == []

    at(time_machine, due - datetime.timedelta(days=3))
    sent = run_reminders()
    assert sent == [(obligation.pk, 3, (officer.email,))]
    assert len(mail.outbox) == 1
    assert "Due in 3 days" in mail.outbox[0].subject
    assert f"http://localhost:8000/buyer/obligations/{obligation.pk}/" in mail.outbox[0].body
    assert SECRET_SUMMARY not in mail.outbox[0].body
    # Again the same day, and the next day (still the 3-day threshold): nothing.
    assert run_reminders() == []
    at(time_machine, due - datetime.timedelta(days=2))
    assert run_reminders() == []
    # Calling the per-obligation job directly (a redelivered task) sends nothing more.
    assert (
        portal_notifications.obligation_reminder_send(
            obligation_id=obligation.pk, program_id=a.program.pk, threshold=3
        )
        is None
    )

    at(time_machine, due - datetime.timedelta(days=1))
    assert [s[1] for s in run_reminders()] == [1]

    at(time_machine, due + datetime.timedelta(days=1))
    enforcement_services.obligation_mark_overdue(obligation_id=obligation.pk)
    overdue = run_reminders()
    assert [s[1] for s in overdue] == [portal_notifications.OVERDUE_THRESHOLD]
    assert "OVERDUE" in mail.outbox[-1].subject
    assert run_reminders() == []
    assert len(mail.outbox) == 3

    reminders = Notification.objects.filter(
        kind=NotificationKind.OBLIGATION_REMINDER, object_id=str(obligation.pk)
    )
    assert sorted(reminders.values_list("key", flat=True)) == ["0", "1", "3"]
    assert set(reminders.values_list("state", flat=True)) == {"sent"}


def test_no_reminder_after_fulfilment(personas, time_machine):
    a = personas.a
    at(time_machine, START.date())
    obligation = make_obligation(a)
    drain_mail()
    enforcement_services.obligation_attest(
        actor=a.user(Role.BUYER_OFFICER), obligation=obligation, note="Done."
    )
    at(time_machine, obligation.due_date - datetime.timedelta(days=1))
    mail.outbox.clear()
    assert run_reminders() == []
    assert mail.outbox == []


def test_reminders_only_to_the_obligations_own_buyer(personas, time_machine):
    from .helpers import bind_other_buyer, make_violation_obligations

    a = personas.a
    bind_other_buyer(a)
    from programs import services as program_services

    program_services.membership_invite(
        actor=SystemActor("test-setup"),
        program=a.program,
        email="officer@other-buyer.example.org",
        role=Role.BUYER_OFFICER,
        buyer=a.other_buyer,
        send_email=False,
    )
    at(time_machine, START.date())
    obligations = make_violation_obligations(a)
    drain_mail()
    at(time_machine, START.date() + datetime.timedelta(days=4))
    mail.outbox.clear()
    run_reminders()
    by_recipient = {tuple(m.to): m for m in mail.outbox}
    assert set(by_recipient) == {
        (a.user(Role.BUYER_OFFICER).email,),
        ("officer@other-buyer.example.org",),
    }
    mine = by_recipient[(a.user(Role.BUYER_OFFICER).email,)]
    assert a.other_buyer.name not in mine.body
    assert str(obligations[a.buyer.pk].pk) in mine.body


def test_digest_preference_and_daily_digest(personas, client_for, time_machine):
    a = personas.a
    officer = a.user(Role.BUYER_OFFICER)
    client = client_for(officer)
    assert portal_notifications.officer_delivery(user=officer) == "immediate"
    response = client.post(reverse("buyer:notifications"), {"delivery": "digest"})
    assert response.status_code == 302
    assert portal_notifications.officer_delivery(user=officer) == "digest"
    assert NotificationPreference.objects.get(user=officer).delivery == "digest"
    assert client.get(reverse("buyer:notifications")).context["form"].initial == {
        "delivery": "digest"
    }

    at(time_machine, START.date())
    obligation = make_obligation(a)
    drain_mail()
    # Digest officers get no individual reminder.
    at(time_machine, obligation.due_date - datetime.timedelta(days=3))
    mail.outbox.clear()
    assert run_reminders() == []
    assert (
        portal_notifications.obligation_reminder_send(
            obligation_id=obligation.pk, program_id=a.program.pk, threshold=3
        )
        == []
    )
    drain_mail()
    assert mail.outbox == []

    assert portal_notifications.digest_officers() == [officer.pk]
    assert portal_notifications.officer_digest_send(user_id=officer.pk) is True
    drain_mail()
    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.to == [officer.email]
    assert obligation.required in digest.body
    assert "1 open" in digest.subject
    # Once a day, whatever the redelivery.
    assert portal_notifications.officer_digest_send(user_id=officer.pk) is False
    drain_mail()
    assert len(mail.outbox) == 1

    # Back to immediate: no longer a digest recipient.
    client.post(reverse("buyer:notifications"), {"delivery": "immediate"})
    assert portal_notifications.digest_officers() == []


def test_preference_is_for_officers_only(personas):
    with pytest.raises(DomainError):
        portal_notifications.portal_notifications_set(
            actor=personas.a.user(Role.STAFF), delivery="digest"
        )
    with pytest.raises(DomainError):
        portal_notifications.portal_notifications_set(
            actor=personas.a.user(Role.BUYER_OFFICER), delivery="hourly"
        )


def test_beat_schedule_is_wired():
    celery_app.finalize()
    schedule = celery_app.conf.beat_schedule
    for name, entry in portal_tasks.BEAT_SCHEDULE.items():
        assert schedule.get(name, {}).get("task") == entry["task"]
        assert entry["task"] in celery_app.tasks


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_reminder_sweep_on_a_real_worker(personas, celery_worker_real, time_machine):
    """The beat sweep fans out per-obligation tasks on the real broker; redelivering the
    sweep sends nothing twice."""
    a = personas.a
    # Time moves on from the destination (tick=True): the worker's own timers need it.
    time_machine.move_to(START, tick=True)
    obligation = make_obligation(a)
    time_machine.move_to(
        datetime.datetime.combine(
            obligation.due_date - datetime.timedelta(days=3), datetime.time(9), datetime.UTC
        ),
        tick=True,
    )
    # The worker sends the new obligation's consequence mails first.
    wait_for(
        lambda: not Notification.objects.exclude(state="sent").exists(),
        "the consequence mails to be sent",
        timeout=30,
    )
    mail.outbox.clear()
    portal_tasks.sweep_deadline_reminders.delay()
    wait_for(lambda: len(mail.outbox) == 1, "the reminder mail", timeout=30)
    portal_tasks.sweep_deadline_reminders.delay()
    portal_tasks.send_obligation_reminder.delay(obligation.pk, a.program.pk, 3)
    wait_for(
        lambda: (
            Notification.objects.filter(
                kind=NotificationKind.OBLIGATION_REMINDER,
                object_id=str(obligation.pk),
                state="sent",
            ).count()
            == 1
        ),
        "the reminder's audit event",
        timeout=30,
    )
    # Let the redelivered sweep's fan-out drain before counting mails.
    wait_for(lambda: not _worker_busy(), "the worker to go idle", timeout=30)
    assert len(mail.outbox) == 1
    assert "Due in 3 days" in mail.outbox[0].subject


def _worker_busy():
    inspect = celery_app.control.inspect(timeout=1)
    active = inspect.active() or {}
    reserved = inspect.reserved() or {}
    return any(active.values()) or any(reserved.values())


def test_preferences_kept_as_audit_events_are_carried_into_the_table(personas):
    """Migration 0004 copies each officer's latest "buyer_portal.notifications_set"
    event (the old home of the preference) into NotificationPreference."""
    import importlib

    from django.apps import apps
    from django.db import transaction

    from core.audit import audit_log

    migration = importlib.import_module("core.migrations.0004_notification_outbox_and_preferences")
    officer = personas.a.user(Role.BUYER_OFFICER)
    other = personas.b.user(Role.BUYER_OFFICER)
    with transaction.atomic():
        for user, delivery in ((officer, "digest"), (other, "digest"), (other, "immediate")):
            audit_log(
                program=None,
                actor=user,
                verb="buyer_portal.notifications_set",
                object_type="auth.user",
                object_id=str(user.pk),
                payload={"delivery": delivery},
            )
    migration.copy_preferences(apps, None)
    assert portal_notifications.officer_delivery(user=officer) == "digest"
    assert portal_notifications.officer_delivery(user=other) == "immediate"
    assert portal_notifications.digest_officers() == [officer.pk]
