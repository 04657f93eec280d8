"""The audit log: append-only in the database, and a hash chain that detects an edit
made behind the trigger's back."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import DatabaseError

from core.actors import SystemActor
from core.models import AuditEvent
from core.roles import Role
from programs import services

pytestmark = pytest.mark.django_db


def verify(*args):
    from io import StringIO

    out = StringIO()
    call_command("verify_audit_chain", *args, stdout=out)
    return out.getvalue()


def test_chain_verifies(a, b):
    services.buyer_create(
        actor=a.user(Role.STAFF), program=a.program, name="Chain Foods", headquarters_country="US"
    )
    out = verify()
    assert "alpha: chain intact" in out and "bravo: chain intact" in out
    assert AuditEvent.objects.filter(program=a.program).count() > 10


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE wsr_auditevent SET payload = '{}'::jsonb WHERE id = %s",
        "DELETE FROM wsr_auditevent WHERE id = %s",
    ],
)
def test_trigger_refuses_update_and_delete(a, sql):
    event = AuditEvent.objects.filter(program=a.program).order_by("seq").first()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).payload == event.payload
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(verb="x")


def _behind_the_triggers_back(sql, params):
    with connection.cursor() as cursor:
        # Flush the deferred FK checks of this test's inserts, or ALTER TABLE refuses.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE wsr_auditevent DISABLE TRIGGER wsr_auditevent_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE wsr_auditevent ENABLE TRIGGER wsr_auditevent_append_only")


def test_altered_payload_is_detected(a):
    event = AuditEvent.objects.filter(program=a.program, verb="agreement.created").get()
    _behind_the_triggers_back(
        "UPDATE wsr_auditevent SET payload = jsonb_set(payload, '{title}', '\"Forged\"') "
        "WHERE id = %s",
        [event.pk],
    )
    with pytest.raises(CommandError, match="1 chain"):
        verify()
    with pytest.raises(CommandError):
        verify("--program", a.slug)
    assert "chain intact" in verify("--program", "bravo")


def test_deleted_event_is_detected(a):
    event = AuditEvent.objects.filter(program=a.program).order_by("seq")[3]
    _behind_the_triggers_back("DELETE FROM wsr_auditevent WHERE id = %s", [event.pk])
    with pytest.raises(CommandError):
        verify("--program", a.slug)


@pytest.mark.django_db(transaction=True)
def test_command_exits_non_zero():
    """The real command line, as an operator or cron runs it, on committed rows."""
    program = services.program_create(
        actor=SystemActor("test"), slug="gamma", name="Gamma", worker_organization="Gamma Workers"
    )
    for name in ("One", "Two", "Three"):
        services.buyer_create(
            actor=SystemActor("test"), program=program, name=name, headquarters_country="US"
        )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres:///{connection.settings_dict['NAME']}",
    }
    command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "verify_audit_chain"]
    ok = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "gamma: chain intact" in ok.stdout

    event = AuditEvent.objects.get(program=program, seq=3)
    _behind_the_triggers_back(
        "UPDATE wsr_auditevent SET actor_label = 'someone-else' WHERE id = %s", [event.pk]
    )
    broken = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert broken.returncode != 0
    assert f"gamma: broken at event seq=3 id={event.pk}" in broken.stdout
