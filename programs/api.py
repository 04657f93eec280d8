"""REST API of the programs app (/api/v1/programs/<program>/...).

Every viewset reads through a selector scoped to the program in the URL and writes
through a service (refusals become 400/409 in ``core.api.exception_handler``).
Authentication: session or token (``Authorization: Token <key>``); a user gets their
token on the workspace page ``programs:api_token``.
"""

import django_filters
from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from core.roles import ADMIN_ROLES
from core.tenancy import ProgramViewSet

from . import selectors, services
from .models import (
    Agreement,
    Buyer,
    Code,
    CodeVersion,
    Facility,
    Membership,
    Provision,
    SourcingRelationship,
    Supplier,
)
from .serializers import (
    AgreementSerializer,
    AgreementShareSerializer,
    AgreementTerminateSerializer,
    BuyerSerializer,
    CodeSerializer,
    CodeVersionRatifySerializer,
    CodeVersionSerializer,
    FacilitySerializer,
    InviteSerializer,
    MembershipSerializer,
    ProvisionSerializer,
    SignatorySerializer,
    SourcingEndSerializer,
    SourcingSerializer,
    SupplierSerializer,
)

app_name = "programs-api"


class ReadCreateUpdate(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ProgramViewSet,
):
    pass


class SupplierViewSet(ReadCreateUpdate):
    serializer_class = SupplierSerializer
    queryset = Supplier.objects.all()
    search_fields = ["legal_name"]
    filterset_fields = ["country"]
    ordering_fields = ["legal_name", "created_at"]

    def get_scoped_queryset(self):
        return selectors.supplier_list(program=self.program)

    def perform_create(self, serializer):
        created = services.supplier_create(
            actor=self.request.user, program=self.program, **serializer.validated_data
        )
        # Re-read through the selector so the response carries its computed counts.
        serializer.instance = self.get_scoped_queryset().get(pk=created.pk)

    def perform_update(self, serializer):
        updated = services.supplier_update(
            actor=self.request.user, supplier=serializer.instance, **serializer.validated_data
        )
        serializer.instance = self.get_scoped_queryset().get(pk=updated.pk)


class FacilityViewSet(ReadCreateUpdate):
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


class BuyerViewSet(ReadCreateUpdate):
    serializer_class = BuyerSerializer
    queryset = Buyer.objects.all()
    search_fields = ["name"]
    filterset_fields = ["headquarters_country"]
    ordering_fields = ["name", "created_at"]

    def get_scoped_queryset(self):
        return selectors.buyer_list(program=self.program)

    def perform_create(self, serializer):
        created = services.buyer_create(
            actor=self.request.user, program=self.program, **serializer.validated_data
        )
        # Re-read through the selector so the response carries its computed counts.
        serializer.instance = self.get_scoped_queryset().get(pk=created.pk)

    def perform_update(self, serializer):
        updated = services.buyer_update(
            actor=self.request.user, buyer=serializer.instance, **serializer.validated_data
        )
        serializer.instance = self.get_scoped_queryset().get(pk=updated.pk)


class SourcingFilter(django_filters.FilterSet):
    ongoing = django_filters.BooleanFilter(
        field_name="until", lookup_expr="isnull", label="only relationships without an end date"
    )

    class Meta:
        model = SourcingRelationship
        fields = ["buyer", "supplier", "ongoing"]


class SourcingViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ProgramViewSet
):
    """Sourcing relationships are created and ended, never rewritten."""

    serializer_class = SourcingSerializer
    queryset = SourcingRelationship.objects.all()
    filterset_class = SourcingFilter
    search_fields = ["buyer__name", "supplier__legal_name"]
    ordering_fields = ["since", "until"]

    def get_scoped_queryset(self):
        return selectors.sourcing_list(program=self.program)

    def perform_create(self, serializer):
        serializer.instance = services.sourcing_create(
            actor=self.request.user, program=self.program, **serializer.validated_data
        )

    @extend_schema(request=SourcingEndSerializer, responses=SourcingSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, *args, **kwargs):
        relationship = self.get_object()
        data = SourcingEndSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        relationship = services.sourcing_end(
            actor=request.user, relationship=relationship, **data.validated_data
        )
        return Response(self.get_serializer(relationship).data)


