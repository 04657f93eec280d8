"""Serializers of the buyer portal API (/api/v1/buyer/). Read-only views of the officer's
own buyer's records; of a violation only what the obligation states (supplier and the
provision's category)."""

from rest_framework import serializers

from .forms import check_evidence


class PortalSupplierSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="supplier_id")
    legal_name = serializers.CharField(source="supplier.legal_name")
    country = serializers.CharField(source="supplier.country")


class PortalObligationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    program = serializers.SlugField(source="program.slug")
    program_name = serializers.CharField(source="program.name")
    buyer = serializers.CharField(source="buyer.name")
    supplier = PortalSupplierSerializer(source="*")
    provision_category = serializers.CharField(source="violation.provision.category")
    provision_category_display = serializers.CharField(
        source="violation.provision.get_category_display"
    )
    kind = serializers.CharField()
    required = serializers.CharField()
    due_date = serializers.DateField()
    state = serializers.CharField()
    is_overdue = serializers.BooleanField()
    supplier_sanction = serializers.CharField(source="sanction.action")
    sanction_ends_on = serializers.DateField(source="sanction.ends_on", allow_null=True)
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    attested_at = serializers.DateTimeField(allow_null=True)
    attestation_note = serializers.CharField()
    evidence_sha256 = serializers.CharField()
    # The worker organization's check of the attestation (issue 17, defect 6).
    verified_at = serializers.DateTimeField(allow_null=True)
    rejected_at = serializers.DateTimeField(allow_null=True)
    rejection_reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class PortalAttestSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000)
    evidence = serializers.FileField(required=False, allow_null=True)

    def validate_evidence(self, upload):
        if upload:
            from django import forms

            try:
                check_evidence(upload)
            except forms.ValidationError as exc:
                raise serializers.ValidationError(exc.messages) from exc
        return upload


class PortalDoNotSourceSerializer(serializers.Serializer):
    program = serializers.SlugField(source="program.slug")
    supplier_id = serializers.IntegerField()
    supplier = serializers.CharField(source="supplier.legal_name")
    country = serializers.CharField(source="supplier.country")
    standing = serializers.CharField()
    suspended_since = serializers.DateField(allow_null=True)
    suspended_until = serializers.DateField(allow_null=True)
    terminated_on = serializers.DateField(allow_null=True)
    escalation_stage = serializers.IntegerField(source="stage")
    sourced_by_you = serializers.BooleanField(
        help_text="one of your buyers still has an ongoing sourcing relationship with it"
    )


class PortalAgreementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    program = serializers.SlugField(source="program.slug")
    buyer = serializers.CharField(source="buyer.name")
    title = serializers.CharField()
    status = serializers.CharField()
    signed_date = serializers.DateField(allow_null=True)
    effective_from = serializers.DateField()
    effective_to = serializers.DateField(allow_null=True)
    premium_rate = serializers.DecimalField(max_digits=12, decimal_places=6)
    premium_currency = serializers.CharField()
    premium_unit = serializers.CharField()
    consequence_clause = serializers.CharField()
    document_sha256 = serializers.CharField()
    has_document = serializers.SerializerMethodField()

    def get_has_document(self, agreement) -> bool:
        return bool(agreement.document)


class PortalPremiumPeriodSerializer(serializers.Serializer):
    program = serializers.CharField(source="program_name")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    currency = serializers.CharField()
    volume = serializers.DecimalField(max_digits=16, decimal_places=3, allow_null=True)
    owed = serializers.DecimalField(max_digits=16, decimal_places=2)
    paid = serializers.DecimalField(max_digits=16, decimal_places=2)
    shortfall = serializers.DecimalField(max_digits=16, decimal_places=2)


class PortalMembershipSerializer(serializers.Serializer):
    program = serializers.SlugField(source="program.slug")
    program_name = serializers.CharField(source="program.name")
    buyer_id = serializers.IntegerField()
    buyer = serializers.CharField(source="buyer.name")
