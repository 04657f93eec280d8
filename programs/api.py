"""REST API of the programs app (/api/v1/programs/<program>/...)."""

from rest_framework import mixins
from rest_framework.routers import SimpleRouter

from wsr.tenancy import ProgramViewSet

from . import selectors, services
from .models import Facility, Supplier
from .serializers import FacilitySerializer, SupplierSerializer

app_name = "programs-api"


class SupplierViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ProgramViewSet,
):
    serializer_class = SupplierSerializer
    queryset = Supplier.objects.all()
    search_fields = ["legal_name"]
    filterset_fields = ["country"]
    ordering_fields = ["legal_name", "created_at"]

    def get_scoped_queryset(self):
        return selectors.supplier_list(program=self.program)

    def perform_create(self, serializer):
        serializer.instance = services.supplier_create(
            actor=self.request.user, program=self.program, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.supplier_update(
            actor=self.request.user, supplier=serializer.instance, **serializer.validated_data
        )


class FacilityViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ProgramViewSet,
):
    serializer_class = FacilitySerializer
    queryset = Facility.objects.all()
    search_fields = ["name", "address", "os_id"]
    filterset_fields = ["supplier", "country", "status"]
    ordering_fields = ["name", "worker_count", "created_at"]

    def get_scoped_queryset(self):
        return selectors.facility_list(program=self.program)

    def perform_create(self, serializer):
        serializer.instance = services.facility_create(
            actor=self.request.user, program=self.program, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.facility_update(
            actor=self.request.user, facility=serializer.instance, **serializer.validated_data
        )


router = SimpleRouter()
router.register("suppliers", SupplierViewSet, basename="supplier")
router.register("facilities", FacilityViewSet, basename="facility")
urlpatterns = router.urls
