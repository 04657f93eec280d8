from django.contrib.auth import get_user_model
from rest_framework import serializers

from programs.models import Facility, Provision

from .models import (
    Audit,
    AuditStatus,
    CAPItem,
    CAPItemStatus,
    CorrectiveActionPlan,
    EducationSession,
    Finding,
    Report,
    ReportKind,
)


def _program(serializer):
    view = serializer.context.get("view")
    return getattr(view, "program", None)


class AuditSerializer(serializers.ModelSerializer):
    facility = serializers.PrimaryKeyRelatedField(queryset=Facility.objects.none())
    lead_auditor = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.none(), required=False, allow_null=True
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.none(), many=True, write_only=True, required=False
    )
    coverage = serializers.FloatField(read_only=True)
    finding_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Audit
        fields = [
            "id",
            "facility",
            "audit_type",
            "status",
            "scheduled_date",
            "actual_start",
            "actual_end",
            "lead_auditor",
            "team",
            "workforce_size",
            "workers_interviewed",
            "management_interviewed",
            "documents_reviewed",
            "coverage_justification",
            "summary",
            "coverage",
            "finding_count",
            "finalized_at",
            "created_at",
        ]
        read_only_fields = ["id", "status", "finalized_at", "created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        program = _program(self)
        if program is not None:
            self.fields["facility"].queryset = Facility.objects.filter(program=program)
            members = get_user_model().objects.filter(
                memberships__program=program, memberships__is_active=True
            )
            self.fields["lead_auditor"].queryset = members
            self.fields["team"].child_relation.queryset = members


class AuditTransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=AuditStatus.choices)
    justification = serializers.CharField(required=False, allow_blank=True)


class AuditFindingSerializer(serializers.ModelSerializer):
    audit = serializers.PrimaryKeyRelatedField(queryset=Audit.objects.none())
    provision = serializers.PrimaryKeyRelatedField(queryset=Provision.objects.none())
    severity = serializers.CharField(required=False, allow_blank=True)

    class Meta:
        model = Finding
        fields = [
            "id",
            "audit",
            "facility",
            "provision",
            "severity",
            "facts",
            "violation_candidate",
            "referral_status",
            "created_at",
        ]
        read_only_fields = ["id", "facility", "referral_status", "created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        view = self.context.get("view")
        program = _program(self)
        if program is not None:
            self.fields["audit"].queryset = view.visible_audits()
            self.fields["provision"].queryset = Provision.objects.filter(program=program)


class CAPSerializer(serializers.ModelSerializer):
    item_count = serializers.IntegerField(read_only=True)
    verified_count = serializers.IntegerField(read_only=True)
    overdue_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = CorrectiveActionPlan
        fields = ["id", "facility", "item_count", "verified_count", "overdue_count", "created_at"]
        read_only_fields = fields


class CAPItemSerializer(serializers.ModelSerializer):
    facility = serializers.PrimaryKeyRelatedField(queryset=Facility.objects.none(), required=False)
    finding = serializers.PrimaryKeyRelatedField(
        queryset=Finding.objects.none(), required=False, allow_null=True
    )

    class Meta:
        model = CAPItem
        fields = [
            "id",
            "cap",
            "facility",
            "finding",
            "source_kind",
            "source_ref",
            "observation",
            "recommendation",
            "deadline",
            "responsible_party",
            "planned_completion_date",
            "status",
            "created_at",
        ]
        read_only_fields = ["id", "cap", "status", "created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        view = self.context.get("view")
        program = _program(self)
        if program is not None:
            self.fields["facility"].queryset = Facility.objects.filter(program=program)
            self.fields["finding"].queryset = view.visible_findings()


class CAPItemTransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CAPItemStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class EducationSessionSerializer(serializers.ModelSerializer):
    facility = serializers.PrimaryKeyRelatedField(queryset=Facility.objects.none())

    class Meta:
        model = EducationSession
        fields = [
            "id",
            "facility",
            "date",
            "language",
            "educator",
            "attendance_count",
            "topics",
            "materials",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        program = _program(self)
        if program is not None:
            self.fields["facility"].queryset = Facility.objects.filter(program=program)


class AuditReportSerializer(serializers.ModelSerializer):
    audit = serializers.PrimaryKeyRelatedField(
        queryset=Audit.objects.none(), required=False, allow_null=True
    )
    kind = serializers.ChoiceField(choices=ReportKind.choices)

    class Meta:
        model = Report
        fields = [
            "id",
            "kind",
            "audit",
            "status",
            "sha256",
            "size",
            "error",
            "created_at",
            "finished_at",
        ]
        read_only_fields = ["id", "status", "sha256", "size", "error", "created_at", "finished_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        view = self.context.get("view")
        if _program(self) is not None:
            self.fields["audit"].queryset = view.visible_audits()


class CAPItemCommentSerializer(serializers.Serializer):
    body = serializers.CharField()


class EducationReachSerializer(serializers.Serializer):
    season = serializers.CharField()
    workers_reached = serializers.IntegerField()
    workforce = serializers.IntegerField()
    share = serializers.FloatField()


class ProgressPointSerializer(serializers.Serializer):
    date = serializers.DateField()
    rate = serializers.FloatField(allow_null=True)


class CAPProgressSerializer(serializers.Serializer):
    program = serializers.FloatField(allow_null=True)
    facilities = serializers.DictField(child=serializers.FloatField(allow_null=True))
    series = ProgressPointSerializer(many=True)
