"""Checking uploaded evidence by content, never by name or the client's content type."""

import hashlib
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# (offset, signature) → (content type, extension)
_SIGNATURES = [
    (0, b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (0, b"GIF87a", "image/gif", "gif"),
    (0, b"GIF89a", "image/gif", "gif"),
    (0, b"%PDF-", "application/pdf", "pdf"),
    (0, b"ID3", "audio/mpeg", "mp3"),
    (0, b"OggS", "audio/ogg", "ogg"),
    (0, b"#!AMR", "audio/amr", "amr"),
    (0, b"fLaC", "audio/flac", "flac"),
]
_FTYP_BRANDS = {
    b"M4A ": ("audio/mp4", "m4a"),
    b"isom": ("video/mp4", "mp4"),
    b"mp42": ("video/mp4", "mp4"),
    b"mp41": ("video/mp4", "mp4"),
    b"3gp4": ("audio/3gpp", "3gp"),
    b"3gp5": ("audio/3gpp", "3gp"),
    b"heic": ("image/heic", "heic"),
}
ALLOWED_DESCRIPTION = "images (JPEG, PNG, GIF, WebP, HEIC), PDF or audio (MP3, M4A, OGG, WAV, AMR)"


def sniff(head: bytes):
    """Return (content_type, extension) for an allowed format, else None."""
    for offset, sig, ctype, ext in _SIGNATURES:
        if head[offset : offset + len(sig)] == sig:
            return ctype, ext
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav", "wav"
    if head[4:8] == b"ftyp" and head[8:12] in _FTYP_BRANDS:
        return _FTYP_BRANDS[head[8:12]]
    # MPEG audio frame sync without an ID3 tag.
    if len(head) > 1 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0:
        return "audio/mpeg", "mp3"
    return None


def inspect_upload(upload):
    """Validate size and type of an uploaded file; return a dict for the Evidence row.

    Raises ValidationError (in the worker's language) for a file that is too large,
    empty, or not one of the allowed formats by content.
    """
    size = upload.size or 0
    limit = settings.MAX_UPLOAD_BYTES
    if size > limit:
        raise ValidationError(
            _("The file is too large (the limit is %(mb)s MB).") % {"mb": limit // (1024 * 1024)},
            code="file_too_large",
        )
    if size == 0:
        raise ValidationError(_("The file is empty."), code="file_empty")
    upload.seek(0)
    head = upload.read(32)
    kind = sniff(head)
    if kind is None:
        raise ValidationError(
            _("This type of file is not accepted. Send a photo, a PDF or an audio recording."),
            code="file_type",
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    content_type, ext = kind
    return {
        "content_type": content_type,
        "extension": ext,
        "size": size,
        "sha256": digest.hexdigest(),
        "name": f"{uuid.uuid4().hex}.{ext}",
    }
