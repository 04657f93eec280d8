from rest_framework import serializers

from .models import Facility, Supplier


class SupplierSerializer(serializers.ModelSerializer):
    facility_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Supplier
        fields = ["id", "legal_name", "country", "facility_count", "created_at"]
        read_only_fields = ["id", "created_at"]


class FacilitySerializer(serializers.ModelSerializer):
    supplier = serializers.PrimaryKeyRelatedField(queryset=Supplier.objects.none())

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
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        view = self.context.get("view")
        program = getattr(view, "program", None)
        if program is not None:
            # A facility can only hang under a supplier of the same program.
            self.fields["supplier"].queryset = Supplier.objects.filter(program=program)
