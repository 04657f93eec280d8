from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework import serializers

from programs.models import Category, Facility, Provision, Severity

from . import crypto
from .models import (
    STAFF_CHANNELS,
    Case,
    Evidence,
    Finding,
    Interview,
    Message,
    Note,
    Outcome,
    Priority,
)
from .uploads import inspect_upload


def _program(serializer):
    view = serializer.context.get("view")
    return getattr(view, "program", None)


class UploadField(serializers.FileField):
    def to_internal_value(self, data):
        upload = super().to_internal_value(data)
        from django.core.exceptions import ValidationError

        try:
            inspect_upload(upload)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return upload


class CaseSerializer(serializers.ModelSerializer):
    """A case without the complainant's identity (that is a separate, audited call)."""

    ack_overdue = serializers.BooleanField(read_only=True, default=False)
    triage_overdue = serializers.BooleanField(read_only=True, default=False)
    resolution_overdue = serializers.BooleanField(read_only=True, default=False)
    facility_name = serializers.CharField(source="facility.name", read_only=True, default=None)
    assigned_to = serializers.SlugRelatedField(slug_field="username", read_only=True)
    has_identity = serializers.BooleanField(read_only=True)
    # "" until the case is resolved: the schema must say so (it listed the enum only).
    outcome = serializers.ChoiceField(choices=Outcome.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "reference",
            "channel",
            "status",
            "outcome",
            "outcome_summary",
            "category",
            "priority",
            "facility",
            "facility_name",
            "facility_description",
            "supplier",
            "narrative",
            "occurred",
            "language",
            "is_anonymous",
            "has_identity",
            "identity_purged_at",
            "is_retaliation",
            "retaliation_of",
            "assigned_to",
            "received_at",
            "acknowledged_at",
            "triaged_at",
            "resolved_at",
            "closed_at",
            "ack_due",
            "triage_due",
            "resolution_due",
            "ack_overdue",
            "triage_overdue",
            "resolution_overdue",
        ]
        read_only_fields = fields


