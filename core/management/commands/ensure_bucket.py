from botocore.exceptions import ClientError
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Create the object storage bucket of the uploaded files if it is missing (FILE_STORAGE=s3; "
        "nothing to do on the filesystem). Safe to run on every deploy."
    )

    def handle(self, *args, **options):
        bucket_name = getattr(default_storage, "bucket_name", None)
        if bucket_name is None:
            self.stdout.write("Files are on the filesystem: no bucket to create.")
            return
        client = default_storage.connection.meta.client
        try:
            client.head_bucket(Bucket=bucket_name)
            self.stdout.write(f"Bucket {bucket_name} is there.")
            return
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in {"404", "NoSuchBucket"}:
                raise CommandError(f"Cannot reach bucket {bucket_name}: {exc}") from exc
        client.create_bucket(Bucket=bucket_name)
        self.stdout.write(self.style.SUCCESS(f"Created bucket {bucket_name}."))
