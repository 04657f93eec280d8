"""Checking uploaded evidence by content, never by name or the client's content type."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.uploads import UploadRefused, check_upload
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
    try:
        checked = check_upload(upload, accepted=ACCEPTED_PREFIXES)
    except UploadRefused as exc:
        raise _refusal(exc) from exc
    return {
        "content_type": checked.content_type,
        "extension": checked.extension,
        "size": checked.size,
        "sha256": checked.sha256,
        "name": f"{uuid.uuid4().hex}.{checked.extension}",
    }


def _refusal(exc):
    """The kernel's refusal worded for the worker, in their language."""
    if exc.code == "too_large":
        limit = settings.MAX_UPLOAD_BYTES
        return ValidationError(
            _("The file is too large (the limit is %(mb)s MB).") % {"mb": limit // (1024 * 1024)},
            code="file_too_large",
        )
    if exc.code == "empty":
        return ValidationError(_("The file is empty."), code="file_empty")
    if exc.code == "too_many_pixels":
        return ValidationError(
            _("This photo is too large to check. Send a smaller copy of it (a screenshot works)."),
            code="file_too_large",
        )
    if exc.code == "unreadable":
        return ValidationError(
            _(
                "This photo could not be read, so the hidden details in it (such as where "
                "it was taken) could not be removed. Send it again, or send a screenshot "
                "of it."
            ),
            code="file_unreadable",
        )
    return ValidationError(
        _("This type of file is not accepted. Send a photo, a PDF or an audio recording."),
        code="file_type",
    )
