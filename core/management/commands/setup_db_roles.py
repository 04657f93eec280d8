"""Create the two database roles and hand the database to its owner.

- the owner role (default ``wsr_owner``) owns the database, its schema objects and the
  audit trigger; ``migrate`` runs as it (MIGRATION_DATABASE_URL);
- the application role (default ``wsr_app``) may connect and read/write rows, nothing
  more: it cannot create, alter, drop or truncate tables, nor disable the trigger that
  keeps the audit log append-only, and it may not even UPDATE/DELETE audit rows.

Runs as a role allowed to create roles and databases (``--admin-url`` /
DATABASE_ADMIN_URL, default: the local socket's default role). Idempotent: run it before
``migrate`` (roles, database) and again after (grants on the new tables).
"""

import os
from pathlib import Path

import environ
import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from psycopg import sql
from psycopg.conninfo import make_conninfo

# Parses database URLs as the settings do (django-environ), without importing them.
env = environ.Env()


def _secret(name):
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name) or None


class Command(BaseCommand):
    help = "Create the owner and application database roles and grant the application DML only."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--admin-url",
            default=_secret("DATABASE_ADMIN_URL") or "postgres:///postgres",
            help="a role that can create roles and databases (env DATABASE_ADMIN_URL)",
        )
        parser.add_argument("--database", help="database name (default: DATABASE_URL's)")
        parser.add_argument("--owner", default=os.environ.get("WSR_DB_OWNER", "wsr_owner"))
        parser.add_argument("--app", default=os.environ.get("WSR_DB_APP", "wsr_app"))
        parser.add_argument(
            "--owner-password", default=_secret("WSR_DB_OWNER_PASSWORD"), help="or env/_FILE"
        )
        parser.add_argument(
            "--app-password", default=_secret("WSR_DB_APP_PASSWORD"), help="or env/_FILE"
        )

    def handle(self, *args, **options):
        database = options["database"]
        if not database:
            url = settings.MIGRATION_DATABASE_URL or settings.DATABASE_URL
            database = env.db_url_config(url)["NAME"]
        owner, app = options["owner"], options["app"]
        if owner == app:
            raise CommandError("The owner and the application role must differ.")
        admin_url = options["admin_url"]
        try:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                self._role(conn, owner, options["owner_password"])
                self._role(conn, app, options["app_password"])
                self._database(conn, database, owner)
            with psycopg.connect(
                make_conninfo(admin_url, dbname=database), autocommit=True
            ) as conn:
                self._grants(conn, database, owner, app)
        except psycopg.Error as exc:
            raise CommandError(f"Could not set up the database roles: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f'Database "{database}": owner role {owner}, application role {app} (DML only).'
            )
        )

    def _role(self, conn, name, password):
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name]).fetchone()
        verb = "ALTER" if exists else "CREATE"
        query = sql.SQL(
            "{} ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION"
        ).format(sql.SQL(verb), sql.Identifier(name))
        if password:
            query = sql.SQL("{} PASSWORD {}").format(query, sql.Literal(password))
        conn.execute(query)

    def _database(self, conn, database, owner):
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        ident = sql.Identifier(database)
        if exists:
            conn.execute(
                sql.SQL("ALTER DATABASE {} OWNER TO {}").format(ident, sql.Identifier(owner))
            )
        else:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(ident, sql.Identifier(owner))
            )
            self.stdout.write(f'Created the database "{database}".')

    def _grants(self, conn, database, owner, app):
        o, a, db = sql.Identifier(owner), sql.Identifier(app), sql.Identifier(database)
        # Objects created before the roles existed (an older install migrated by another
        # role) move to the owner, so that only the owner can change the schema.
        for kind, query in (
            (
                "TABLE",
                "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname='public' AND tableowner <> %s",
            ),
            (
                "SEQUENCE",
                "SELECT quote_ident(sequencename) FROM pg_sequences WHERE schemaname='public' AND sequenceowner <> %s",
            ),
            (
                "VIEW",
                "SELECT quote_ident(viewname) FROM pg_views WHERE schemaname='public' AND viewowner <> %s",
            ),
        ):
            for (name,) in conn.execute(query, [owner]).fetchall():
                conn.execute(
                    sql.SQL("ALTER {} public.{} OWNER TO {}").format(
                        sql.SQL(kind), sql.SQL(name), o
                    )
                )
        functions = conn.execute(
            """SELECT p.oid::regprocedure::text FROM pg_proc p
               JOIN pg_namespace n ON n.oid = p.pronamespace
               WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> %s""",
            [owner],
        ).fetchall()
        for (signature,) in functions:
            conn.execute(sql.SQL("ALTER FUNCTION {} OWNER TO {}").format(sql.SQL(signature), o))
        statements = [
            sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(db),
            sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(db, a),
            sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"),
            sql.SQL("REVOKE ALL ON SCHEMA public FROM {}").format(a),
            sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(a),
            sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(o),
            sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(a),
            sql.SQL(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}"
            ).format(a),
            sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(a),
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public "
                "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}"
            ).format(o, a),
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public "
                "GRANT USAGE, SELECT ON SEQUENCES TO {}"
            ).format(o, a),
        ]
        for statement in statements:
            conn.execute(statement)
        # The audit log is append-only: the trigger refuses changes, and the application
        # role is not even granted them (a second lock that does not depend on the first).
        if conn.execute("SELECT to_regclass('public.wsr_auditevent')").fetchone()[0]:
            conn.execute(
                sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON public.wsr_auditevent FROM {}").format(
                    a
                )
            )
