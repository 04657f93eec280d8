import shutil
import subprocess
from pathlib import Path

import psycopg
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from psycopg import sql

from core import filebackup, stored_files

from ._pg import libpq_env, owner_database_settings, point_default_connection_at


class Command(BaseCommand):
    help = (
        "Restore a pg_dump custom-format backup and the stored files beside it (<dump>.files/, "
        "each checked against the manifest's SHA-256), then verify that every file the restored "
        "database refers to is in storage with the content it recorded, and the audit chain. "
        "Refuses to overwrite a database that already has tables unless --clean."
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
        parser.add_argument(
            "--files", help="the files' backup folder (default: <dump>.files beside the dump)"
        )
        parser.add_argument(
            "--no-files", action="store_true", help="neither restore nor check stored files"
        )

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
        point_default_connection_at(db, name)
        report = None
        if not options["no_files"]:
            folder = Path(options["files"] or filebackup.files_folder(path))
            report = self._restore_files(folder)
        if not options["no_verify"]:
            call_command("verify_audit_chain", stdout=self.stdout, stderr=self.stderr)
        if report is not None and not report.ok:
            raise CommandError(
                "Restored, but some files are missing or corrupt (listed above): restore them "
                "from an older backup, or the records that refer to them stay without a file."
            )

    def _restore_files(self, folder):
        report = filebackup.RestoreReport()
        if (folder / filebackup.MANIFEST).is_file():
            filebackup.restore_files(default_storage, folder, report)
        else:
            self.stdout.write(f"No files backup at {folder}: checking the storage as it is.")
        filebackup.verify_references(default_storage, stored_files.references(), report)
        for line in report.lines():
            write = self.stdout.write if report.ok else self.stderr.write
            write(line)
        return report

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
