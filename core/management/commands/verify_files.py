from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from core import filebackup, stored_files


class Command(BaseCommand):
    help = (
        "Check that every file the database refers to is in storage, decrypts with the "
        "configured keys, and has the SHA-256 the database recorded at upload."
    )

    def handle(self, *args, **options):
        references = stored_files.references()
        report = filebackup.verify_references(default_storage, references)
        problems = len(report.missing) + len(report.mismatched)
        for line in list(report.lines())[1:]:
            self.stderr.write(line)
        if problems:
            raise CommandError(f"{problems} of {len(references)} files are missing or corrupt.")
        self.stdout.write(self.style.SUCCESS(f"All {len(references)} files are there and intact."))
