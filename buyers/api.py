"""REST API of the buyer portal (/api/v1/buyer/), for a buyer's own systems: pull the
do-not-source list into procurement, read and act on obligations.

Authenticate with ``Authorization: Token <key>`` (the officer creates the key at
/buyer/api-access/) or the browser session. Every endpoint is scoped to the (program,
buyer) pairs of the caller's active buyer_officer memberships; ``?program=<slug>``
narrows to one program. Another buyer's records are 404, like missing ones.
"""

from django.http import FileResponse, Http404
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from enforcement import services as enforcement_services
from enforcement.models import ObligationState

from . import selectors
from .serializers import (
    PortalAgreementSerializer,
    PortalAttestSerializer,
    PortalDoNotSourceSerializer,
    PortalMembershipSerializer,
    PortalObligationSerializer,
    PortalPremiumPeriodSerializer,
)

app_name = "buyer-api"

PROGRAM_PARAM = OpenApiParameter(
    "program",
    OpenApiTypes.STR,
    description="Slug of one of your programs (default: all of them).",
)


class IsBuyerOfficer(permissions.BasePermission):
    message = "The buyer API is for buyer compliance officers."

    def has_permission(self, request, view):
        return bool(getattr(view, "memberships", None))


class BuyerPortalViewSet(viewsets.GenericViewSet):
    """Resolves the caller's officer memberships once, after authentication."""

    permission_classes = [permissions.IsAuthenticated, IsBuyerOfficer]
    filter_backends = []
    lookup_value_regex = r"\d+"

    def initial(self, request, *args, **kwargs):
        self.perform_authentication(request)
        self.memberships = selectors.officer_memberships(user=request.user)
        slug = request.query_params.get("program", "").strip()
        self.scope = (
            [m for m in self.memberships if m.program.slug == slug] if slug else self.memberships
        )
        super().initial(request, *args, **kwargs)


@extend_schema(tags=["buyer portal"])
class MembershipViewSet(mixins.ListModelMixin, BuyerPortalViewSet):
    """The programs and buyers you act for."""

    serializer_class = PortalMembershipSerializer
    pagination_class = None

    def get_queryset(self):
        return self.memberships


