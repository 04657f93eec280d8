from django.contrib.auth import get_user_model
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.jsonshapes import JSONShapeValidator
from programs.models import Facility, Provision

from .models import (
    Audit,
    AuditStatus,
    CAPItem,
    CAPItemStatus,
    CorrectiveActionPlan,
    EducationSession,
    EvidenceFile,
    Finding,
    Report,
    ReportKind,
)


def _program(serializer):
    view = serializer.context.get("view")
    return getattr(view, "program", None)


class AuditSerializer(serializers.ModelSerializer):
    facility = serializers.PrimaryKeyRelatedField(queryset=Facility.objects.none())
    # Typed, not any JSON: one bad value broke the audit page (core.jsonshapes).
    documents_reviewed = serializers.ListField(
        child=serializers.CharField(max_length=200),
        max_length=100,
        required=False,
        validators=[JSONShapeValidator("documents_reviewed")],
    )
    lead_auditor = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.none(), required=False, allow_null=True
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.none(), many=True, write_only=True, required=False
    )
    # None while the workforce on the day is unknown: nullable in the schema too.
    coverage = serializers.FloatField(read_only=True, allow_null=True)
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
    topics = serializers.ListField(
        child=serializers.CharField(max_length=200),
        max_length=100,
        required=False,
        validators=[JSONShapeValidator("topics")],
    )

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
    count = serializers.IntegerField(help_text="Facilities with a CAP (matching `facility`).")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    program = serializers.FloatField(allow_null=True)
    facilities = serializers.DictField(child=serializers.FloatField(allow_null=True))
    series = ProgressPointSerializer(many=True)


class AuditEvidenceSerializer(serializers.ModelSerializer):
    """An evidence record. The file itself is never a media URL: ``download_url`` is the
    workspace's access-checked download (the same visibility check as the HTML side)."""

    uploaded_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = EvidenceFile
        fields = [
            "id",
            "finding",
            "cap_item",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "description",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, obj):
        path = reverse(
            "audits:evidence_download", kwargs={"program": _program(self).slug, "pk": obj.pk}
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class AuditEvidenceUploadSerializer(serializers.Serializer):
    """The multipart body of an upload. Size, real type (magic bytes) and photo
    metadata stripping are the service's check (audits.uploads.check_upload)."""

    file = serializers.FileField(
        help_text="PDF, image, audio or video; checked by content, size limited. Photos "
        "are stored without their metadata (GPS, device, time), HEIC as JPEG."
    )
    description = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )
