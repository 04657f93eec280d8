"""API shapes of the premium ledger."""

from rest_framework import serializers

from enforcement.serializers import ProgramScopedMixin
from programs.models import Buyer, Facility, Supplier

from .models import ImportKind, LedgerImport, PayrollDistribution, PremiumPayment, PurchaseReport


class PurchaseReportSerializer(ProgramScopedMixin, serializers.ModelSerializer):
    scoped_fields = {"buyer": Buyer, "supplier": Supplier}
    buyer = serializers.PrimaryKeyRelatedField(queryset=Buyer.objects.none())
    supplier = serializers.PrimaryKeyRelatedField(queryset=Supplier.objects.none())
    unit = serializers.CharField(required=False)

    class Meta:
        model = PurchaseReport
        fields = [
            "id",
            "buyer",
            "supplier",
            "period_start",
            "period_end",
            "volume",
            "unit",
            "premium_rate",
            "premium_owed",
            "currency",
            "agreement",
            "created_at",
        ]
        read_only_fields = [
            "id",
            "premium_rate",
            "premium_owed",
            "currency",
            "agreement",
            "created_at",
        ]


class PremiumPaymentSerializer(ProgramScopedMixin, serializers.ModelSerializer):
    scoped_fields = {"buyer": Buyer, "supplier": Supplier}
    buyer = serializers.PrimaryKeyRelatedField(queryset=Buyer.objects.none())
    supplier = serializers.PrimaryKeyRelatedField(queryset=Supplier.objects.none())

    class Meta:
        model = PremiumPayment
        fields = [
            "id",
            "buyer",
            "supplier",
            "period_start",
            "period_end",
            "amount",
            "currency",
            "paid_on",
            "reference",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]


class PayrollDistributionSerializer(ProgramScopedMixin, serializers.ModelSerializer):
    scoped_fields = {"supplier": Supplier, "facility": Facility}
    supplier = serializers.PrimaryKeyRelatedField(queryset=Supplier.objects.none())
    facility = serializers.PrimaryKeyRelatedField(
        queryset=Facility.objects.none(), required=False, allow_null=True
    )

    class Meta:
        model = PayrollDistribution
        fields = [
            "id",
            "supplier",
            "facility",
            "period_start",
            "period_end",
            "workers_paid",
            "amount",
            "currency",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]


class LedgerImportSerializer(serializers.ModelSerializer):
    class Meta:
        model = LedgerImport
        fields = ["id", "kind", "filename", "sha256", "row_count", "created_at"]
        read_only_fields = fields


class LedgerImportUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    file = serializers.FileField()


class ReconciliationRowSerializer(serializers.Serializer):
    buyer_id = serializers.IntegerField()
    buyer = serializers.CharField()
    supplier_id = serializers.IntegerField()
    supplier = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    currency = serializers.CharField()
    volume = serializers.DecimalField(max_digits=16, decimal_places=3)
    owed = serializers.DecimalField(max_digits=16, decimal_places=2)
    paid = serializers.DecimalField(max_digits=16, decimal_places=2)
    distributed = serializers.DecimalField(max_digits=16, decimal_places=2)
    payment_gap = serializers.DecimalField(max_digits=16, decimal_places=2)
    distribution_gap = serializers.DecimalField(max_digits=16, decimal_places=2)
    shortfall = serializers.DecimalField(max_digits=16, decimal_places=2)


class EnforcementStatsSerializer(serializers.Serializer):
    premium_paid_to_workers = serializers.DecimalField(max_digits=18, decimal_places=2)
    premium_currency = serializers.CharField()
    confirmed_violations = serializers.IntegerField()


class ShortfallCheckSerializer(serializers.Serializer):
    opened = serializers.ListField(child=serializers.IntegerField())
    already_open = serializers.IntegerField()
    shortfalls = serializers.IntegerField()
    buyer_underpayments = serializers.IntegerField()
    missing_provision = serializers.BooleanField()
    message = serializers.CharField()
