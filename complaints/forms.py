"""Forms of the complaint line (public, translated) and of the staff case file."""

import re

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from programs.models import Category, Facility, Provision, Severity
from programs.pickers import PickerWidget, facility_label, use_picker
from programs.selectors import current_provisions, facility_list

from . import crypto, selectors
from .models import STAFF_CHANNELS, CaseStatus, Interview, Outcome, Priority
from .uploads import inspect_upload

# Django's own messages have no Haitian Creole catalog: the public forms use ours.
REQUIRED = {"required": _("Please fill in this field.")}
CHOICE = {
    "required": _("Please choose one."),
    "invalid_choice": _("Please choose one of the options in the list."),
}


class UploadField(forms.FileField):
    """A file checked by content (magic bytes) and size; the result is kept for the
    service on ``self.inspected`` of the form."""

    default_error_messages = {
        "invalid": _("No file was sent. Check the form and try again."),
        "missing": _("No file was sent. Check the form and try again."),
        "empty": _("The file is empty."),
        "max_length": _("The file name is too long."),
        "contradiction": _("No file was sent. Check the form and try again."),
    }

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload:
            inspect_upload(upload)
        return upload


class AnonymityField(forms.TypedChoiceField):
    """Stay anonymous, or give a way to be reached: a choice of two radios (the contact
    fields show once the worker picks the second, static/js/ui.js). Coerced to a bool,
    True = anonymous. "on" and "" are the values of the checkbox it replaced (kept for
    pages and clients that still post them)."""

    widget = forms.RadioSelect
    OLD_VALUES = {"on": "yes", "true": "yes", "True": "yes", "": "no", "false": "no"}

    def __init__(self, **kwargs):
        kwargs.setdefault("coerce", lambda value: value == "yes")
        kwargs.setdefault("empty_value", False)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = "" if value is None else str(value)
        return self.OLD_VALUES.get(value, value)


