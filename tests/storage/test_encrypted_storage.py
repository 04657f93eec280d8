"""Stored files are ciphertext at rest, on the filesystem and in object storage, and the
access-checking download views still serve the plaintext."""

import io
import struct

import pytest
from cryptography.fernet import Fernet
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from complaints import services
from core import filecrypt, keyring
from core.roles import Role
from core.storage import EncryptedFileSystemStorage, EncryptedS3Storage
from tests.complaints.conftest import investigating

from .conftest import raw_object

pytestmark = pytest.mark.django_db
SECRET = b"%PDF-1.4 the foreman's name is Rosa Delgado"


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def add_evidence(world, content=SECRET):
    case = investigating(world)
    return services.evidence_add(
        actor=world.user(Role.INVESTIGATOR),
        case=case,
        upload=SimpleUploadedFile("p.pdf", content, content_type="application/pdf"),
    )


def download(client_for, world, evidence, role=Role.INVESTIGATOR):
    url = reverse("complaints:evidence_download", kwargs={"program": world.slug, "pk": evidence.pk})
    return client_for(world.user(role) if world else None).get(url)


def test_the_default_storage_encrypts_on_the_filesystem(personas, client_for, settings):
    world = personas.a
    assert isinstance(storages["default"], EncryptedFileSystemStorage)
    evidence = add_evidence(world)
    raw = (settings.MEDIA_ROOT / evidence.file.name).read_bytes()
    assert raw.startswith(filecrypt.MAGIC) and b"Rosa" not in raw and b"%PDF" not in raw
    assert filecrypt.header(raw) == keyring.current()[0]
    response = download(client_for, world, evidence)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == SECRET
    assert int(response["Content-Length"]) == len(SECRET)
    # The access check is the view's, as before.
    assert download(client_for, personas.b, evidence, Role.ADMIN).status_code == 404


def test_evidence_in_object_storage_is_ciphertext_and_downloads_decrypted(
    personas, client_for, s3_storage, s3_client, s3_bucket
):
    world = personas.a
    assert isinstance(storages["default"], EncryptedS3Storage)
    evidence = add_evidence(world)
    raw = raw_object(s3_client, s3_bucket, evidence.file.name)
    assert raw.startswith(filecrypt.MAGIC) and b"Rosa" not in raw
    response = download(client_for, world, evidence)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == SECRET
    assert download(client_for, world, evidence, Role.VIEWER).status_code == 404
    # Names never collide silently: a second file of the same name gets its own object.
    first = s3_storage.save("t/same.txt", ContentFile(b"one"))
    second = s3_storage.save("t/same.txt", ContentFile(b"two"))
    assert first != second and s3_storage.open(first).read() == b"one"


def test_a_missing_object_is_a_404_not_a_500(
    personas, client_for, s3_storage, s3_client, s3_bucket
):
    world = personas.a
    evidence = add_evidence(world)
    s3_client.delete_object(Bucket=s3_bucket, Key=evidence.file.name)
    assert download(client_for, world, evidence).status_code == 404


@pytest.mark.parametrize(
    "size",
    [0, 1, filecrypt.CHUNK - 1, filecrypt.CHUNK, filecrypt.CHUNK + 1, 2 * filecrypt.CHUNK + 5],
)
def test_round_trip_at_chunk_boundaries(size):
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    cipher, plain = io.BytesIO(), io.BytesIO()
    filecrypt.encrypt_stream(io.BytesIO(data), cipher)
    cipher.seek(0)
    filecrypt.decrypt_stream(cipher, plain)
    assert plain.getvalue() == data


def _chunks(blob):
    start = len(filecrypt.MAGIC) + 1 + blob[len(filecrypt.MAGIC)]
    head, rest, chunks = blob[:start], blob[start:], []
    while rest:
        (length,) = struct.unpack(">I", rest[:4])
        chunks.append(rest[: 4 + length])
        rest = rest[4 + length :]
    return head, chunks