class ComplaintIntakeSerializer(serializers.Serializer):
    """Fields of a new complaint (public or logged by staff)."""

    facility = serializers.PrimaryKeyRelatedField(
        queryset=Facility.objects.none(), required=False, allow_null=True
    )
    facility_description = serializers.CharField(
        required=False, allow_blank=True, max_length=300, default=""
    )
    category = serializers.ChoiceField(choices=Category.choices, default=Category.OTHER)
    narrative = serializers.CharField(max_length=20_000)
    occurred = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    language = serializers.ChoiceField(
        choices=[c for c, _ in settings.LANGUAGES], default=settings.LANGUAGE_CODE
    )
    stay_anonymous = serializers.BooleanField(default=True)
    contact_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    contact_phone = serializers.CharField(required=False, allow_blank=True, max_length=60)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    contact_other = serializers.CharField(required=False, allow_blank=True, max_length=300)
    evidence = UploadField(required=False, allow_null=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        program = _program(self)
        if program is not None:
            self.fields["facility"].queryset = Facility.objects.filter(program=program)

    def validate(self, attrs):
        if not attrs.get("facility") and not attrs.get("facility_description", "").strip():
            raise serializers.ValidationError(
                {"facility_description": "Choose a facility or describe the workplace."}
            )
        return attrs

    def identity(self):
        d = self.validated_data
        if d.get("stay_anonymous", True):
            return {}
        return {
            "name": d.get("contact_name", ""),
            "phone": d.get("contact_phone", ""),
            "email": d.get("contact_email", ""),
            "other": d.get("contact_other", ""),
        }


class StaffIntakeSerializer(ComplaintIntakeSerializer):
    channel = serializers.ChoiceField(choices=[(c.value, c.label) for c in STAFF_CHANNELS])


class ReceiptSerializer(serializers.Serializer):
    reference = serializers.CharField()
    receipt_code = serializers.CharField(help_text="16 digits in groups of 4; shown only once.")
    status = serializers.CharField()


class ReceiptCodeSerializer(serializers.Serializer):
    receipt_code = serializers.CharField(max_length=40)

    def validate_receipt_code(self, value):
        code = crypto.normalize_receipt_code(value)
        if code is None:
            raise serializers.ValidationError("A receipt code has 16 digits.")
        return code


class WorkerMessageSerializer(ReceiptCodeSerializer):
    body = serializers.CharField(max_length=10_000)
    attachment = UploadField(required=False, allow_null=True)


class PublicMessageSerializer(serializers.ModelSerializer):
    attachment_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Message
        fields = ["direction", "body", "created_at", "attachment_count"]


class PublicStatusSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField()
    status_text = serializers.CharField()
    outcome = serializers.CharField(allow_blank=True)
    outcome_text = serializers.CharField(allow_blank=True)
    messages = PublicMessageSerializer(many=True)


class TriageSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    provisions = serializers.PrimaryKeyRelatedField(
        queryset=Provision.objects.none(), many=True, required=False
    )
    facility = serializers.PrimaryKeyRelatedField(
        queryset=Facility.objects.none(), required=False, allow_null=True
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        program = _program(self)
        if program is not None:
            self.fields["provisions"].child_relation.queryset = Provision.objects.filter(
                program=program
            )
            self.fields["facility"].queryset = Facility.objects.filter(program=program)


class MemberSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.none())
    with_identity = serializers.BooleanField(default=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        program = _program(self)
        if program is not None:
            self.fields["user"].queryset = get_user_model().objects.filter(
                memberships__program=program, memberships__is_active=True
            )


class TransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["triaged", "investigating", "resolved", "closed"])
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False, allow_blank=True)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class RetaliationSerializer(serializers.Serializer):
    original = serializers.PrimaryKeyRelatedField(queryset=Case.objects.none())
    note = serializers.CharField(required=False, allow_blank=True, default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        program = _program(self)
        if program is not None:
            self.fields["original"].queryset = Case.objects.filter(program=program)


class IdentitySerializer(serializers.Serializer):
    name = serializers.CharField(required=False)
    phone = serializers.CharField(required=False)
    email = serializers.CharField(required=False)
    other = serializers.CharField(required=False)


class NoteSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Note
        fields = ["id", "case", "author", "body", "created_at"]
        read_only_fields = ["id", "case", "author", "created_at"]


class MessageSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    attachments = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    attachment = UploadField(write_only=True, required=False, allow_null=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "case",
            "direction",
            "author",
            "body",
            "created_at",
            "attachments",
            "attachment",
        ]
        read_only_fields = ["id", "case", "direction", "author", "created_at", "attachments"]


class EvidenceSerializer(serializers.ModelSerializer):
    file = UploadField(write_only=True)

    class Meta:
        model = Evidence
        fields = [
            "id",
            "case",
            "message",
            "content_type",
            "size",
            "sha256",
            "description",
            "from_worker",
            "created_at",
            "file",
        ]
        read_only_fields = [
            "id",
            "case",
            "message",
            "content_type",
            "size",
            "sha256",
            "from_worker",
            "created_at",
        ]


class InterviewSerializer(serializers.ModelSerializer):
    interviewer = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Interview
        fields = [
            "id",
            "case",
            "interviewer",
            "kind",
            "conducted_on",
            "language",
            "summary",
            "created_at",
        ]
        read_only_fields = ["id", "case", "interviewer", "created_at"]


class FindingSerializer(serializers.ModelSerializer):
    provision = serializers.PrimaryKeyRelatedField(queryset=Provision.objects.none())
    facility = serializers.PrimaryKeyRelatedField(
        queryset=Facility.objects.none(), required=False, allow_null=True
    )
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    case_reference = serializers.CharField(source="case.reference", read_only=True)

    class Meta:
        model = Finding
        fields = [
            "id",
            "case",
            "case_reference",
            "provision",
            "facility",
            "facts",
            "severity",
            "created_by",
            "created_at",
            "violation_id",
            "referred_at",
        ]
        read_only_fields = ["id", "case", "created_by", "created_at", "violation_id", "referred_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        program = _program(self)
        if program is not None:
            self.fields["provision"].queryset = Provision.objects.filter(program=program)
            self.fields["facility"].queryset = Facility.objects.filter(program=program)
