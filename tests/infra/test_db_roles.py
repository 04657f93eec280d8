"""The application connects as a role that can only read and write rows; migrations run
as the owner. Built the way production builds it (setup_db_roles, migrate, setup_db_roles)
in a database of its own, with roles named after this test run so parallel runs keep apart."""

import psycopg
import pytest
from psycopg import errors, sql

from .helpers import manage, run_db_name

DB = f"{run_db_name()}_roles"
OWNER, APP = f"{DB}_owner", f"{DB}_app"
OWNER_PW, APP_PW = "owner-test-password", "app-test-password"
OWNER_URL = f"postgres://{OWNER}:{OWNER_PW}@127.0.0.1:5432/{DB}"
APP_URL = f"postgres://{APP}:{APP_PW}@127.0.0.1:5432/{DB}"
ADMIN = "dbname=postgres"


def _drop_everything():
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB)))
        for role in (APP, OWNER):
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def _setup_roles():
    return manage(
        "setup_db_roles",
        "--admin-url",
        "postgres:///postgres",
        "--database",
        DB,
        "--owner",
        OWNER,
        "--app",
        APP,
        "--owner-password",
        OWNER_PW,
        "--app-password",
        APP_PW,
    )


@pytest.fixture(scope="module")
def role_db():
    _drop_everything()
    first = _setup_roles()
    assert first.returncode == 0, first.stderr
    migrated = manage(
        "migrate", "--noinput", env={"DATABASE_URL": APP_URL, "MIGRATION_DATABASE_URL": OWNER_URL}
    )
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    assert f"Migrating as the owner role {OWNER}" in migrated.stdout
    second = _setup_roles()  # idempotent; grants on the tables migrate created
    assert second.returncode == 0, second.stderr
    yield
    _drop_everything()


def _app():
    return psycopg.connect(APP_URL, autocommit=True)


def test_neither_role_is_a_superuser_and_the_owner_owns_the_schema(role_db):
    with psycopg.connect(ADMIN) as conn:
        flags = dict(
            conn.execute(
                "SELECT rolname, rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls "
                "FROM pg_roles WHERE rolname = ANY(%s)",
                [[OWNER, APP]],
            ).fetchall()
        )
        assert flags == {OWNER: False, APP: False}
    with _app() as conn:
        owner = conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [DB]
        ).fetchone()[0]
        assert owner == OWNER
        table_owners = {
            row[0]
            for row in conn.execute(
                "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
            )
        }
        assert table_owners == {OWNER}
        assert conn.execute("SELECT count(*) FROM django_migrations").fetchone()[0] > 10


def test_the_application_role_reads_and_writes_rows(role_db):
    # Through the application, as it runs in production: a service call and its audit event.
    created = manage(
        "shell",
        "--no-imports",
        "-c",
        "from programs import services; services.program_create(actor='roles-test', "
        "slug='roles-test', name='Roles test', worker_organization='Test workers')",
        env={"DATABASE_URL": APP_URL},
    )
    assert created.returncode == 0, created.stderr
    verified = manage("verify_audit_chain", env={"DATABASE_URL": APP_URL})
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "roles-test: chain intact" in verified.stdout
    with _app() as conn:
        conn.execute(
            "UPDATE programs_program SET description = 'changed' WHERE slug = 'roles-test'"
        )
        row = conn.execute("SELECT description FROM programs_program WHERE slug = 'roles-test'")
        assert row.fetchone()[0] == "changed"
        assert conn.execute("SELECT count(*) FROM wsr_auditevent").fetchone()[0] >= 1


@pytest.mark.parametrize(
    "statement",
    [
        "DROP TABLE programs_buyer",
        "ALTER TABLE programs_buyer ADD COLUMN sneaky integer",
        "ALTER TABLE wsr_auditevent DISABLE TRIGGER wsr_auditevent_append_only",
        "ALTER TABLE wsr_auditevent DISABLE TRIGGER ALL",
        "DROP TRIGGER wsr_auditevent_append_only ON wsr_auditevent",
        "CREATE OR REPLACE FUNCTION wsr_auditevent_refuse_change() RETURNS trigger "
        "AS $$ BEGIN RETURN NEW; END $$ LANGUAGE plpgsql",
        "SET session_replication_role = replica",  # would silence every trigger
        "TRUNCATE wsr_auditevent",
        "UPDATE wsr_auditevent SET verb = 'tampered'",
        "DELETE FROM wsr_auditevent",
        "CREATE TABLE sneaky (id integer)",
    ],
)
def test_the_application_role_cannot_change_the_schema_or_the_audit_log(role_db, statement):
    with _app() as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute(statement)
