"""The notification outbox (core/notifications.py): rows commit or roll back with the
change they report, one row per (kind, object, key, recipient), failed sends retried
with backoff, a lost publish or a dead sender taken up by the sweep, and each mail in
its recipient's language."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import Notification, NotificationKind, NotificationPreference, NotificationState
from core.notifications import MAX_ATTEMPTS, deliver_due, notify, recipient_language
from core.roles import Role
from core.tasks import sweep_notifications
from enforcement import services
from tests.enforcement.conftest import propose

pytestmark = pytest.mark.django_db


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses everything."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


def _invite_row(world, key="k"):
    with transaction.atomic():
        notify(
            kind=NotificationKind.MEMBERSHIP_INVITE,
            program=world.program,
            object_type="test.thing",
            object_id=1,
            key=key,
            recipients=[world.user(Role.STAFF)],
            context={"program": world.program.name, "role": "Staff", "new_account": False},
        )
    return Notification.objects.get(key=key)


def test_rows_roll_back_with_the_change_they_report(personas):
    a = personas.a
    violation = propose(a)
    services.violation_confirm(actor=a.user("admin"), violation=violation)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        services.consequences_apply(violation=violation)
        assert Notification.objects.filter(program=a.program).exists()
        raise Boom
    assert not Notification.objects.filter(program=a.program).exists()
    services.consequences_apply(violation=violation)
    assert Notification.objects.filter(program=a.program).count() >= 3


def test_a_second_row_for_the_same_mail_is_impossible(personas):
    row = _invite_row(personas.a)
    _invite_row(personas.a)  # the service running twice: ON CONFLICT DO NOTHING
    assert Notification.objects.filter(key="k").count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(
            recipient=row.recipient,
            address=row.address,
            kind=row.kind,
            object_type=row.object_type,
            object_id=row.object_id,
            key=row.key,
        )


def test_a_failed_send_is_kept_and_retried_with_backoff_then_marked_failed(personas, settings):
    row = _invite_row(personas.a)
    settings.MAILERS = {"default": {"BACKEND": "tests.test_notifications.RefusingBackend"}}
    assert deliver_due() == 0
    row.refresh_from_db()
    assert row.state == NotificationState.PENDING and row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    assert deliver_due() == 0  # not before its backoff
    assert Notification.objects.get(pk=row.pk).attempts == 1
    moment = timezone.now()
    for _ in range(MAX_ATTEMPTS - 1):
        moment += datetime.timedelta(hours=2)  # past the longest backoff (1 h)
        with time_machine.travel(moment, tick=False):
            deliver_due()
    row.refresh_from_db()
    assert row.state == NotificationState.FAILED and row.attempts == MAX_ATTEMPTS

    second = _invite_row(personas.a, key="k2")
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    mail.outbox.clear()
    assert deliver_due() == 1
    second.refresh_from_db()
    assert second.state == NotificationState.SENT and second.sent_at is not None
    assert mail.outbox[0].to == [personas.a.user(Role.STAFF).email]


def test_the_sweep_sends_a_lost_publish_and_a_dead_senders_rows_after_the_lease(personas):
    lost = _invite_row(personas.a, key="lost")  # its publish never reached a worker
    stuck = _invite_row(personas.a, key="stuck")
    claimed_at = timezone.now()
    Notification.objects.filter(pk=stuck.pk).update(
        state=NotificationState.SENDING, claimed_at=claimed_at, attempts=1
    )
    mail.outbox.clear()
    assert sweep_notifications() == 1  # the stuck one is still within its lease
    assert Notification.objects.get(pk=lost.pk).state == NotificationState.SENT
    later = claimed_at + datetime.timedelta(seconds=301)
    with time_machine.travel(later, tick=False):
        assert sweep_notifications() == 1
    assert Notification.objects.get(pk=stuck.pk).state == NotificationState.SENT
    assert sweep_notifications() == 0
    assert len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_after_commit_leaves_the_rows_for_the_sweep(personas, caplog, settings):
    from tests.reliability.procs import broker_at

    with broker_at("redis://127.0.0.1:1/0"):  # nothing listens there
        row = _invite_row(personas.a)  # commits; the publish fails
    assert "could not enqueue notification delivery" in caplog.text
    assert row.state == NotificationState.PENDING
    mail.outbox.clear()
    assert sweep_notifications() == 1


def test_recipient_language_preference_then_program_then_english(personas):
    a = personas.a
    staff = a.user(Role.STAFF)
    a.program.languages = ["xx", "es", "en"]
    assert recipient_language(staff, a.program) == "es"
    a.program.languages = []
    assert recipient_language(staff, a.program) == "en"
    NotificationPreference.objects.create(user=staff, language="bn")
    assert recipient_language(staff, a.program) == "bn"


def test_each_mail_is_rendered_in_its_recipients_language(personas):
    a = personas.a
    NotificationPreference.objects.create(user=a.user(Role.STAFF), language="es")
    with transaction.atomic():
        notify(
            kind=NotificationKind.CASE_OVERDUE,
            program=a.program,
            object_type="complaints.case",
            object_id=1,
            recipients=[a.user(Role.STAFF), a.user(Role.ADMIN)],
            context={
                "program": a.program.name,
                "reference": "C-1",
                "kinds": "triage",
                "priority": "high",
                "status": "received",
            },
        )
    mail.outbox.clear()
    deliver_due()
    by_address = {m.to[0]: m for m in mail.outbox}
    english = by_address[a.user(Role.ADMIN).email]
    spanish = by_address[a.user(Role.STAFF).email]
    assert english.subject == f"[{a.program.name}] Complaint C-1 is overdue"
    assert "C-1" in spanish.subject and spanish.subject != english.subject
    assert spanish.body != english.body


def test_one_publish_per_transaction_however_many_mails(
    personas, django_capture_on_commit_callbacks
):
    from core.notifications import enqueue_delivery
    from tests.enforcement.conftest import add_buyer

    a = personas.a
    for i in range(3):
        add_buyer(a, f"Publish Buyer {i}")
    violation = propose(a)
    services.violation_confirm(actor=a.user("admin"), violation=violation)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.consequences_apply(violation=violation)
    assert Notification.objects.filter(program=a.program).count() >= 3
    assert [c for c in callbacks if c is enqueue_delivery] == [enqueue_delivery]


def test_notify_many_costs_the_same_queries_for_one_object_or_forty(personas):
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    from core.notifications import notify_many

    a = personas.a
    users = [a.user(Role.STAFF), a.user(Role.ADMIN)]

    def queries(n, prefix):
        items = [
            {
                "object_type": "test.thing",
                "object_id": f"{prefix}{i}",
                "recipients": users,
                "context": {},
            }
            for i in range(n)
        ]
        with transaction.atomic(), CaptureQueriesContext(conn) as ctx:
            notify_many(kind=NotificationKind.CASE_ASSIGNED, program=a.program, items=items)
        return len(ctx.captured_queries)

    assert queries(1, "one-") == queries(40, "many-")
    assert Notification.objects.filter(object_id__startswith="many-").count() == 80
