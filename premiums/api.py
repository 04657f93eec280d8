"""The premium ledger's API: purchase reports, payments, distributions, CSV import,
reconciliation and the shortfall check."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from core.tenancy import ProgramViewSet
from enforcement import selectors as enforcement_selectors
from enforcement.serializers import (
    EmptySerializer,
)

from . import selectors, services
from .models import LedgerImport, PayrollDistribution, PremiumPayment, PurchaseReport
from .serializers import (
    EnforcementStatsSerializer,
    LedgerImportSerializer,
    LedgerImportUploadSerializer,
    PayrollDistributionSerializer,
    PremiumPaymentSerializer,
    PurchaseReportSerializer,
    ReconciliationRowSerializer,
    ShortfallCheckSerializer,
)

app_name = "premiums-api"


class PurchaseReportViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ProgramViewSet
):
    read_action, write_action = "ledger.view", "ledger.record"
    serializer_class = PurchaseReportSerializer
    queryset = PurchaseReport.objects.all()
    filterset_fields = ["buyer", "supplier"]

    def get_scoped_queryset(self):
        return selectors.purchase_report_list(program=self.program)

    def perform_create(self, serializer):
        serializer.instance = services.purchase_report_record(
            actor=self.request.user, program=self.program, **serializer.validated_data
        )


class PremiumPaymentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ProgramViewSet
):
    read_action, write_action = "ledger.view", "ledger.record"
    serializer_class = PremiumPaymentSerializer
    queryset = PremiumPayment.objects.all()
    filterset_fields = ["buyer", "supplier"]

    def get_scoped_queryset(self):
        return selectors.premium_payment_list(program=self.program)

    def perform_create(self, serializer):
        serializer.instance = services.premium_payment_record(
            actor=self.request.user, program=self.program, **serializer.validated_data
        )


class PayrollDistributionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ProgramViewSet
):
    read_action, write_action = "ledger.view", "ledger.record"
    serializer_class = PayrollDistributionSerializer
    queryset = PayrollDistribution.objects.all()
    filterset_fields = ["supplier", "facility"]

    def get_scoped_queryset(self):
        return selectors.payroll_distribution_list(program=self.program)

    def perform_create(self, serializer):
        serializer.instance = services.payroll_distribution_record(
            actor=self.request.user, program=self.program, **serializer.validated_data
        )


class LedgerImportViewSet(mixins.ListModelMixin, ProgramViewSet):
    """CSV imports. POST a multipart file with ``kind``; all or nothing: on any bad row
    the answer is 400 with ``errors`` [{row, column, message}] and nothing is stored."""

    read_action, write_action = "ledger.view", "ledger.record"
    serializer_class = LedgerImportSerializer
    queryset = LedgerImport.objects.all()
    parser_classes = [MultiPartParser, FormParser]

    def get_scoped_queryset(self):
        return selectors.ledger_import_list(program=self.program)

    @extend_schema(request=LedgerImportUploadSerializer, responses={201: LedgerImportSerializer})
    def create(self, request, *args, **kwargs):
        body = LedgerImportUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        try:
            batch = services.ledger_import_csv(
                actor=request.user,
                program=self.program,
                kind=body.validated_data["kind"],
                content=upload.read(),
                filename=upload.name,
            )
        except services.ImportRejected as exc:
            return Response(
                {"detail": exc.message, "code": exc.code, "errors": exc.errors},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(LedgerImportSerializer(batch).data, status=status.HTTP_201_CREATED)


class ReconciliationViewSet(ProgramViewSet):
    """Premium reconciliation per buyer, supplier and period; the program's totals; and
    the shortfall check that proposes premium violations."""

    read_action, write_action = "ledger.view", "ledger.record"
    serializer_class = ReconciliationRowSerializer
    queryset = PurchaseReport.objects.none()
    filter_backends = []

    @extend_schema(responses=ReconciliationRowSerializer(many=True))
    def list(self, request, *args, **kwargs):
        buyer = request.query_params.get("buyer")
        supplier = request.query_params.get("supplier")
        rows = selectors.reconciliation(
            program=self.program,
            buyer=buyer if (buyer or "").isdigit() else None,
            supplier=supplier if (supplier or "").isdigit() else None,
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ReconciliationRowSerializer(page, many=True).data)

    @extend_schema(responses=EnforcementStatsSerializer)
    @action(detail=False, methods=["get"], serializer_class=EnforcementStatsSerializer)
    def summary(self, request, *args, **kwargs):
        stats = {
            **enforcement_selectors.public_enforcement_stats(program=self.program),
            **selectors.public_premium_stats(program=self.program),
        }
        return Response(EnforcementStatsSerializer(stats).data)

    @extend_schema(request=None, responses=ShortfallCheckSerializer)
    @action(detail=False, methods=["post"], serializer_class=EmptySerializer, url_path="check")
    def shortfall_check(self, request, *args, **kwargs):
        result = services.premium_shortfall_check(actor=request.user, program=self.program)
        data = {
            **result,
            "opened": [v.pk for v in result["opened"]],
            "buyer_underpayments": len(result["buyer_underpayments"]),
        }
        return Response(ShortfallCheckSerializer(data).data)


router = SimpleRouter()
router.register("premium/purchase-reports", PurchaseReportViewSet, basename="purchase-report")
router.register("premium/payments", PremiumPaymentViewSet, basename="premium-payment")
router.register(
    "premium/distributions", PayrollDistributionViewSet, basename="payroll-distribution"
)
router.register("premium/imports", LedgerImportViewSet, basename="ledger-import")
router.register("premium/reconciliation", ReconciliationViewSet, basename="reconciliation")
urlpatterns = router.urls
