"""Forms of the staff workspace. They validate input; the services do the writing."""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from core.roles import Role
from programs.pickers import use_picker

from .models import (
    Agreement,
    Buyer,
    Code,
    Facility,
    Membership,
    Provision,
    Signatory,
    SourcingRelationship,
    Supplier,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SupplierForm(forms.ModelForm):
    class Meta:
        model = Supplier
        fields = ["legal_name", "country"]


class FacilityForm(forms.ModelForm):
    class Meta:
        model = Facility
        fields = [
            "supplier",
            "name",
            "address",
            "country",
            "latitude",
            "longitude",
            "worker_count",
            "os_id",
            "status",
            "status_date",
            "storeys",
            "shared_building",
            "product_type",
            "worker_count_band",
        ]
        widgets = {"status_date": DATE}

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        # Only this program's suppliers can be chosen.
        use_picker(
            self.fields["supplier"],
            queryset=Supplier.objects.filter(program=program),
            program=program,
            kind="suppliers",
        )


class BuyerForm(forms.ModelForm):
    class Meta:
        model = Buyer
        fields = ["name", "headquarters_country", "website"]


class SourcingForm(forms.ModelForm):
    class Meta:
        model = SourcingRelationship
        fields = ["buyer", "supplier", "since", "until"]
        widgets = {"since": DATE, "until": DATE}

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        use_picker(
            self.fields["buyer"],
            queryset=Buyer.objects.filter(program=program),
            program=program,
            kind="buyers",
        )
        use_picker(
            self.fields["supplier"],
            queryset=Supplier.objects.filter(program=program),
            program=program,
            kind="suppliers",
        )


class SourcingEndForm(forms.Form):
    until = forms.DateField(widget=DATE, help_text="the last day the buyer sourced")


def _check_pdf_size(document):
    if document and document.size > settings.MAX_UPLOAD_BYTES:
        limit = settings.MAX_UPLOAD_BYTES // (1024 * 1024)
        raise forms.ValidationError(f"The file is too large (limit {limit} MB).")
    return document


class AgreementForm(forms.ModelForm):
    # Not the model field: the service checks the file (PDF magic bytes, size) and stores it.
    document = forms.FileField(
        required=False,
        label="Signed agreement (PDF)",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )

    class Meta:
        model = Agreement
        fields = [
            "buyer",
            "title",
            "signed_date",
            "effective_from",
            "effective_to",
            "premium_rate",
            "premium_currency",
            "premium_unit",
            "consequence_clause",
        ]
        widgets = {"signed_date": DATE, "effective_from": DATE, "effective_to": DATE}

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        use_picker(
            self.fields["buyer"],
            queryset=Buyer.objects.filter(program=program),
            program=program,
            kind="buyers",
        )
        if self.instance.pk:
            # The buyer of an existing agreement is part of its identity.
            self.fields["buyer"].disabled = True

    def clean_document(self):
        return _check_pdf_size(self.cleaned_data.get("document"))


class AgreementActivateForm(forms.Form):
    """Empty on purpose: a confirmation step before an agreement becomes binding."""


class AgreementTerminateForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea, help_text="recorded in the audit log and shown on the agreement"
    )


class SignatoryForm(forms.ModelForm):
    class Meta:
        model = Signatory
        fields = ["party", "name", "title", "signed_on"]
        widgets = {"signed_on": DATE}


class ShareForm(forms.Form):
    user = forms.ModelChoiceField(queryset=get_user_model().objects.none(), label="Member")

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = get_user_model().objects.filter(
            pk__in=candidates.values("user_id")
        )
        labels = {
            m.user_id: f"{m.user.get_username()} ({m.get_role_display()})" for m in candidates
        }
        self.fields["user"].label_from_instance = lambda u: labels.get(u.pk, u.get_username())


class CodeForm(forms.ModelForm):
    class Meta:
        model = Code
        fields = ["name", "description"]


# The parts of a provision that are translated, with their limits (core/jsonshapes.py).
TRANSLATED_PARTS = (("section", 120), ("title", 200), ("text", 20000))


