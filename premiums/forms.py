"""Forms of the premium ledger."""

from django import forms
from django.conf import settings

from .models import ImportKind


class LedgerImportForm(forms.Form):
    kind = forms.ChoiceField(choices=ImportKind.choices)
    file = forms.FileField(
        help_text="CSV, UTF-8, with a header row. Nothing is imported if any row has an error."
    )

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is too large.")
        return f