class PublicComplaintForm(forms.Form):
    facility = forms.ModelChoiceField(
        queryset=Facility.objects.none(),
        required=False,
        label=_("Your workplace"),
        empty_label=_("My workplace is not in the list"),
        error_messages={"invalid_choice": _("Please choose a workplace from the list.")},
    )
    facility_description = forms.CharField(
        required=False,
        max_length=300,
        label=_("Or describe your workplace"),
        help_text=_("The farm or factory name, the employer, the town."),
    )
    category = forms.ChoiceField(label=_("What is it about?"), error_messages=CHOICE)
    narrative = forms.CharField(
        label=_("What happened?"),
        widget=forms.Textarea(attrs={"rows": 7}),
        max_length=20_000,
        help_text=_("Tell us in your own words. Do not worry about spelling."),
        error_messages={"required": _("Please tell us what happened.")},
    )
    occurred = forms.CharField(
        required=False,
        max_length=200,
        label=_("When did it happen?"),
        help_text=_("A date, or words like “last week” or “every day”."),
    )
    evidence = UploadField(
        required=False,
        label=_("A photo, document or voice recording (optional)"),
        help_text=_("Images, PDF or audio, up to 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf,audio/*"}),
    )
    stay_anonymous = AnonymityField(
        label=_("Do you want to tell us who you are?"),
        choices=[
            ("yes", _("No, I stay anonymous")),
            ("no", _("Yes, I give a way to reach me")),
        ],
        initial="yes",
        help_text=_("You do not have to. If you stay anonymous we will not ask who you are."),
        error_messages=CHOICE,
    )
    contact_name = forms.CharField(required=False, max_length=200, label=_("Your name"))
    contact_phone = forms.CharField(required=False, max_length=60, label=_("Phone or WhatsApp"))
    contact_email = forms.EmailField(
        required=False,
        label=_("E-mail"),
        error_messages={"invalid": _("Please enter a valid e-mail address.")},
    )
    contact_other = forms.CharField(
        required=False, max_length=300, label=_("A safe way or time to reach you")
    )

    CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email", "contact_other")
    # The form partial wraps these in a panel shown when stay_anonymous is "no".
    reveal = {
        "name": "stay_anonymous",
        "when": "no",
        "first": CONTACT_FIELDS[0],
        "last": CONTACT_FIELDS[-1],
    }

    # At most this many workplaces are listed: all of a small program's, or the matches
    # of the worker's search in a large one (never a select of 20,000 workplaces).
    LISTED = 50

    def __init__(self, *args, program, search="", **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_facility(program, search)
        # No category is picked for the worker (issue 17.4: the first one, "Forced labor
        # or debt", was preselected).
        self.fields["category"].choices = [
            ("", _("Choose one…")),
            *selectors.intake_categories(program=program),
        ]
        for name in ("narrative",):
            self.fields[name].error_messages.setdefault("max_length", _("This text is too long."))

    def setup_facility(self, program, search):
        """The field validates any active workplace of the program (one query on
        submit); the page lists only a short list. ``workplace_search`` says which:
        None when the program is small enough to list every workplace, else the
        worker's search text ("" before any search) and ``workplace_matches``."""
        field = self.fields["facility"]
        everything = selectors.intake_facilities(program=program)
        field.widget = PickerWidget(attrs={"class": "workplace-list"})
        field.queryset = everything
        field.label_from_instance = facility_label
        first = list(
            everything.select_related(None).only("pk", "name", "address")[: self.LISTED + 1]
        )
        search = (search or "").strip()[:100]
        self.workplace_search = None
        self.workplace_matches = None
        if len(first) <= self.LISTED:
            field.widget.listed = first
            return
        self.workplace_search = search
        if search:
            matches = selectors.intake_facility_search(program=program, text=search)
            matches = list(
                matches.select_related(None).only("pk", "name", "address")[: self.LISTED + 1]
            )
            self.workplace_matches = len(matches)
            field.widget.listed = matches[: self.LISTED]
            field.help_text = _(
                "Not in the list? Search again above with another name or the town, "
                "or describe your workplace below."
            )
        else:
            field.help_text = _("Search for your workplace above to choose it from a list.")

    def clean_narrative(self):
        value = self.cleaned_data["narrative"].strip()
        if not value:
            raise ValidationError(_("Please tell us what happened."))
        return value

    def clean(self):
        data = super().clean()
        missing = not data.get("facility") and not (data.get("facility_description") or "").strip()
        if missing and "facility" not in self.errors:
            self.add_error(
                "facility_description", _("Choose your workplace or describe where it is.")
            )
        typed = any((data.get(n) or "").strip() for n in self.CONTACT_FIELDS)
        if data.get("stay_anonymous") and typed:
            # Never drop what a worker typed without asking (issue 17.3): a WhatsApp
            # number typed under "stay anonymous" was silently lost.
            self.add_error(
                "stay_anonymous",
                _(
                    "You chose to stay anonymous but wrote a way to reach you. Choose "
                    "“Yes, I give a way to reach me” to send it, or clear it to stay "
                    "anonymous."
                ),
            )
        elif data.get("stay_anonymous"):
            for name in self.CONTACT_FIELDS:
                data[name] = ""
        elif not any((data.get(n) or "").strip() for n in self.CONTACT_FIELDS):
            self.add_error(
                "contact_name", _("Give at least one way to reach you, or stay anonymous.")
            )
        return data

    def identity(self):
        d = self.cleaned_data
        return {
            "name": d.get("contact_name", ""),
            "phone": d.get("contact_phone", ""),
            "email": d.get("contact_email", ""),
            "other": d.get("contact_other", ""),
        }


class StaffComplaintForm(PublicComplaintForm):
    """A complaint logged by staff from the hotline, in person, SMS or WhatsApp."""

    channel = forms.ChoiceField(choices=[(c.value, c.label) for c in STAFF_CHANNELS])
    language = forms.ChoiceField(choices=[])

    field_order = ["channel", "language"]

    def setup_facility(self, program, search):
        use_picker(
            self.fields["facility"],
            queryset=selectors.intake_facilities(program=program),
            program=program,
            kind="facilities",
        )
        self.workplace_search = None

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, program=program, **kwargs)
        from django.conf import settings

        self.fields["language"].choices = [(c, str(n)) for c, n in settings.LANGUAGES]
        self.fields["category"].choices = [("", _("Choose one…")), *Category.choices]


class ReceiptCodeForm(forms.Form):
    receipt_code = forms.CharField(
        max_length=40,
        label=_("Your receipt code"),
        help_text=_("The 16 digits you got when you sent your complaint."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"}
        ),
        error_messages={"required": _("Please enter your receipt code.")},
    )

    def clean_receipt_code(self):
        code = crypto.normalize_receipt_code(self.cleaned_data["receipt_code"])
        if code is None:
            raise ValidationError(
                _("A receipt code has 16 digits, like 1234 5678 9012 3456."), code="malformed"
            )
        return code


