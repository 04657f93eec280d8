"""Upload checks for evidence: size limit and the real type from the magic bytes."""

from django.conf import settings

from wsr.errors import DomainError
from wsr.uploads import sniff as wsr_sniff

# Audit evidence: photos, documents, recordings and video; no archives.
ACCEPTED_PREFIXES = ("image/", "audio/", "video/", "application/pdf")


def sniff(data: bytes) -> str | None:
    """The content type of an accepted format (read from the bytes), else None."""
    kind = wsr_sniff(data)
    if kind is None or not kind[0].startswith(ACCEPTED_PREFIXES):
        return None
    return kind[0]


def check_upload(upload):
    """Return (bytes, content type) or raise DomainError (too large, unknown type)."""
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
    return data, content_type
