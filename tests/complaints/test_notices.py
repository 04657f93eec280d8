"""New-complaint notices: the first after a quiet spell at once, the rest of the window
in one mail, each complaint told exactly once (a watermark in the database), and a
complaint is never lost to a broker or cache outage."""

import threading

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import override_settings

from complaints import notices
from complaints.models import Case, IntakeNotice
from config.celery import app
from core.roles import Role
from tests.utils import drain_mail

from .conftest import submit

pytestmark = pytest.mark.django_db


def _told(world):
    return IntakeNotice.objects.get(program=world.program).notified_through


def _to(world, role=Role.STAFF):
    """The mails one member received (the outbox sends one per recipient)."""
    drain_mail()
    return [m for m in mail.outbox if m.to == [world.user(role).email]]


def test_one_complaint_one_mail_with_its_reference_only(personas):
    world = personas.a
    case, _ = submit(world)
    mail.outbox.clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.db.transaction.on_commit", lambda func, **kw: func())
        assert notices.send_pending(world.program.pk) == [case.number]
    (message,) = _to(world)
    assert message.subject == f"[{world.program.name}] New complaint {case.reference}"
    assert len(_to(world, Role.ADMIN)) == 1
    assert _to(world, Role.INVESTIGATOR) == []
    assert case.narrative not in message.body and "Acknowledge by" in message.body
    assert _told(world) == case.number


def test_a_burst_is_told_in_one_mail_and_never_twice(personas, django_capture_on_commit_callbacks):
    world = personas.a
    cases = [submit(world)[0] for _ in range(4)]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        told = notices.send_pending(world.program.pk)
    assert told == sorted(c.number for c in cases)
    (message,) = _to(world)
    assert message.subject == f"[{world.program.name}] 4 new complaints"
    for case in cases:
        assert case.reference in message.body and case.narrative not in message.body
    # A redelivered or second run finds nothing left to tell.
    with django_capture_on_commit_callbacks(execute=True):
        assert notices.send_pending(world.program.pk) == []
    assert len(_to(world)) == 1
    # The next complaint is told alone.
    later, _ = submit(world)
    with django_capture_on_commit_callbacks(execute=True):
        assert notices.send_pending(world.program.pk) == [later.number]
    assert _to(world)[-1].subject.endswith(f"New complaint {later.reference}")
    # Only this program's cases.
    other, _ = submit(personas.b)
    assert other.reference not in _to(world)[-1].body


def test_a_long_burst_lists_the_first_fifty_and_counts_all(personas, monkeypatch):
    world = personas.a
    monkeypatch.setattr(notices, "LISTED", 3)
    cases = [submit(world)[0] for _ in range(5)]
    subject, body = notices._message(
        list(Case.objects.filter(pk__in=[c.pk for c in cases]).order_by("number")[:3]), 5
    )
    assert subject.endswith("5 new complaints") and "and 2 more" in body
    assert notices.send_pending(world.program.pk) == [c.number for c in cases[:3]]
    assert _told(world) == cases[-1].number  # all five told, three listed


@override_settings(COMPLAINT_NOTICE_WINDOW=60)
def test_the_window_opens_once_on_the_real_broker(personas):
    world = personas.a
    app.control.purge()
    try:
        notices.schedule(world.program.pk)
        # The immediate notice and the window's closing run.
        assert app.control.purge() == 2
        for _ in range(3):
            notices.schedule(world.program.pk)
        assert app.control.purge() == 0  # inside the window: left to the closing run
        cache.delete(notices._window_key(world.program.pk))  # the window has passed
        notices.schedule(world.program.pk)
        assert app.control.purge() == 2
    finally:
        app.control.purge()


@override_settings(
    COMPLAINT_NOTICE_WINDOW=60,
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    },
)
@pytest.mark.django_db(transaction=True)
def test_a_cache_outage_does_not_cost_the_worker_the_receipt_code(personas, caplog):
    world = personas.a
    case, code = submit(world)  # commits; the notice cannot be scheduled
    assert code and Case.objects.filter(pk=case.pk).exists()
    assert "could not schedule the new-complaint notice" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_tell_each_complaint_once(personas):
    world = personas.a
    cases = [submit(world)[0] for _ in range(6)]
    results, errors = [], []
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            results.append(notices.send_pending(world.program.pk))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    told = sorted(n for result in results for n in result)
    assert told == sorted(c.number for c in cases)  # each once, none missed
    assert sorted(map(len, results)) == [0, 6]


def test_a_complaint_committed_during_a_notice_is_told_by_the_next(personas, monkeypatch):
    """The watermark only moves over what the notice counted: a complaint that arrives
    between its reads is left for the next notice, never passed without a mail."""
    world = personas.a
    first, _ = submit(world)
    real_list = list
    late = []

    def list_then_arrive(iterable):
        rows = real_list(iterable)
        if not late:  # a complaint commits right after the notice read its bound
            late.append(submit(world)[0])
        return rows

    monkeypatch.setattr(notices, "list", list_then_arrive, raising=False)
    assert notices.send_pending(world.program.pk) == [first.number]
    monkeypatch.undo()
    assert _told(world) == first.number
    assert notices.send_pending(world.program.pk) == [late[0].number]
