"""make backup / make restore with the stored files: the backup holds each file as stored
(ciphertext) with a SHA-256 manifest; restore puts them back, refuses a damaged copy and
reports every file the restored database refers to that is missing or corrupt."""

import hashlib
import json
import shutil
from io import StringIO

import psycopg
import pytest
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.db import connection
from psycopg import sql

from core import filebackup, filecrypt, stored_files
from tests.infra.helpers import manage
from tests.storage.test_encrypted_storage import SECRET, add_evidence

from .conftest import raw_object, s3_env


@pytest.fixture
def restored_name():
    name = f"{connection.settings_dict['NAME']}_files_restored"
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect("dbname=postgres", autocommit=True) as conn:
        conn.execute(drop)
    yield name
    with psycopg.connect("dbname=postgres", autocommit=True) as conn:
        conn.execute(drop)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def three_files(personas):
    return [add_evidence(personas.a, content=SECRET + b" page %d" % n) for n in range(3)]


def source_url():
    return f"postgres:///{connection.settings_dict['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_restore_after_a_lost_disk_and_with_one_copy_corrupt(
    personas, media, tmp_path, restored_name
):
    evidence = three_files(personas)
    env = {"DATABASE_URL": source_url(), "MEDIA_ROOT": str(media)}
    dump = tmp_path / "backup" / "wsr.dump"

    backup = manage("db_backup", "--output", str(dump), env=env)
    assert backup.returncode == 0, backup.stderr
    assert "Backed up 3 files" in backup.stdout
    folder = filebackup.files_folder(dump)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest["files"]) == {e.file.name for e in evidence}
    for item in evidence:
        copy = (folder / "objects" / item.file.name).read_bytes()
        assert copy == (media / item.file.name).read_bytes()  # as stored: ciphertext
        assert copy.startswith(filecrypt.MAGIC) and b"Rosa" not in copy
        assert manifest["files"][item.file.name]["sha256"] == hashlib.sha256(copy).hexdigest()

    # The disk with the files is lost, and one copy in the backup has rotted.
    shutil.rmtree(media)
    rotten = folder / "objects" / evidence[1].file.name
    data = bytearray(rotten.read_bytes())
    data[-10] ^= 0xFF
    rotten.write_bytes(bytes(data))

    restore = manage("db_restore", str(dump), "--database", restored_name, "--create", env=env)
    output = restore.stdout + restore.stderr
    assert restore.returncode != 0, output
    assert "2 restored, 0 already in place, 1 corrupt in the backup, 1 missing" in output
    assert f"CORRUPT in the backup (not restored): {evidence[1].file.name}" in output
    assert (
        f"MISSING: {evidence[1].file.name} (complaints.Evidence {evidence[1].pk}, file)" in output
    )
    assert f"{personas.a.slug}: chain intact" in output  # the database itself is fine
    assert not (media / evidence[1].file.name).exists()
    storage = storages.create_storage({"BACKEND": "core.storage.EncryptedFileSystemStorage"})
    storage.location = str(media)
    for item in (evidence[0], evidence[2]):
        with storage.open(item.file.name) as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == item.sha256


@pytest.mark.django_db(transaction=True)
def test_backup_from_object_storage_restores_into_an_empty_bucket(
    personas, s3_storage, s3_client, s3_bucket, s3_endpoint, tmp_path, restored_name
):
    evidence = three_files(personas)
    dump = tmp_path / "wsr.dump"
    env = {"DATABASE_URL": source_url(), **s3_env(s3_endpoint, s3_bucket)}
    backup = manage("db_backup", "--output", str(dump), env=env)
    assert backup.returncode == 0, backup.stderr
    assert "Backed up 3 files" in backup.stdout

    empty = f"{s3_bucket}-new"
    s3_client.create_bucket(Bucket=empty)
    env = {"DATABASE_URL": source_url(), **s3_env(s3_endpoint, empty)}
    restore = manage("db_restore", str(dump), "--database", restored_name, "--create", env=env)
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert "Files: 3 restored, 0 already in place, 0 corrupt in the backup, 0 missing" in (
        restore.stdout
    )
    for item in evidence:
        assert raw_object(s3_client, empty, item.file.name) == raw_object(
            s3_client, s3_bucket, item.file.name
        )


@pytest.mark.django_db
def test_the_check_finds_a_file_damaged_or_missing_in_storage(personas, media):
    evidence = three_files(personas)
    storage = storages["default"]
    path = media / evidence[0].file.name
    data = bytearray(path.read_bytes())
    data[-5] ^= 1
    path.write_bytes(bytes(data))
    (media / evidence[2].file.name).unlink()
    report = filebackup.verify_references(storage, stored_files.references())
    assert [(ref.pk, why) for ref, why in report.missing] == [(evidence[2].pk, "not in storage")]
    assert [ref.pk for ref, _ in report.mismatched] == [evidence[0].pk]
    assert "cannot be decrypted" in report.mismatched[0][1]
    assert not report.ok
    # The operator's command says the same, naming the files.
    err = StringIO()
    with pytest.raises(CommandError, match="2 of 3 files are missing or corrupt"):
        call_command("verify_files", stderr=err)
    assert f"MISSING: {evidence[2].file.name}" in err.getvalue()
    assert f"CORRUPT: {evidence[0].file.name}" in err.getvalue()
