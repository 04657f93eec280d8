"""Checking uploaded evidence by content, never by name or the client's content type."""

import hashlib
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from wsr.uploads import sniff as wsr_sniff

ALLOWED_DESCRIPTION = "images (JPEG, PNG, GIF, WebP, HEIC), PDF or audio (MP3, M4A, OGG, WAV, AMR)"


# What a worker may send: photos, documents and recordings; no archives.
ACCEPTED_PREFIXES = ("image/", "audio/", "video/", "application/pdf")


def sniff(head: bytes):
    """(content_type, extension) of an accepted format, else None."""
    kind = wsr_sniff(head)
    if kind is None or not kind[0].startswith(ACCEPTED_PREFIXES):
        return None
    return kind


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
