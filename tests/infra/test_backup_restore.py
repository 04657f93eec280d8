"""make backup / make restore: a pg_dump of a database with history restores into a fresh
database where the audit chain verifies, and tampering there is still detected."""

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from core.actors import SystemActor
from core.models import AuditEvent
from programs import services as program_services

from .helpers import manage

ADMIN = "dbname=postgres"


@pytest.fixture
def restored_name():
    name = f"{connection.settings_dict['NAME']}_restored"
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(drop)
    yield name
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(drop)


@pytest.mark.django_db(transaction=True)
def test_backup_restores_into_a_fresh_database_with_an_intact_chain(
    personas, restored_name, tmp_path
):
    # A little more history on top of the two persona programs.
    program_services.supplier_create(
        actor=SystemActor("backup-test"),
        program=personas.a.program,
        legal_name="Backup Farms",
        country="US",
    )
    source_url = f"postgres:///{connection.settings_dict['NAME']}"
    dump = tmp_path / "core.dump"

    backup = manage("db_backup", "--output", str(dump), env={"DATABASE_URL": source_url})
    assert backup.returncode == 0, backup.stderr
    assert dump.stat().st_size > 0 and dump.read_bytes()[:5] == b"PGDMP"  # custom format

    restore = manage(
        "db_restore",
        str(dump),
        "--database",
        restored_name,
        "--create",
        env={"DATABASE_URL": source_url},
    )
    assert restore.returncode == 0, restore.stdout + restore.stderr
    for slug in (personas.a.slug, personas.b.slug):
        assert f"{slug}: chain intact" in restore.stdout

    original = list(AuditEvent.objects.order_by("program_id", "seq").values_list("hash", flat=True))
    with psycopg.connect(f"dbname={restored_name}") as conn:
        copied = [
            row[0]
            for row in conn.execute("SELECT hash FROM wsr_auditevent ORDER BY program_id, seq")
        ]
    assert copied == original and len(original) > 20

    # The restored copy is still protected by the trigger and still checked for tampering:
    # a superuser who switches triggers off to rewrite an event is caught by the chain.
    with psycopg.connect(f"dbname={restored_name}", autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE wsr_auditevent SET verb = 'x'")
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            "UPDATE wsr_auditevent SET payload = '{\"forged\": true}' "
            "WHERE program_id = %s AND seq = 3",
            [personas.a.program.pk],
        )
    verify = manage("verify_audit_chain", env={"DATABASE_URL": f"postgres:///{restored_name}"})
    assert verify.returncode != 0
    assert f"{personas.a.slug}: broken at event seq=3" in verify.stdout
    assert f"{personas.b.slug}: chain intact" in verify.stdout


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_to_overwrite_a_database_that_has_tables(personas, tmp_path):
    source_url = f"postgres:///{connection.settings_dict['NAME']}"
    dump = tmp_path / "core.dump"
    assert (
        manage("db_backup", "--output", str(dump), env={"DATABASE_URL": source_url}).returncode == 0
    )
    restore = manage("db_restore", str(dump), env={"DATABASE_URL": source_url})
    assert restore.returncode != 0
    assert "already has" in restore.stderr and "--clean" in restore.stderr
    assert AuditEvent.objects.count() > 0  # untouched
