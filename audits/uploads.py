"""Upload checks for evidence: size limit and the real type from the magic bytes."""

from django.conf import settings

from core.errors import DomainError
from core.uploads import UploadRefused
from core.uploads import check_upload as core_check_upload
from core.uploads import sniff as wsr_sniff

# Audit evidence: photos, documents, recordings and video; no archives.
ACCEPTED_PREFIXES = ("image/", "audio/", "video/", "application/pdf")


def sniff(data: bytes) -> str | None:
    """The content type of an accepted format (read from the bytes), else None."""
    kind = wsr_sniff(data)
    if kind is None or not kind[0].startswith(ACCEPTED_PREFIXES):
        return None
    return kind[0]


REFUSALS = {
    "empty": "The file is empty.",
    "type": "Only PDF, image, audio and video files are accepted as evidence.",
}


def check_upload(upload):
    """Return (bytes, content type) or raise DomainError (too large, unknown type, a
    picture that cannot be read): the kernel's one upload check (core.uploads).

    The bytes returned are what gets stored and hashed: a photo comes back without its
    identifying metadata (GPS, phone make/model/serial, owner, time, thumbnail, XMP),
    a HEIC photo as a JPEG."""
    try:
        checked = core_check_upload(upload, accepted=ACCEPTED_PREFIXES)
    except UploadRefused as exc:
        if exc.code == "too_large":
            limit = settings.MAX_UPLOAD_BYTES
            raise DomainError(
                f"The file is larger than {limit // (1024 * 1024) or limit} MB."
            ) from exc
        raise DomainError(REFUSALS.get(exc.code, exc.message)) from exc
    return checked.data, checked.content_type
