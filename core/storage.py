"""Private file storage, encrypted at rest: the filesystem (development, tests, a single
host) or S3-compatible object storage (MinIO, AWS S3; several hosts share it).

Every file is encrypted before it leaves the process (core.filecrypt, the platform key
ring in core.keyring) and decrypted when opened, so the views that check access and
serve a file (``FieldFile.open``) are unchanged, while the bytes on disk or in the
bucket, and in the backups made of them, are ciphertext. The key is in the environment,
never in the database or the bucket.

A file written before encryption was turned on (no header) is still read as it is, so an
upgrade serves old files until ``manage.py encrypt_files`` has encrypted them in place.

Backup, restore and the migration command move the stored bytes as they are
(``open_raw``/``write_raw``): a backup holds ciphertext, and restoring it needs the key.
"""

import os
import tempfile

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage
from storages.backends.s3 import S3Storage

from . import filecrypt


class StorageUnavailable(OSError):
    """The storage refused or did not answer a write (object storage down or hung, a
    full disk); callers that can go on without the file catch this one error."""


class EncryptedStorageMixin:
    encrypted = True

    def save(self, name, content, max_length=None):
        # Finding a free name asks the storage too (a HEAD request on object storage).
        try:
            return super().save(name, content, max_length=max_length)
        except (BotoCoreError, ClientError, OSError) as exc:
            raise StorageUnavailable(f"{name} could not be stored: {exc}") from exc

    def _save(self, name, content):
        if hasattr(content, "seek"):
            content.seek(0)
        with filecrypt.spooled() as cipher:
            filecrypt.encrypt_stream(content, cipher)
            cipher.seek(0)
            return super()._save(name, File(cipher, name=name))

    def _open(self, name, mode="rb"):
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("encrypted storage opens files for reading only; save() writes")
        raw = super()._open(name, "rb")
        kid = filecrypt.header(raw.read(filecrypt.HEAD_BYTES))
        raw.seek(0)
        if kid is None:  # written before encryption: read as it is until encrypt_files
            return raw
        plain = filecrypt.spooled()
        try:
            filecrypt.decrypt_stream(raw, plain)
        except BaseException:
            plain.close()
            raise
        finally:
            raw.close()
        plain.seek(0)
        return File(plain, name=name)

    # -- the stored bytes as they are (backup, restore, migration) --------------------

    def open_raw(self, name):
        return super()._open(name, "rb")

    def key_id(self, name):
        """The id of the key a stored file is encrypted with, None if it is plaintext."""
        with self.open_raw(name) as raw:
            return filecrypt.header(raw.read(filecrypt.HEAD_BYTES))


class EncryptedFileSystemStorage(EncryptedStorageMixin, FileSystemStorage):
    def write_raw(self, name, content):
        """Put ``content`` at exactly ``name``, replacing what is there atomically."""
        path = self.path(name)
        directory = os.path.dirname(path)
        os.makedirs(directory, exist_ok=True)
        if self.directory_permissions_mode is not None:
            os.chmod(directory, self.directory_permissions_mode)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".restore-")
        try:
            with os.fdopen(handle, "wb") as out:
                for block in iter(lambda: content.read(filecrypt.CHUNK), b""):
                    out.write(block)
            os.chmod(temporary, self.file_permissions_mode or 0o640)
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
        return name


class EncryptedS3Storage(EncryptedStorageMixin, S3Storage):
    """django-storages' S3 backend with timeouts (a hung endpoint fails a request in
    seconds, not minutes), path-style addressing (MinIO) and no public ACL."""

    def __init__(self, *, connect_timeout=3, read_timeout=10, **options):
        options.setdefault(
            "client_config",
            Config(
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                # One retry: a request blocked on a hung endpoint waits at most about
                # twice the timeouts, then fails (a 500 or the task's retry), never hangs.
                retries={"max_attempts": 2, "mode": "standard"},
                s3={"addressing_style": options.get("addressing_style") or "path"},
                signature_version=options.get("signature_version") or "s3v4",
            ),
        )
        super().__init__(**options)

    def write_raw(self, name, content):
        # A PUT replaces the object whole (S3 has no partial writes): no temporary name.
        return S3Storage._save(self, name, content)


def open_raw(storage, name):
    """The stored bytes of ``name`` under any storage (plain backends have no open_raw)."""
    opener = getattr(storage, "open_raw", None)
    return opener(name) if opener else storage.open(name, "rb")