class ProvisionForm(forms.ModelForm):
    """A provision, with one field per translated part and per language of the program
    (instead of a JSON box): stored as ``translations`` {lang: {section, title, text}},
    the shape the public pages read. The base fields hold the program's default language
    (English); a language left empty falls back to it."""

    class Meta:
        model = Provision
        fields = ["number", "section", "title", "text", "category", "severity"]

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        names = dict(settings.LANGUAGES)
        existing = (self.instance.translations or {}) if self.instance.pk else {}
        self.languages = [
            code for code in program.languages if code != settings.LANGUAGE_CODE and code in names
        ]
        # Translations in a language the program no longer lists are kept as they are.
        self._kept = {lang: v for lang, v in existing.items() if lang not in self.languages}
        for lang in self.languages:
            language = names[lang]
            for part, max_length in TRANSLATED_PARTS:
                label = {
                    "section": _("Section in %(language)s"),
                    "title": _("Title in %(language)s"),
                    "text": _("Text in %(language)s"),
                }[part] % {"language": language}
                self.fields[f"{part}_{lang}"] = forms.CharField(
                    label=label,
                    required=False,
                    max_length=max_length,
                    widget=forms.Textarea(attrs={"rows": 4, "lang": lang})
                    if part == "text"
                    else forms.TextInput(attrs={"lang": lang}),
                    initial=existing.get(lang, {}).get(part, ""),
                )

    def _language_fields(self):
        return {f"{part}_{lang}" for lang in self.languages for part, _max in TRANSLATED_PARTS}

    def clean(self):
        data = super().clean()
        names = dict(settings.LANGUAGES)
        translations = dict(self._kept)
        for lang in self.languages:
            given = {
                part: (data.pop(f"{part}_{lang}", "") or "").strip()
                for part, _max in TRANSLATED_PARTS
            }
            given = {part: value for part, value in given.items() if value}
            if not given:
                continue
            # A translated title without its text (or the reverse) would show a reader
            # half a provision in their language and half in English.
            missing = {
                "title": _("Give the title in %(language)s too, or leave %(language)s empty."),
                "text": _("Give the text in %(language)s too, or leave %(language)s empty."),
            }
            for part, message in missing.items():
                if part not in given:
                    self.add_error(f"{part}_{lang}", message % {"language": names[lang]})
            translations[lang] = given
        data["translations"] = translations
        return data

    @property
    def changed_data(self):
        # The per-language fields are one model field, ``translations``.
        changed = super().changed_data
        language_fields = self._language_fields()
        names = [name for name in changed if name not in language_fields]
        if len(names) != len(changed):
            names.append("translations")
        return names


class RatifyForm(forms.Form):
    effective_date = forms.DateField(widget=DATE)


class InviteForm(forms.Form):
    # The address is the account's username: at most 150 characters, like the names.
    email = forms.EmailField(max_length=150)
    first_name = forms.CharField(required=False, max_length=150)
    last_name = forms.CharField(required=False, max_length=150)
    # No default: a preselected role (it used to be the first, admin) is the one an
    # inviter who does not look gives away. The inviter chooses, every time.
    role = forms.ChoiceField(
        choices=[("", _("Choose a role…"))] + list(Role.choices),
        help_text=_(
            "Viewer: reads only. Staff: runs cases and records. Admin: everything, "
            "including members. A buyer compliance officer works for one buyer."
        ),
    )
    buyer = forms.ModelChoiceField(
        queryset=Buyer.objects.none(),
        required=False,
        help_text="required for a buyer compliance officer, ignored otherwise",
    )

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        use_picker(
            self.fields["buyer"],
            queryset=Buyer.objects.filter(program=program),
            program=program,
            kind="buyers",
        )

    def clean(self):
        data = super().clean()
        if data.get("role") == Role.BUYER_OFFICER and not data.get("buyer"):
            self.add_error("buyer", "Choose the buyer this officer works for.")
        return data


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["role", "buyer", "is_active"]

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        use_picker(
            self.fields["buyer"],
            queryset=Buyer.objects.filter(program=program),
            program=program,
            kind="buyers",
        )

    def _post_clean(self):
        # The service validates role/buyer consistency (and keeps the last admin); the
        # model's check constraint would otherwise fire here on the unsaved instance.
        pass
