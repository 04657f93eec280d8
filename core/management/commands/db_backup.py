import datetime
import shutil
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from core import filebackup, stored_files

from ._pg import libpq_env, owner_database_settings, point_default_connection_at


class Command(BaseCommand):
    help = (
        "Back up the database with pg_dump (custom format) into var/backups/, and the stored "
        "files it refers to (as stored: encrypted) into <dump>.files/ with a SHA-256 manifest."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--output", help="file to write (default var/backups/<db>-<time>.dump)")
        parser.add_argument("--database", help="database name (default: the configured one)")
        parser.add_argument("--no-files", action="store_true", help="the database only")

    def handle(self, *args, **options):
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise CommandError("pg_dump is not installed (apt-get install postgresql-client).")
        db = owner_database_settings()
        name = options["database"] or db["NAME"]
        output = options["output"]
        if not output:
            stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
            output = Path(settings.BASE_DIR) / "var" / "backups" / f"{name}-{stamp}.dump"
        output = Path(output)
        output.parent.mkdir(parents=True, exist_ok=True)
        # Custom format: compressed, and pg_restore can restore it selectively or in parallel.
        # No shell; the arguments are a path we chose and fixed flags.
        result = subprocess.run(  # noqa: S603
            [pg_dump, "--format=custom", "--file", str(output)],
            env=libpq_env(db, name),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            output.unlink(missing_ok=True)
            raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
        output.chmod(0o600)
        self.stdout.write(self.style.SUCCESS(f"Backed up {name} to {output}"))
        if not options["no_files"]:
            self._backup_files(db, name, output)
        return None

    def _backup_files(self, db, name, output):
        # After the dump: every file the dump refers to was stored before it was taken,
        # so it is among the files the database refers to now (uploads are never
        # rewritten in place, and exports deleted in between are reported as missing).
        point_default_connection_at(db, name)
        folder = filebackup.files_folder(output)
        manifest = filebackup.backup_files(default_storage, stored_files.references(), folder)
        size = sum(item["size"] for item in manifest["files"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {len(manifest['files'])} files ({size} bytes, as stored: "
                f"encrypted) to {folder}"
            )
        )
        for missing in manifest["missing"]:
            self.stderr.write(f"WARNING: not in storage, not backed up: {missing}")
