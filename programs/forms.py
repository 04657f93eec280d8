from django import forms

from .models import Facility, Supplier


class SupplierForm(forms.ModelForm):
    class Meta:
        model = Supplier
        fields = ["legal_name", "country"]


class FacilityForm(forms.ModelForm):
    class Meta:
        model = Facility
        fields = [
            "supplier",
            "name",
            "address",
            "country",
            "latitude",
            "longitude",
            "worker_count",
            "os_id",
            "status",
        ]

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        # Only this program's suppliers can be chosen.
        self.fields["supplier"].queryset = Supplier.objects.filter(program=program)
