"""One upload check for the whole platform (issue 15: "three upload entry points"):
complaint evidence, audit evidence and a buyer's attestation evidence all go through
``core.uploads.check_upload`` and only word its refusals for their reader."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from audits import uploads as audit_uploads
from complaints import uploads as complaint_uploads
from core import uploads
from core.errors import DomainError
from enforcement.services import obligations
from tests.upload_metadata import assert_clean, phone_jpeg


def _file(data, name="x.bin"):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.mark.parametrize(
    "data,kwargs,code",
    [
        (b"", {}, "empty"),
        (b"%PDF-1.4 " + b"x" * 100, {"limit": 50}, "too_large"),
        (b"PK\x03\x04 an archive", {}, "type"),
        (b"plain, text\n1,2\n", {}, "type"),
        (b"  <svg onload=alert(1)>", {"plain_text": True}, "markup"),
        (b"\x00\x01\x02 binary", {"plain_text": True}, "type"),
        (b"\xff\xd8\xff\xe0 not really a jpeg", {}, "unreadable"),
    ],
)
def test_refusals_carry_a_code(data, kwargs, code):
    with pytest.raises(uploads.UploadRefused) as exc:
        uploads.check_upload(_file(data), accepted=("image/", "application/pdf"), **kwargs)
    assert exc.value.code == code


def test_accepted_files_come_back_stripped_with_their_hash():
    upload = _file(phone_jpeg(), "IMG_0001.JPG")
    checked = uploads.check_upload(upload, accepted=("image/",))
    assert checked.content_type == "image/jpeg" and checked.extension == "jpg"
    assert_clean(checked.data)
    assert upload.read() == checked.data  # stripped in place: what is stored is clean
    text = uploads.check_upload(_file(b"po,qty\n1,2\n"), accepted=(), plain_text=True)
    assert text.content_type == "text/plain" and text.size == len(b"po,qty\n1,2\n")


@pytest.mark.parametrize(
    "entry,refused",
    [
        (complaint_uploads.inspect_upload, ValidationError),
        (audit_uploads.check_upload, DomainError),
        (obligations.evidence_check, DomainError),
    ],
)
def test_every_entry_point_goes_through_the_kernel_check(entry, refused, monkeypatch):
    calls = []
    real = uploads.check_upload

    def spy(upload, **kwargs):
        calls.append(kwargs)
        return real(upload, **kwargs)

    module = __import__(entry.__module__, fromlist=["check_upload"])
    name = next(n for n, v in vars(module).items() if v is real)
    monkeypatch.setattr(module, name, spy)
    entry(_file(phone_jpeg(), "photo.jpg"))
    with pytest.raises(refused):
        entry(_file(b""))
    assert len(calls) == 2


def test_no_entry_point_sniffs_or_strips_on_its_own():
    """A fourth entry point written by hand would skip the size limit or the stripping."""
    import inspect

    for module in (complaint_uploads, audit_uploads, obligations):
        source = inspect.getsource(module)
        for private in ("strip_metadata(", "strip_upload(", "MAX_UPLOAD_BYTES:"):
            assert private not in source, (module.__name__, private)
