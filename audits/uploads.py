"""Upload checks for evidence: size limit and the real type from the magic bytes."""

from django.conf import settings

from core.errors import DomainError
from core.uploads import UnreadableImage, strip_metadata
from core.uploads import sniff as wsr_sniff

# Audit evidence: photos, documents, recordings and video; no archives.
ACCEPTED_PREFIXES = ("image/", "audio/", "video/", "application/pdf")


def sniff(data: bytes) -> str | None:
    """The content type of an accepted format (read from the bytes), else None."""
    kind = wsr_sniff(data)
    if kind is None or not kind[0].startswith(ACCEPTED_PREFIXES):
        return None
    return kind[0]


def check_upload(upload):
    """Return (bytes, content type) or raise DomainError (too large, unknown type, a
    picture that cannot be read).

    The bytes returned are what gets stored and hashed: a photo comes back without its
    identifying metadata (GPS, phone make/model/serial, owner, time, thumbnail, XMP),
    a HEIC photo as a JPEG."""
    limit = settings.MAX_UPLOAD_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise DomainError(f"The file is larger than {limit // (1024 * 1024) or limit} MB.")
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise DomainError(f"The file is larger than {limit // (1024 * 1024) or limit} MB.")
    if not data:
        raise DomainError("The file is empty.")
    content_type = sniff(data)
    if content_type is None:
        raise DomainError("Only PDF, image, audio and video files are accepted as evidence.")
    try:
        stripped = strip_metadata(data, content_type)
    except UnreadableImage as exc:
        raise DomainError(exc.message) from exc
    if stripped.content_type != content_type and getattr(upload, "name", None):
        # A converted HEIC: the download's file name says what it now is.
        upload.name = f"{upload.name.rsplit('.', 1)[0]}.{stripped.extension}"
    return stripped.data, stripped.content_type
