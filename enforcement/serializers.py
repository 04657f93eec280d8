from rest_framework import serializers

from core.jsonshapes import JSONShapeValidator
from enforcement.models import (
    BuyerBreach,
    BuyerObligation,
    ConsequencePolicy,
    ConsequenceRule,
    EnforcementSettings,
    Sanction,
    StandingEvent,
    SupplierStanding,
    Violation,
)
from programs.models import Facility, Provision, Severity


class ProgramScopedMixin:
    """Related-object fields choose only among the request's program's rows."""

    scoped_fields = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        view = self.context.get("view")
        program = getattr(view, "program", None)
        for name, model in self.scoped_fields.items():
            if name in self.fields:
                qs = model.objects.filter(program=program) if program else model.objects.none()
                self.fields[name].queryset = qs


class ViolationSerializer(ProgramScopedMixin, serializers.ModelSerializer):
    scoped_fields = {"provision": Provision, "facility": Facility}
    provision = serializers.PrimaryKeyRelatedField(queryset=Provision.objects.none())
    facility = serializers.PrimaryKeyRelatedField(queryset=Facility.objects.none())
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    supplier_name = serializers.CharField(source="supplier.legal_name", read_only=True)
    provision_category = serializers.CharField(source="provision.category", read_only=True)

    class Meta:
        model = Violation
        fields = [
            "id",
            "supplier",
            "supplier_name",
            "facility",
            "provision",
            "provision_category",
            "severity",
            "source_kind",
            "source_ref",
            "summary",
            "state",
            "proposed_by_label",
            "confirmed_at",
            "dismissed_at",
            "dismissal_reason",
            "applied_at",
            "remediated_at",
            "remediation_note",
            "created_at",
        ]
        read_only_fields = [
            "id",
            "supplier",
            "source_kind",
            "state",
            "proposed_by_label",
            "confirmed_at",
            "dismissed_at",
            "dismissal_reason",
            "applied_at",
            "remediated_at",
            "remediation_note",
            "created_at",
        ]


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class RemediationNoteSerializer(serializers.Serializer):
    note = serializers.CharField()


class EmptySerializer(serializers.Serializer):
    pass


class SanctionSerializer(serializers.ModelSerializer):
    policy_number = serializers.IntegerField(source="policy.number", read_only=True)

    class Meta:
        model = Sanction
        fields = [
            "id",
            "violation",
            "supplier",
            "policy",
            "policy_number",
            "action",
            "cap_required",
            "repeat_count",
            "starts_on",
            "ends_on",
            "description",
            "rule_snapshot",
            "created_at",
        ]
        read_only_fields = fields


class BuyerObligationSerializer(serializers.ModelSerializer):
    buyer_name = serializers.CharField(source="buyer.name", read_only=True)
    supplier_name = serializers.CharField(source="supplier.legal_name", read_only=True)
    provision_category = serializers.CharField(
        source="violation.provision.category", read_only=True
    )
    has_evidence = serializers.SerializerMethodField()

    class Meta:
        model = BuyerObligation
        fields = [
            "id",
            "buyer",
            "buyer_name",
            "supplier",
            "supplier_name",
            "violation",
            "sanction",
            "provision_category",
            "kind",
            "required",
            "due_date",
            "state",
            "acknowledged_at",
            "attested_at",
            "attestation_note",
            "has_evidence",
            "evidence_sha256",
            "verified_at",
            "verification_note",
            "rejected_at",
            "rejection_reason",
            "overdue_at",
            "breached_at",
            "waived_at",
            "waiver_reason",
            "created_at",
        ]
        read_only_fields = fields

    def get_has_evidence(self, obj) -> bool:
        return bool(obj.evidence)


class StandingSerializer(serializers.ModelSerializer):
    supplier_name = serializers.CharField(source="supplier.legal_name", read_only=True)
    stage_label = serializers.CharField(read_only=True)

    class Meta:
        model = SupplierStanding
        fields = [
            "id",
            "supplier",
            "supplier_name",
            "standing",
            "stage",
            "stage_label",
            "suspended_since",
            "suspended_until",
            "terminated_on",
            "updated_at",
        ]
        read_only_fields = fields


class StandingEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = StandingEvent
        fields = [
            "id",
            "kind",
            "from_standing",
            "to_standing",
            "from_stage",
            "to_stage",
            "suspended_until",
            "reason",
            "source_kind",
            "source_ref",
            "actor_label",
            "created_at",
        ]
        read_only_fields = fields


class BreachSerializer(serializers.ModelSerializer):
    buyer_name = serializers.CharField(source="buyer.name", read_only=True)

    class Meta:
        model = BuyerBreach
        fields = [
            "id",
            "buyer",
            "buyer_name",
            "obligation",
            "agreement",
            "recorded_at",
            "description",
        ]
        read_only_fields = fields


class RuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConsequenceRule
        fields = [
            "id",
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
        read_only_fields = fields


class PolicySerializer(serializers.ModelSerializer):
    rules = RuleSerializer(many=True, read_only=True)

    class Meta:
        model = ConsequencePolicy
        fields = ["id", "number", "title", "status", "effective_date", "notes", "rules"]
        read_only_fields = fields


class RuleInputSerializer(serializers.ModelSerializer):
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
        # Uniqueness per (policy, severity, repeat_count) is "replace", done by the service.
        validators = []


class RatifySerializer(serializers.Serializer):
    effective_date = serializers.DateField(required=False)


class BindAgreementSerializer(serializers.Serializer):
    agreement = serializers.IntegerField()


class EnforcementSettingsSerializer(serializers.ModelSerializer):
    confirm_roles = serializers.ListField(
        child=serializers.ChoiceField(
            choices=["staff", "investigator", "auditor", "viewer", "admin"]
        ),
        required=False,
        validators=[JSONShapeValidator("confirm_roles")],
    )
    approval_stages = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=3),
        required=False,
        help_text="Escalation stages that CAP escalation only proposes (default [3]).",
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
