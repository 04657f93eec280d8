from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from core import filemigration, stored_files


class Command(BaseCommand):
    help = (
        "Encrypt every stored file the database refers to with the first FIELD_ENCRYPTION_KEYS "
        "key: files stored before encryption, files under an older key (after a rotation), and, "
        "with --from-root, plain files from a folder (the old MEDIA_ROOT) moved into the "
        "configured storage. Safe to run again: files already done are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from-root",
            help="a folder holding the files by their stored names (e.g. the old MEDIA_ROOT)",
        )
        parser.add_argument("--dry-run", action="store_true", help="count, change nothing")

    def handle(self, *args, **options):
        if not getattr(default_storage, "encrypted", False):
            raise CommandError("The configured file storage does not encrypt (STORAGES).")
        report = filemigration.encrypt_files(
            default_storage,
            stored_files.references(),
            from_root=options["from_root"],
            dry_run=options["dry_run"],
        )
        prefix = "Would have: " if options["dry_run"] else ""
        self.stdout.write(f"{prefix}{report.summary()}.")
        for ref, why in report.problems:
            self.stderr.write(f"{ref}: {why}")
        if report.problems:
            raise CommandError(f"{len(report.problems)} files could not be encrypted (above).")
