"""Forms of the enforcement pages. They validate input; the services write."""

from django import forms

from core.roles import Role
from enforcement.models import ConsequenceRule, EnforcementSettings, Standing
from programs.models import Buyer, Facility, Provision, Severity, Supplier
from programs.pickers import use_picker


class ViolationProposeForm(forms.Form):
    provision = forms.ModelChoiceField(queryset=Provision.objects.none())
    facility = forms.ModelChoiceField(queryset=Facility.objects.none())
    severity = forms.ChoiceField(
        choices=[("", "The provision's severity"), *Severity.choices], required=False
    )
    source_ref = forms.CharField(
        max_length=100, label="Reference", help_text="e.g. the investigator's report number"
    )
    summary = forms.CharField(widget=forms.Textarea)

    def __init__(self, *args, program, provisions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provision"].queryset = provisions
        use_picker(
            self.fields["facility"],
            queryset=Facility.objects.filter(program=program),
            program=program,
            kind="facilities",
        )


class ConfirmForm(forms.Form):
    """Empty on purpose: a deliberate step before the ladder applies."""


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea, help_text="recorded in the audit log")


class VerifyForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
        label="Note (optional)",
        help_text="What was checked: kept with the verification in the audit log.",
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        label="Why the attestation is not accepted",
        help_text="The buyer's officers see this reason and can attest again.",
    )


class RemediateForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea, label="How it was remediated")


class ReinstateForm(forms.Form):
    to_standing = forms.ChoiceField(
        choices=[(Standing.GOOD, "Good standing"), (Standing.PROBATION, "Probation")]
    )
    reason = forms.CharField(widget=forms.Textarea)


class ProposalDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", "Approve"), ("decline", "Decline")], widget=forms.RadioSelect
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Kept in the supplier's record with the decision.",
    )


class SupplierFilterForm(forms.Form):
    supplier = forms.ModelChoiceField(queryset=Supplier.objects.none(), required=False)

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        use_picker(
            self.fields["supplier"],
            queryset=Supplier.objects.filter(program=program),
            program=program,
            kind="suppliers",
        )


class LedgerFilterForm(forms.Form):
    """The premium page's buyer and supplier filters: search pickers, not a select of
    every buyer and supplier of the program."""

    buyer = forms.ModelChoiceField(queryset=Buyer.objects.none(), required=False, empty_label="All")
    supplier = forms.ModelChoiceField(
        queryset=Supplier.objects.none(), required=False, empty_label="All"
    )

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


class RuleForm(forms.ModelForm):
    class Meta:
        model = ConsequenceRule
        fields = [
            "severity",
            "repeat_count",
            "window_days",
            "supplier_action",
            "cap_required",
            "suspension_days",
            "escalation_stage",
            "buyer_obligation",
            "obligation_days",
        ]

    def validate_unique(self):
        # Setting a rule for an existing (severity, repeat count) replaces it.
        pass

    def _post_clean(self):
        # The service validates the rule against its draft policy.
        pass


class PolicyRatifyForm(forms.Form):
    effective_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class EnforcementSettingsForm(forms.ModelForm):
    approval_stages = forms.TypedMultipleChoiceField(
        choices=[(1, "1 · Notice"), (2, "2 · Warning"), (3, "3 · Termination")],
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=(
            "Stages that CAP escalation only proposes: a member who may confirm violations "
            "approves or declines them."
        ),
    )
    confirm_roles = forms.MultipleChoiceField(
        choices=[(r, label) for r, label in Role.choices if r not in ("admin", "buyer_officer")],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Admins can always confirm; tick other roles that may too.",
    )

    class Meta:
        model = EnforcementSettings
        fields = [
            "confirm_roles",
            "premium_tolerance_percent",
            "premium_tolerance_amount",
            "breach_grace_days",
            "approval_stages",
        ]
