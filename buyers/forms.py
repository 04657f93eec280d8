"""Forms of the buyer portal."""

from django import forms
from django.conf import settings

from core.errors import DomainError
from enforcement.services.obligations import evidence_check

from .notifications import DELIVERY_CHOICES

EVIDENCE_HELP = "PDF, image (PNG, JPEG), office document or CSV; at most {mb} MB."


def check_evidence(upload):
    """Size limit and type by content, by the rule obligation_attest applies (it checks
    again; this puts the message next to the field and keeps the note the officer typed)."""
    try:
        evidence_check(upload)
    except DomainError as exc:
        raise forms.ValidationError(exc.message) from None
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
