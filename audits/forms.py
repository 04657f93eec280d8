from django import forms
from django.contrib.auth import get_user_model

from core.roles import Role
from programs.models import Facility, Severity
from programs.pickers import use_picker
from programs.selectors import current_provisions

from .models import AuditType, CAPItemStatus

DATE = forms.DateInput(attrs={"type": "date"})


def _staff_users(program):
    return (
        get_user_model()
        .objects.filter(
            memberships__program=program,
            memberships__is_active=True,
            memberships__role__in=[Role.AUDITOR, Role.STAFF, Role.ADMIN],
        )
        .order_by("username")
    )


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class UserMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class AuditForm(forms.Form):
    facility = forms.ModelChoiceField(queryset=Facility.objects.none())
    audit_type = forms.ChoiceField(choices=AuditType.choices)
    scheduled_date = forms.DateField(widget=DATE)
    lead_auditor = UserChoiceField(queryset=None, required=False)
    team = UserMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        use_picker(
            self.fields["facility"],
            queryset=Facility.objects.filter(program=program),
            program=program,
            kind="facilities",
        )
        self.fields["lead_auditor"].queryset = _staff_users(program)
        self.fields["team"].queryset = _staff_users(program)


class AuditFieldworkForm(forms.Form):
    actual_start = forms.DateField(widget=DATE, required=False)
    actual_end = forms.DateField(widget=DATE, required=False)
    workforce_size = forms.IntegerField(min_value=0, required=False)
    workers_interviewed = forms.IntegerField(min_value=0)
    management_interviewed = forms.IntegerField(min_value=0)
    documents_reviewed = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple
    )
    coverage_justification = forms.CharField(widget=forms.Textarea, required=False)
    summary = forms.CharField(widget=forms.Textarea, required=False)

    def __init__(self, *args, checklist, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["documents_reviewed"].choices = [(d, d) for d in checklist]


class AuditTransitionForm(forms.Form):
    status = forms.CharField(widget=forms.HiddenInput)
    justification = forms.CharField(widget=forms.Textarea, required=False)


class TeamAddForm(forms.Form):
    user = UserChoiceField(queryset=None)
    lead = forms.BooleanField(required=False)

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = _staff_users(program)


class ProvisionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.number} {obj.title} ({obj.section})"


class FindingForm(forms.Form):
    provision = ProvisionChoiceField(queryset=None)
    severity = forms.ChoiceField(
        choices=[("", "As the provision says")] + list(Severity.choices), required=False
    )
    facts = forms.CharField(widget=forms.Textarea)
    violation_candidate = forms.BooleanField(required=False)

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provision"].queryset = current_provisions(program=program)


class EvidenceForm(forms.Form):
    file = forms.FileField()
    description = forms.CharField(max_length=300, required=False)


class CAPItemForm(forms.Form):
    facility = forms.ModelChoiceField(queryset=Facility.objects.none())
    observation = forms.CharField(widget=forms.Textarea)
    recommendation = forms.CharField(widget=forms.Textarea)
    deadline = forms.DateField(widget=DATE)
    responsible_party = forms.CharField(max_length=200)
    planned_completion_date = forms.DateField(widget=DATE, required=False)

    def __init__(self, *args, program, finding=None, facilities=None, **kwargs):
        super().__init__(*args, **kwargs)
        # ``facilities``: the ones this member may add items for (an auditor: those of
        # their audits); a choice list shows only what its user may use.
        use_picker(
            self.fields["facility"],
            queryset=facilities
            if facilities is not None
            else Facility.objects.filter(program=program),
            program=program,
            kind="facilities",
        )
        if finding is not None:
            del self.fields["facility"]


class CAPItemTransitionForm(forms.Form):
    status = forms.ChoiceField(choices=CAPItemStatus.choices)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Comment")


class EducationForm(forms.Form):
    facility = forms.ModelChoiceField(queryset=Facility.objects.none())
    date = forms.DateField(widget=DATE)
    language = forms.ChoiceField(
        choices=[("en", "English"), ("es", "Spanish"), ("ht", "Haitian Creole"), ("bn", "Bengali")]
    )
    educator = forms.CharField(max_length=200)
    attendance_count = forms.IntegerField(min_value=0)
    topics = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    materials = forms.CharField(widget=forms.Textarea, required=False)

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        use_picker(
            self.fields["facility"],
            queryset=Facility.objects.filter(program=program),
            program=program,
            kind="facilities",
        )
        sections = sorted(
            set(current_provisions(program=program).values_list("section", flat=True))
        )
        self.fields["topics"].choices = [(s, s) for s in sections]


class PolicyForm(forms.Form):
    min_interview_coverage = forms.DecimalField(min_value=0, max_value=1, decimal_places=3)
    document_checklist = forms.CharField(
        widget=forms.Textarea, help_text="One document per line.", required=False
    )
    escalation_policy = forms.CharField(
        widget=forms.Textarea,
        required=False,
        help_text="One rule per line: days overdue, stage (e.g. 30, 2).",
    )
    season_start_month = forms.IntegerField(min_value=1, max_value=12)

    def clean_document_checklist(self):
        text = self.cleaned_data["document_checklist"]
        return [line.strip() for line in text.splitlines() if line.strip()]

    def clean_escalation_policy(self):
        rows = []
        for line in self.cleaned_data["escalation_policy"].splitlines():
            if not line.strip():
                continue
            try:
                days, stage = (int(x) for x in line.split(","))
            except ValueError as exc:
                raise forms.ValidationError(f"Not 'days, stage': {line!r}") from exc
            rows.append({"days_overdue": days, "stage": stage})
        return rows
