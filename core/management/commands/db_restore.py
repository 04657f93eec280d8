import shutil
import subprocess
from pathlib import Path

import psycopg
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from psycopg import sql

from ._pg import libpq_env, owner_database_settings


class Command(BaseCommand):
    help = (
        "Restore a pg_dump custom-format backup, then verify the audit chain in the restored "
        "database. Refuses to overwrite a database that already has tables unless --clean."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .dump written by db_backup / make backup")
        parser.add_argument("--database", help="target database (default: the configured one)")
        parser.add_argument(
            "--create", action="store_true", help="create the target database if missing"
        )
        parser.add_argument(
            "--clean", action="store_true", help="drop existing objects before restoring"
        )
        parser.add_argument("--no-verify", action="store_true", help="skip the chain check")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such backup file: {path}")
        pg_restore = shutil.which("pg_restore")
        if pg_restore is None:
            raise CommandError("pg_restore is not installed (apt-get install postgresql-client).")
        db = owner_database_settings()
        name = options["database"] or db["NAME"]
        self._prepare(db, name, create=options["create"], clean=options["clean"])
        command = [pg_restore, "--no-owner", "--no-acl", "--single-transaction"]
        command += ["--exit-on-error", "--dbname", name]
        if options["clean"]:
            command += ["--clean", "--if-exists"]
        # No shell; the only free argument is the backup's path, passed as one argv item.
        result = subprocess.run(  # noqa: S603
            [*command, str(path)],
            env=libpq_env(db, name),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise CommandError(f"pg_restore failed: {result.stderr.strip()}")
        self.stdout.write(self.style.SUCCESS(f"Restored {path} into {name}."))
        self.stdout.write(
            "Grants are not restored: run `manage.py setup_db_roles` for the application role."
        )
        if not options["no_verify"]:
            self._verify(db, name)

    def _prepare(self, db, name, *, create, clean):
        params = {"dbname": name, "connect_timeout": 5}
        for key, option in (("HOST", "host"), ("PORT", "port"), ("USER", "user")):
            if db.get(key):
                params[option] = str(db[key])
        if db.get("PASSWORD"):
            params["password"] = db["PASSWORD"]
        try:
            with psycopg.connect(**params) as conn:
                tables = conn.execute(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
                ).fetchone()[0]
        except psycopg.OperationalError as exc:
            if "does not exist" not in str(exc) or not create:
                raise CommandError(f"Cannot connect to {name}: {exc}") from exc
            with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            self.stdout.write(f"Created the database {name}.")
            return
        if tables and not clean:
            raise CommandError(
                f"{name} already has {tables} tables; restore into a new database "
                "(--database NAME --create) or pass --clean to replace its contents."
            )

    def _verify(self, db, name):
        connection = connections["default"]
        connection.close()
        connection.settings_dict.update(
            {k: db[k] for k in ("USER", "PASSWORD", "HOST", "PORT") if k in db}
        )
        connection.settings_dict["NAME"] = name
        call_command("verify_audit_chain", stdout=self.stdout, stderr=self.stderr)
