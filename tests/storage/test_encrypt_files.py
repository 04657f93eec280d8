"""manage.py encrypt_files: the migration path for files stored before encryption (in
place, or moved from the old MEDIA_ROOT into object storage) and for key rotation.
Idempotent: a second run changes nothing."""

import hashlib
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.test import override_settings

from core import filecrypt, keyring
from tests.storage.test_encrypted_storage import SECRET, add_evidence, download

from .conftest import raw_object

pytestmark = pytest.mark.django_db
PLAIN = {"BACKEND": "django.core.files.storage.FileSystemStorage"}


@pytest.fixture
def plain_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def legacy_evidence(personas, plain_media, settings):
    """Two evidence files as the platform stored them before: plain, under MEDIA_ROOT."""
    with override_settings(STORAGES={**settings.STORAGES, "default": PLAIN}):
        first = add_evidence(personas.a)
        second = add_evidence(personas.a, content=SECRET + b" and a second page")
    for evidence in (first, second):
        assert (plain_media / evidence.file.name).read_bytes().startswith(b"%PDF")
    return first, second


def run(*args):
    out = StringIO()
    call_command("encrypt_files", *args, stdout=out, stderr=out)
    return out.getvalue()


def test_encrypts_plain_files_in_place_once(legacy_evidence, plain_media, personas, client_for):
    assert "2 encrypted, 0 re-encrypted, 0 moved, 0 already encrypted" in run("--dry-run")
    assert (plain_media / legacy_evidence[0].file.name).read_bytes().startswith(b"%PDF")

    assert "2 encrypted, 0 re-encrypted, 0 moved, 0 already encrypted, 0 missing" in run()
    stored = {}
    for evidence in legacy_evidence:
        raw = (plain_media / evidence.file.name).read_bytes()
        assert raw.startswith(filecrypt.MAGIC) and b"Rosa" not in raw
        stored[evidence.pk] = raw
        response = download(client_for, personas.a, evidence)
        assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == evidence.sha256

    # Again: nothing to do, nothing rewritten.
    assert "0 encrypted, 0 re-encrypted, 0 moved, 2 already encrypted" in run()
    for evidence in legacy_evidence:
        assert (plain_media / evidence.file.name).read_bytes() == stored[evidence.pk]


def test_rotation_re_encrypts_under_the_new_key(legacy_evidence, settings, personas, client_for):
    run()
    old_id = keyring.current()[0]
    new_key = Fernet.generate_key().decode()
    storage = storages.create_storage(settings.STORAGES["default"])
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, *settings.FIELD_ENCRYPTION_KEYS]):
        assert "0 encrypted, 2 re-encrypted" in run()
        assert "2 already encrypted" in run()
    for evidence in legacy_evidence:
        assert storage.key_id(evidence.file.name) == keyring.key_id(new_key) != old_id
    # The old key can go: everything is readable with the new one alone.
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key]):
        response = download(client_for, personas.a, legacy_evidence[0])
        assert b"".join(response.streaming_content) == SECRET


def test_moves_plain_files_into_object_storage_encrypted(
    legacy_evidence, plain_media, s3_storage, s3_client, s3_bucket, personas, client_for
):
    assert "0 encrypted, 0 re-encrypted, 2 moved" in run("--from-root", str(plain_media))
    for evidence in legacy_evidence:
        raw = raw_object(s3_client, s3_bucket, evidence.file.name)
        assert raw.startswith(filecrypt.MAGIC) and b"Rosa" not in raw
    response = download(client_for, personas.a, legacy_evidence[1])
    assert b"".join(response.streaming_content) == SECRET + b" and a second page"
    assert "0 moved, 2 already encrypted" in run("--from-root", str(plain_media))


def test_a_file_that_is_not_what_the_database_recorded_is_reported_and_left(
    legacy_evidence, plain_media
):
    damaged = plain_media / legacy_evidence[0].file.name
    damaged.write_bytes(b"%PDF-1.4 something else")
    with pytest.raises(CommandError, match="1 files could not be encrypted"):
        run()
    assert damaged.read_bytes() == b"%PDF-1.4 something else"  # evidence left as found
    assert (plain_media / legacy_evidence[1].file.name).read_bytes().startswith(filecrypt.MAGIC)