class AgreementViewSet(ReadCreateUpdate):
    """Agreements as the member may see them: see ``selectors.agreements_visible``."""

    serializer_class = AgreementSerializer
    queryset = Agreement.objects.all()
    read_roles = selectors.AGREEMENT_READ_ROLES
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_fields = ["buyer", "status"]
    search_fields = ["title", "buyer__name"]
    ordering_fields = ["effective_from", "signed_date", "created_at"]

    def get_scoped_queryset(self):
        return selectors.agreements_visible(
            program=self.program, user=self.request.user, membership=self.membership
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.agreement_create(
            actor=self.request.user,
            program=self.program,
            document=data.pop("document", None),
            **data,
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("buyer", None)
        document = data.pop("document", None)
        # Only what differs: an agreement in force accepts a change of end date alone.
        instance = serializer.instance
        data = {k: v for k, v in data.items() if getattr(instance, k) != v}
        serializer.instance = services.agreement_update(
            actor=self.request.user, agreement=instance, document=document, **data
        )

    def _transition(self, agreement, status_, reason=""):
        agreement = services.agreement_transition(
            actor=self.request.user, agreement=agreement, status=status_, reason=reason
        )
        return Response(self.get_serializer(self._reload(agreement)).data)

    def _reload(self, agreement):
        return self.get_queryset().get(pk=agreement.pk)

    @extend_schema(request=None, responses=AgreementSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, *args, **kwargs):
        return self._transition(self.get_object(), "active")

    @extend_schema(request=AgreementTerminateSerializer, responses=AgreementSerializer)
    @action(detail=True, methods=["post"])
    def terminate(self, request, *args, **kwargs):
        agreement = self.get_object()  # 404 before looking at the input
        data = AgreementTerminateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._transition(agreement, "terminated", data.validated_data["reason"])

    @extend_schema(methods=["get"], request=None, responses=SignatorySerializer(many=True))
    @extend_schema(
        methods=["post"], request=SignatorySerializer, responses={201: SignatorySerializer}
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def signatories(self, request, *args, **kwargs):
        agreement = self.get_object()
        if request.method == "GET":
            rows = selectors.signatory_list(program=self.program, agreement=agreement)
            return Response(SignatorySerializer(rows, many=True).data)
        data = SignatorySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        signatory = services.signatory_add(
            actor=request.user, agreement=agreement, **data.validated_data
        )
        return Response(SignatorySerializer(signatory).data, status=status.HTTP_201_CREATED)

    def _member_user(self, user_id):
        member = selectors.member_list(program=self.program).filter(user_id=user_id).first()
        if member is None:
            raise ValidationError({"user": "Not a member of this program."})
        return member.user

    @extend_schema(request=AgreementShareSerializer, responses={204: None})
    @action(detail=True, methods=["post"])
    def share(self, request, *args, **kwargs):
        agreement = self.get_object()
        data = AgreementShareSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.agreement_share(
            actor=request.user,
            agreement=agreement,
            user=self._member_user(data.validated_data["user"]),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=AgreementShareSerializer, responses={204: None})
    @action(detail=True, methods=["post"])
    def unshare(self, request, *args, **kwargs):
        agreement = self.get_object()
        data = AgreementShareSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = get_user_model().objects.filter(pk=data.validated_data["user"]).first()
        if user is None:
            raise ValidationError({"user": "Unknown user."})
        services.agreement_unshare(actor=request.user, agreement=agreement, user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CodeViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ProgramViewSet
):
    serializer_class = CodeSerializer
    queryset = Code.objects.all()
    search_fields = ["name"]
    ordering_fields = ["name"]

    def get_scoped_queryset(self):
        return selectors.code_list(program=self.program)

    def perform_create(self, serializer):
        code = services.code_create(
            actor=self.request.user, program=self.program, **serializer.validated_data
        )
        serializer.instance = self.get_queryset().get(pk=code.pk)

    @extend_schema(request=None, responses={201: CodeVersionSerializer})
    @action(detail=True, methods=["post"])
    def draft(self, request, *args, **kwargs):
        """Start a new draft version as a copy of the current ratified one."""
        draft = services.code_version_draft_create(actor=request.user, code=self.get_object())
        return Response(CodeVersionSerializer(draft).data, status=status.HTTP_201_CREATED)


class CodeVersionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ProgramViewSet):
    authz_actions = {"ratify": "code.ratify"}
    serializer_class = CodeVersionSerializer
    queryset = CodeVersion.objects.all()
    filterset_fields = ["code", "status"]
    ordering_fields = ["number", "effective_date"]

    def get_scoped_queryset(self):
        return selectors.code_version_list(program=self.program)

    @extend_schema(request=CodeVersionRatifySerializer, responses=CodeVersionSerializer)
    @action(detail=True, methods=["post"])
    def ratify(self, request, *args, **kwargs):
        """Ratify a draft (worker-organization admins only)."""
        version = self.get_object()
        data = CodeVersionRatifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.code_version_ratify(
            actor=request.user, version=version, **data.validated_data
        )
        return Response(CodeVersionSerializer(self.get_queryset().get(pk=version.pk)).data)


class ProvisionViewSet(ReadCreateUpdate, mixins.DestroyModelMixin):
    """Provisions change only on a draft version (409 otherwise)."""

    serializer_class = ProvisionSerializer
    queryset = Provision.objects.all()
    filterset_fields = ["version", "severity", "category"]
    search_fields = ["number", "title", "text"]
    ordering_fields = ["number"]

    def get_scoped_queryset(self):
        return selectors.provision_list(program=self.program)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.provision_add(
            actor=self.request.user, version=data.pop("version"), **data
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("version", None)
        serializer.instance = services.provision_update(
            actor=self.request.user, provision=serializer.instance, **data
        )

    def perform_destroy(self, instance):
        services.provision_remove(actor=self.request.user, provision=instance)


class MemberViewSet(ReadCreateUpdate):
    """Memberships of the program: worker-organization admins only. Creating one is an
    invitation (the account is created when the e-mail is new)."""

    serializer_class = MembershipSerializer
    queryset = Membership.objects.all()
    read_action, write_action = "members.view", "member.change"
    authz_actions = {"create": ("members.view", "member.invite")}
    read_roles = ADMIN_ROLES
    write_roles = ADMIN_ROLES
    filterset_fields = ["role", "is_active"]
    search_fields = ["user__email", "user__username", "user__first_name", "user__last_name"]
    ordering_fields = ["created_at"]

    def get_scoped_queryset(self):
        return selectors.member_list(program=self.program)

    def get_serializer_class(self):
        if self.action == "create":
            return InviteSerializer
        return MembershipSerializer

    @extend_schema(request=InviteSerializer, responses={201: MembershipSerializer})
    def create(self, request, *args, **kwargs):
        data = InviteSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        membership = services.membership_invite(
            actor=request.user, program=self.program, **data.validated_data
        )
        return Response(
            MembershipSerializer(membership, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    def perform_update(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.membership_change(
            actor=self.request.user,
            membership=serializer.instance,
            role=data.get("role"),
            is_active=data.get("is_active"),
            buyer=data.get("buyer"),
        )


router = SimpleRouter()
router.register("buyers", BuyerViewSet, basename="buyer")
router.register("suppliers", SupplierViewSet, basename="supplier")
router.register("facilities", FacilityViewSet, basename="facility")
router.register("sourcing", SourcingViewSet, basename="sourcing")
router.register("agreements", AgreementViewSet, basename="agreement")
router.register("codes", CodeViewSet, basename="code")
router.register("code-versions", CodeVersionViewSet, basename="code-version")
router.register("provisions", ProvisionViewSet, basename="provision")
router.register("members", MemberViewSet, basename="member")
urlpatterns = router.urls