class WorkerReplyForm(ReceiptCodeForm):
    body = forms.CharField(
        label=_("Your message"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=10_000,
        error_messages={"required": _("Please write your message.")},
    )
    attachment = UploadField(
        required=False,
        label=_("Add a file (optional)"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf,audio/*"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The code travels with the reply (the worker typed it on the page before).
        self.fields["receipt_code"].widget = forms.HiddenInput()


# ---------------------------------------------------------------- staff case file


class TriageForm(forms.Form):
    category = forms.ChoiceField(choices=Category.choices)
    priority = forms.ChoiceField(
        choices=Priority.choices, help_text="Zero-tolerance provisions make a case urgent."
    )
    provisions = forms.ModelMultipleChoiceField(
        queryset=Provision.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    facility = forms.ModelChoiceField(queryset=Facility.objects.none(), required=False)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provisions"].queryset = current_provisions(program=program)
        use_picker(
            self.fields["facility"],
            queryset=facility_list(program=program),
            program=program,
            kind="facilities",
        )


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_username()


def _users(memberships):
    return get_user_model().objects.filter(pk__in=memberships.values("user_id"))


class AssignForm(forms.Form):
    investigator = MemberChoiceField(queryset=get_user_model().objects.none())
    # The identity grant follows this box on every path (API, this form, sharing).
    with_identity = forms.BooleanField(required=False, label="Also let them see the identity")

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["investigator"].queryset = _users(
            selectors.assignable_members(program=program)
        ).order_by("email")


class ShareForm(forms.Form):
    user = MemberChoiceField(queryset=get_user_model().objects.none(), label="Member")
    with_identity = forms.BooleanField(required=False, label="Also let them see the identity")

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = _users(
            selectors.shareable_members(program=program)
        ).order_by("email")


class TransitionForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (CaseStatus.INVESTIGATING, "Investigating (start or reopen)"),
            (CaseStatus.RESOLVED, "Resolved"),
            (CaseStatus.CLOSED, "Closed"),
        ]
    )
    outcome = forms.ChoiceField(choices=[("", "—"), *Outcome.choices], required=False)
    summary = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(
        required=False, label="Reason (to reopen)", widget=forms.Textarea(attrs={"rows": 2})
    )


class RetaliationForm(forms.Form):
    original_reference = forms.CharField(
        max_length=20, label="Original complaint (reference, e.g. C-2026-00012)"
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    body = forms.CharField(label="Internal note", widget=forms.Textarea(attrs={"rows": 3}))


class MessageForm(forms.Form):
    body = forms.CharField(label="Message to the worker", widget=forms.Textarea(attrs={"rows": 3}))
    attachment = UploadField(required=False)


class EvidenceForm(forms.Form):
    file = UploadField()
    description = forms.CharField(required=False, max_length=300)


class InterviewForm(forms.Form):
    kind = forms.ChoiceField(choices=Interview.Kind.choices, label="Interviewee")
    conducted_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    language = forms.CharField(required=False, max_length=10)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


class FindingForm(forms.Form):
    provision = forms.ModelChoiceField(queryset=Provision.objects.none())
    severity = forms.ChoiceField(
        choices=[("", "As the provision"), *Severity.choices], required=False
    )
    facility = forms.ModelChoiceField(queryset=Facility.objects.none(), required=False)
    facts = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provision"].queryset = current_provisions(program=program)
        use_picker(
            self.fields["facility"],
            queryset=facility_list(program=program),
            program=program,
            kind="facilities",
        )


class PolicyForm(forms.Form):
    """Clocks per priority and the identity retention period of the program."""

    identity_retention_days = forms.IntegerField(
        min_value=1, help_text="Days after closure before the complainant's identity is purged."
    )

    retaliation_checkin_days = forms.CharField(
        required=False,
        label="Retaliation check-ins",
        help_text=(
            "Days after closure on which a worker who filed by SMS or WhatsApp is asked "
            "whether they faced retaliation, e.g. 30, 90. Empty: none."
        ),
    )

    public_count_threshold = forms.IntegerField(
        min_value=1,
        max_value=50,
        label="Smallest count published",
        help_text=(
            "A month's or a workplace's number of complaints below this is published as "
            '"fewer than" it, so no worker can be identified. 1 publishes every count.'
        ),
    )

    def __init__(self, *args, policy, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["identity_retention_days"].initial = policy.identity_retention_days
        self.fields["public_count_threshold"].initial = policy.public_count_threshold
        self.fields["retaliation_checkin_days"].initial = ", ".join(
            str(d) for d in policy.retaliation_checkin_days or []
        )
        for priority, label in Priority.choices:
            clock = policy.clock_for(priority)
            for key, text in (
                ("ack_hours", "hours to acknowledge"),
                ("triage_hours", "hours to triage"),
                ("resolution_days", "days to resolve"),
            ):
                self.fields[f"{priority}__{key}"] = forms.IntegerField(
                    min_value=1, label=f"{label}: {text}", initial=clock[key]
                )

    def clean_retaliation_checkin_days(self):
        raw = self.cleaned_data.get("retaliation_checkin_days") or ""
        parts = [p for p in re.split(r"[,\s]+", raw) if p]
        if not all(p.isdigit() for p in parts):
            raise forms.ValidationError("Give whole numbers of days separated by commas.")
        return [int(p) for p in parts]

    def clocks(self):
        result = {}
        for name, value in self.cleaned_data.items():
            if "__" in name:
                priority, key = name.split("__", 1)
                result.setdefault(priority, {})[key] = value
        return result