def test_damage_is_detected_never_served():
    data = b"x" * (2 * filecrypt.CHUNK + 10)
    cipher = io.BytesIO()
    filecrypt.encrypt_stream(io.BytesIO(data), cipher)
    blob = cipher.getvalue()
    head, chunks = _chunks(blob)
    assert len(chunks) == 3
    flipped = bytearray(blob)
    flipped[len(head) + 40] ^= 1
    damaged = {
        "a flipped byte": bytes(flipped),
        "the last chunk cut off": head + b"".join(chunks[:2]),
        "two chunks swapped": head + chunks[1] + chunks[0] + chunks[2],
        "bytes appended": blob + b"more",
    }
    for why, blob in damaged.items():
        with pytest.raises(filecrypt.FileDecryptionError):
            filecrypt.decrypt_stream(io.BytesIO(blob), io.BytesIO())
            pytest.fail(why)


def test_a_rotated_key_still_reads_old_files_and_the_id_names_the_key(settings):
    storage = EncryptedFileSystemStorage(location=settings.MEDIA_ROOT)
    old_id = keyring.current()[0]
    name = storage.save("k/old.txt", ContentFile(b"under the old key"))
    new_key = Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, *settings.FIELD_ENCRYPTION_KEYS]):
        assert keyring.current()[0] == keyring.key_id(new_key) != old_id
        assert storage.key_id(name) == old_id
        assert storage.open(name).read() == b"under the old key"
        fresh = storage.save("k/new.txt", ContentFile(b"under the new key"))
        assert storage.key_id(fresh) == keyring.key_id(new_key)
    # Without the new key, its file cannot be read: an error, never wrong content.
    with pytest.raises(filecrypt.FileDecryptionError, match="not among the configured keys"):
        storage.open(fresh)


def test_a_file_stored_before_encryption_is_still_served(personas, client_for, settings):
    world = personas.a
    evidence = add_evidence(world)
    path = settings.MEDIA_ROOT / evidence.file.name
    path.write_bytes(SECRET)  # as the platform stored it before this change
    response = download(client_for, world, evidence)
    assert b"".join(response.streaming_content) == SECRET


def test_ensure_bucket_creates_the_bucket_once(s3_storage, s3_client, s3_bucket):
    from io import StringIO

    from django.core.management import call_command

    s3_client.delete_bucket(Bucket=s3_bucket)
    out = StringIO()
    call_command("ensure_bucket", stdout=out)
    call_command("ensure_bucket", stdout=out)
    assert out.getvalue().splitlines() == [
        f"Created bucket {s3_bucket}.",
        f"Bucket {s3_bucket} is there.",
    ]
    assert s3_client.head_bucket(Bucket=s3_bucket)


def test_every_file_field_goes_through_the_encrypted_storage():
    """All private files, not only complaint evidence: a FileField with a storage of its
    own would bypass encryption, backups and the restore check."""
    from django.core.files.storage import default_storage

    from config.settings import base
    from core import stored_files

    fields = {f"{m._meta.label}.{f.name}": (m, f) for m, f in stored_files.file_fields()}
    assert set(fields) >= {
        "complaints.Evidence.file",
        "audits.EvidenceFile.file",
        "audits.Report.file",
        "programs.Agreement.document",
        "enforcement.BuyerObligation.evidence",
        "wsr.ExportJob.file",
    }
    for label, (_model, field) in fields.items():
        assert field.storage is default_storage, label
    assert storages["default"].encrypted
    for kind in ("filesystem", "s3"):
        backend = base.file_storage(kind)["BACKEND"]
        assert backend.startswith("core.storage.Encrypted"), kind
    # Restore checks content against the checksum each model records.
    assert stored_files.checksum_field(*fields["complaints.Evidence.file"]) == "sha256"
    assert stored_files.checksum_field(*fields["programs.Agreement.document"]) == (
        "document_sha256"
    )
