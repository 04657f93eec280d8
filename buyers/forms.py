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


# ---------------------------------------------------------------- purchase reports

DATE = forms.DateInput(attrs={"type": "date"})


class PurchaseReportForm(forms.Form):
    """One period's purchases from one supplier, and the premium paid for it if known.
    ``supplier`` names the membership (program and buyer) and the supplier in one
    choice, so an officer of two buyers picks both at once and cannot pick another
    buyer's. The import service checks everything again."""

    supplier = forms.ChoiceField(label="Supplier")
    period_start = forms.DateField(label="Period from", widget=DATE)
    period_end = forms.DateField(label="Period to", widget=DATE)
    volume = forms.DecimalField(label="Volume bought", min_value=0, decimal_places=3)
    unit = forms.CharField(
        label="Unit", max_length=20, help_text="The unit of your agreement's premium, e.g. lb."
    )
    amount_paid = forms.DecimalField(
        label="Premium paid for this period (optional)",
        required=False,
        min_value=0,
        decimal_places=2,
    )
    paid_on = forms.DateField(label="Paid on", required=False, widget=DATE)
    reference = forms.CharField(
        label="Payment reference (optional)", required=False, max_length=100
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supplier"].choices = [("", "Choose...")] + choices

    def clean(self):
        data = super().clean()
        if data.get("amount_paid") and not data.get("paid_on"):
            self.add_error("paid_on", "Say when the premium was paid.")
        return data


class PurchaseUploadForm(forms.Form):
    membership = forms.ChoiceField(label="For")
    kind = forms.ChoiceField(
        label="What the file holds",
        choices=[
            ("purchase_reports", "Purchase reports"),
            ("premium_payments", "Premium payments"),
        ],
    )
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, with a header row. Nothing is saved if any row has an error.",
    )

    def __init__(self, *args, memberships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["membership"].choices = [
            (str(m.pk), f"{m.buyer.name}, {m.program.name}") for m in memberships
        ]

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is too large.")
        return f
