"""Forms of the buyer portal."""

from django import forms
from django.conf import settings

from .portal_notifications import DELIVERY_CHOICES

# The same allow-list enforcement's obligation_attest applies (it re-checks; this gives
# the officer the message next to the field, with the note they typed kept).
_SIGNATURES = (b"%PDF-", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"PK\x03\x04")
EVIDENCE_HELP = "PDF, image (PNG, JPEG), office document or CSV; at most {mb} MB."


def check_evidence(upload):
    """Size limit and type by content (magic bytes), never by name or declared type."""
    limit = settings.MAX_UPLOAD_BYTES
    if upload.size > limit:
        raise forms.ValidationError(f"The file is too large (limit {limit // (1024 * 1024)} MB).")
    if upload.size == 0:
        raise forms.ValidationError("The file is empty.")
    upload.seek(0)
    head = upload.read(4096)
    upload.seek(0)
    if any(head.startswith(sig) for sig in _SIGNATURES):
        return upload
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character cut at the 4096th byte is still text.
        try:
            head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                "This type of file is not accepted: send a PDF, an image, an office "
                "document or a CSV export."
            ) from None
    if b"\x00" in head:
        raise forms.ValidationError(
            "This type of file is not accepted: send a PDF, an image, an office document "
            "or a CSV export."
        )
    return upload


class AttestForm(forms.Form):
    note = forms.CharField(
        label="How was the obligation fulfilled?",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text="e.g. purchase orders 4411-4420 put on hold on 3 March; no new orders.",
    )
    evidence = forms.FileField(
        label="Evidence",
        required=False,
        help_text=EVIDENCE_HELP.format(mb=settings.MAX_UPLOAD_BYTES // (1024 * 1024)),
    )

    def clean_evidence(self):
        upload = self.cleaned_data.get("evidence")
        if upload:
            check_evidence(upload)
        return upload


class NotificationsForm(forms.Form):
    delivery = forms.ChoiceField(
        label="Deadline reminders", choices=DELIVERY_CHOICES, widget=forms.RadioSelect
    )
