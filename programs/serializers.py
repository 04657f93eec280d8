"""API serializers: they validate input and shape output; writes go through services
(the viewsets' perform_* methods), never ``serializer.save()`` on domain state."""

from rest_framework import serializers

from core.jsonshapes import JSONShapeValidator
from core.roles import Role

from .models import (
    Agreement,
    Buyer,
    Code,
    CodeVersion,
    Facility,
    Membership,
    Provision,
    Signatory,
    SourcingRelationship,
    Supplier,
)


class ProgramScopedMixin:
    """Restricts the named related fields to the program in the URL."""

    scoped_fields = {}  # field name -> model

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        view = self.context.get("view")
        program = getattr(view, "program", None)
        for name, model in self.scoped_fields.items():
            if name in self.fields and program is not None:
                self.fields[name].queryset = model.objects.filter(program=program)


class SupplierSerializer(serializers.ModelSerializer):
    facility_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Supplier
        fields = ["id", "legal_name", "country", "facility_count", "created_at"]
        read_only_fields = ["id", "created_at"]


class FacilitySerializer(ProgramScopedMixin, serializers.ModelSerializer):
    supplier = serializers.PrimaryKeyRelatedField(queryset=Supplier.objects.none())
    scoped_fields = {"supplier": Supplier}

    class Meta:
        model = Facility
        fields = [
            "id",
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
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]


class BuyerSerializer(serializers.ModelSerializer):
    active_agreement_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Buyer
        fields = [
            "id",
            "name",
            "headquarters_country",
            "website",
            "active_agreement_count",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]


class SourcingSerializer(ProgramScopedMixin, serializers.ModelSerializer):
    buyer = serializers.PrimaryKeyRelatedField(queryset=Buyer.objects.none())
    supplier = serializers.PrimaryKeyRelatedField(queryset=Supplier.objects.none())
    scoped_fields = {"buyer": Buyer, "supplier": Supplier}

    class Meta:
        model = SourcingRelationship
        fields = ["id", "buyer", "supplier", "since", "until"]
        read_only_fields = ["id"]


class SourcingEndSerializer(serializers.Serializer):
    until = serializers.DateField()


class SignatorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Signatory
        fields = ["id", "party", "name", "title", "signed_on"]
        read_only_fields = ["id"]


class AgreementSerializer(ProgramScopedMixin, serializers.ModelSerializer):
    buyer = serializers.PrimaryKeyRelatedField(queryset=Buyer.objects.none())
    scoped_fields = {"buyer": Buyer}
    document = serializers.FileField(
        write_only=True,
        required=False,
        help_text="the signed agreement as a PDF (multipart upload; drafts only)",
    )
    has_document = serializers.SerializerMethodField()
    signatories = SignatorySerializer(many=True, read_only=True)

    class Meta:
        model = Agreement
        fields = [
            "id",
            "buyer",
            "title",
            "status",
            "signed_date",
            "effective_from",
            "effective_to",
            "premium_rate",
            "premium_currency",
            "premium_unit",
            "consequence_clause",
            "document",
            "has_document",
            "document_sha256",
            "signatories",
            "created_at",
        ]
        read_only_fields = ["id", "status", "document_sha256", "created_at"]

    def get_has_document(self, obj) -> bool:
        return bool(obj.document)

    def validate_buyer(self, buyer):
        if self.instance is not None and buyer.pk != self.instance.buyer_id:
            raise serializers.ValidationError("The buyer of an agreement cannot change.")
        return buyer


class AgreementTerminateSerializer(serializers.Serializer):
    reason = serializers.CharField()


class AgreementShareSerializer(serializers.Serializer):
    user = serializers.IntegerField(help_text="id of a member of this program")


class CodeSerializer(serializers.ModelSerializer):
    version_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Code
        fields = ["id", "name", "description", "version_count"]
        read_only_fields = ["id"]


class CodeVersionSerializer(serializers.ModelSerializer):
    ratified_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = CodeVersion
        fields = [
            "id",
            "code",
            "number",
            "status",
            "effective_date",
            "notes",
            "ratified_by",
            "ratified_at",
            "created_at",
        ]
        read_only_fields = fields


class CodeVersionRatifySerializer(serializers.Serializer):
    effective_date = serializers.DateField()


class ProvisionSerializer(ProgramScopedMixin, serializers.ModelSerializer):
    version = serializers.PrimaryKeyRelatedField(queryset=CodeVersion.objects.none())
    scoped_fields = {"version": CodeVersion}
    # {"es": {"title": "...", "text": "..."}}: typed, and checked by core.jsonshapes.
    translations = serializers.DictField(
        child=serializers.DictField(child=serializers.CharField(allow_blank=True)),
        required=False,
        validators=[JSONShapeValidator("translations")],
    )

    class Meta:
        model = Provision
        fields = [
            "id",
            "version",
            "number",
            "section",
            "title",
            "text",
            "category",
            "severity",
            "translations",
        ]
        read_only_fields = ["id"]

    def validate_version(self, version):
        if self.instance is not None and version.pk != self.instance.version_id:
            raise serializers.ValidationError("A provision cannot move to another version.")
        return version


class MembershipSerializer(ProgramScopedMixin, serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    buyer = serializers.PrimaryKeyRelatedField(
        queryset=Buyer.objects.none(), required=False, allow_null=True
    )
    scoped_fields = {"buyer": Buyer}

    class Meta:
        model = Membership
        fields = ["id", "user", "username", "email", "role", "buyer", "is_active", "created_at"]
        read_only_fields = ["id", "user", "created_at"]
        # The model's check constraint (buyer iff officer) is the service's to explain.
        validators = []


class InviteSerializer(ProgramScopedMixin, serializers.Serializer):
    # The account's username is the address: at most User.username's 150 characters
    # (a longer one reached the database as a 500).
    email = serializers.EmailField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)
    buyer = serializers.PrimaryKeyRelatedField(
        queryset=Buyer.objects.none(), required=False, allow_null=True
    )
    first_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=150)
    last_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=150)
    scoped_fields = {"buyer": Buyer}