OBLIGATION_EXAMPLE = OpenApiExample(
    "An obligation",
    value={
        "id": 41,
        "program": "fair-food",
        "program_name": "Fair Food Program",
        "buyer": "Example Foods Inc.",
        "supplier": {"id": 7, "legal_name": "Sunny Growers LLC", "country": "US"},
        "provision_category": "forced_labor",
        "provision_category_display": "Forced labor or debt",
        "kind": "suspend_purchases",
        "required": "Suspend all purchases from Sunny Growers LLC by 2026-03-10 until at "
        "least 2026-06-01, and confirm that open purchase orders are on hold.",
        "due_date": "2026-03-10",
        "state": "pending",
        "is_overdue": False,
        "supplier_sanction": "suspension",
        "sanction_ends_on": "2026-06-01",
        "acknowledged_at": None,
        "attested_at": None,
        "attestation_note": "",
        "evidence_sha256": "",
        "created_at": "2026-03-03T14:02:11Z",
    },
    response_only=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="Your buyers' obligations",
        parameters=[
            PROGRAM_PARAM,
            OpenApiParameter(
                "status",
                OpenApiTypes.STR,
                enum=["open", "closed"],
                description="open: pending, acknowledged or overdue; closed: fulfilled, "
                "waived or breached.",
            ),
            OpenApiParameter("state", OpenApiTypes.STR, enum=ObligationState.values),
        ],
        examples=[OBLIGATION_EXAMPLE],
    ),
    retrieve=extend_schema(summary="One obligation", examples=[OBLIGATION_EXAMPLE]),
)
@extend_schema(tags=["buyer portal"])
class ObligationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BuyerPortalViewSet):
    serializer_class = PortalObligationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.obligation_list(memberships=[])
        if self.action == "list":
            status = self.request.query_params.get("status")
            state = self.request.query_params.get("state")
            return selectors.obligation_list(
                memberships=self.scope,
                status=status if status in ("open", "closed") else None,
                state=state if state in ObligationState.values else None,
            )
        return selectors.obligation_list(memberships=self.memberships)

    def get_object(self):
        return selectors.obligation_get(memberships=self.memberships, pk=self.kwargs["pk"])

    @extend_schema(
        summary="Acknowledge an obligation",
        request=None,
        responses={200: PortalObligationSerializer},
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        obligation = self.get_object()
        enforcement_services.obligation_acknowledge(actor=request.user, obligation=obligation)
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="Attest fulfilment (note and optional evidence file)",
        description="multipart/form-data with `note` and an optional `evidence` file: PDF, "
        "PNG, JPEG, office document or CSV, checked by content; size limited.",
        request=PortalAttestSerializer,
        responses={200: PortalObligationSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[MultiPartParser, FormParser, JSONParser],
        serializer_class=PortalAttestSerializer,
    )
    def attest(self, request, pk=None):
        obligation = self.get_object()
        form = PortalAttestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        enforcement_services.obligation_attest(
            actor=request.user,
            obligation=obligation,
            note=form.validated_data["note"],
            evidence=form.validated_data.get("evidence") or None,
        )
        return Response(PortalObligationSerializer(self.get_object()).data)


@extend_schema(tags=["buyer portal"])
@extend_schema_view(
    list=extend_schema(
        summary="Do-not-source list",
        description=(
            "Suppliers currently suspended or terminated in your programs: do not place "
            "orders with them. `sourced_by_you` marks those one of your buyers still has an "
            "ongoing sourcing relationship with. Poll it from your procurement system:\n\n"
            "    curl -H 'Authorization: Token <key>' "
            "https://<host>/api/v1/buyer/do-not-source/?program=fair-food"
        ),
        parameters=[PROGRAM_PARAM],
        examples=[
            OpenApiExample(
                "A suspended and a terminated supplier",
                value=[
                    {
                        "program": "fair-food",
                        "supplier_id": 7,
                        "supplier": "Sunny Growers LLC",
                        "country": "US",
                        "standing": "suspended",
                        "suspended_since": "2026-03-03",
                        "suspended_until": "2026-06-01",
                        "terminated_on": None,
                        "escalation_stage": 2,
                        "sourced_by_you": True,
                    },
                    {
                        "program": "fair-food",
                        "supplier_id": 12,
                        "supplier": "Coastal Packing Co.",
                        "country": "MX",
                        "standing": "terminated",
                        "suspended_since": None,
                        "suspended_until": None,
                        "terminated_on": "2025-11-20",
                        "escalation_stage": 3,
                        "sourced_by_you": False,
                    },
                ],
                response_only=True,
            )
        ],
    )
)
class DoNotSourceViewSet(mixins.ListModelMixin, BuyerPortalViewSet):
    serializer_class = PortalDoNotSourceSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.do_not_source_list(memberships=self.scope)


@extend_schema(tags=["buyer portal"])
@extend_schema_view(
    list=extend_schema(summary="Your buyers' agreements", parameters=[PROGRAM_PARAM]),
    retrieve=extend_schema(summary="One agreement"),
)
class AgreementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BuyerPortalViewSet):
    serializer_class = PortalAgreementSerializer

    def get_queryset(self):
        memberships = self.scope if self.action == "list" else self.memberships
        return selectors.agreement_list(user=self.request.user, memberships=memberships)

    def get_object(self):
        return selectors.agreement_get(
            user=self.request.user, memberships=self.memberships, pk=self.kwargs["pk"]
        )

    @extend_schema(
        summary="The signed agreement (PDF)",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"])
    def document(self, request, pk=None):
        agreement = self.get_object()
        if not agreement.document:
            raise Http404
        response = FileResponse(
            agreement.document.open("rb"),
            as_attachment=True,
            filename=f"agreement-{agreement.pk}.pdf",
            content_type="application/pdf",
        )
        response["Cache-Control"] = "private, no-store"
        return response


class SingleObjectSchema(AutoSchema):
    """The premium summary is one object (periods + totals), not a list of periods."""

    def _is_list_view(self, serializer=None):
        return False


@extend_schema(tags=["buyer portal"])
@extend_schema_view(
    list=extend_schema(
        summary="Premium owed and paid per period",
        parameters=[PROGRAM_PARAM],
        responses=inline_serializer(
            "PortalPremiumSummary",
            fields={
                "periods": PortalPremiumPeriodSerializer(many=True),
                "totals": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
)
class PremiumViewSet(BuyerPortalViewSet):
    serializer_class = PortalPremiumPeriodSerializer
    pagination_class = None
    schema = SingleObjectSchema()

    def list(self, request, *args, **kwargs):
        periods = selectors.premium_periods(memberships=self.scope)
        totals = selectors.premium_totals(periods)
        return Response(
            {
                "periods": PortalPremiumPeriodSerializer(periods, many=True).data,
                "totals": [{k: str(v) for k, v in t.items()} for t in totals],
            }
        )


router = SimpleRouter()
router.register("memberships", MembershipViewSet, basename="membership")
router.register("obligations", ObligationViewSet, basename="obligation")
router.register("do-not-source", DoNotSourceViewSet, basename="do-not-source")
router.register("agreements", AgreementViewSet, basename="agreement")
router.register("premium", PremiumViewSet, basename="premium")
urlpatterns = router.urls
