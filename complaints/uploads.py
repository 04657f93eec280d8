"""Checking uploaded evidence by content, never by name or the client's content type."""

import hashlib
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.uploads import TOO_MANY_PIXELS, UnreadableImage, strip_upload
from core.uploads import sniff as wsr_sniff

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

    A photo's identifying metadata (GPS position, phone make/model/serial, owner, time,
    thumbnail, XMP, comments) is removed first, in place: the upload then holds the
    stripped bytes, and the size and sha256 returned are those of what will be stored.
    A HEIC photo comes back as a JPEG.

    Raises ValidationError (in the worker's language) for a file that is too large,
    empty, not one of the allowed formats by content, or a picture that cannot be read
    (it would otherwise be stored with its metadata).
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
    data = upload.read()
    kind = sniff(data[:32])
    if kind is None:
        raise ValidationError(
            _("This type of file is not accepted. Send a photo, a PDF or an audio recording."),
            code="file_type",
        )
    try:
        stripped = strip_upload(upload, data, kind[0])
    except UnreadableImage as exc:
        if exc.message == TOO_MANY_PIXELS:
            raise ValidationError(
                _(
                    "This photo is too large to check. Send a smaller copy of it (a "
                    "screenshot works)."
                ),
                code="file_too_large",
            ) from exc
        raise ValidationError(
            _(
                "This photo could not be read, so the hidden details in it (such as where "
                "it was taken) could not be removed. Send it again, or send a screenshot "
                "of it."
            ),
            code="file_unreadable",
        ) from exc
    upload.seek(0)
    return {
        "content_type": stripped.content_type,
        "extension": stripped.extension,
        "size": len(stripped.data),
        "sha256": hashlib.sha256(stripped.data).hexdigest(),
        "name": f"{uuid.uuid4().hex}.{stripped.extension}",
    }
