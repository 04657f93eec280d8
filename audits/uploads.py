"""Upload checks for evidence: size limit and the real type from the magic bytes."""

from django.conf import settings

from wsr.errors import DomainError

# (signature, offset, content type). The declared type and the file name are ignored:
# both are chosen by the uploader.
SIGNATURES = [
    (b"%PDF-", 0, "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"RIFF", 0, "image/webp"),  # confirmed by "WEBP" at offset 8 below
    (b"ftypheic", 4, "image/heic"),
    (b"ftypmif1", 4, "image/heic"),
    (b"ID3", 0, "audio/mpeg"),
    (b"\xff\xfb", 0, "audio/mpeg"),
    (b"OggS", 0, "audio/ogg"),
    (b"ftypM4A", 4, "audio/mp4"),
    (b"ftypisom", 4, "video/mp4"),
    (b"ftypmp42", 4, "video/mp4"),
]
ALLOWED_TYPES = sorted({t for _, _, t in SIGNATURES})


def sniff(data: bytes) -> str | None:
    for signature, offset, content_type in SIGNATURES:
        if data[offset : offset + len(signature)] == signature:
            if content_type == "image/webp" and data[8:12] != b"WEBP":
                continue
            return content_type
    return None


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
