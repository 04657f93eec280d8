"""REST API of enforcement (/api/v1/programs/<program>/...): violations (confirm, dismiss,
remediate), sanctions, standings with history, buyer obligations (waive), breaches, the
consequence policy, and the premium ledger (reports, payments, distributions, CSV import,
reconciliation, shortfall check)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from core.roles import INTERNAL_ROLES, Role
from core.tenancy import ProgramViewSet, get_or_404
from enforcement.models import (
    BuyerBreach,
    BuyerObligation,
    ConsequencePolicy,
    Sanction,
    SupplierStanding,
    Violation,
)
from enforcement.serializers import (
    BindAgreementSerializer,
    BreachSerializer,
    BuyerObligationSerializer,
    EmptySerializer,
    EnforcementSettingsSerializer,
    PolicySerializer,
    RatifySerializer,
    ReasonSerializer,
    RemediationNoteSerializer,
    RuleInputSerializer,
    SanctionSerializer,
    StandingEventSerializer,
    StandingSerializer,
    ViolationSerializer,
)
from programs import selectors as program_selectors

from . import selectors, services

app_name = "enforcement-api"


class ViolationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ProgramViewSet
):
    """Violations. POST proposes a manual one; confirm/dismiss/remediate are actions
    (confirming is for admins or the roles the program names)."""

    serializer_class = ViolationSerializer
    queryset = Violation.objects.all()
    # Internal members other than viewers may propose; the services decide who may
    # confirm or dismiss.
    write_roles = INTERNAL_ROLES - {Role.VIEWER}
    # Refused roles get a 403 before their body is read (core.authz).
    authz_actions = {
        "create": ("enforcement.view", "violation.propose"),
        "confirm": "violation.confirm",
        "dismiss": "violation.dismiss",
        "remediate": "violation.remediate",
    }
    filterset_fields = ["state", "severity", "supplier", "source_kind"]
    search_fields = ["summary", "source_ref"]
    ordering_fields = ["created_at", "confirmed_at"]

    def get_scoped_queryset(self):
        return selectors.violation_list(program=self.program)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.violation_propose(
            actor=self.request.user,
            program=self.program,
            provision=data["provision"],
            facility=data["facility"],
            severity=data.get("severity"),
            source_kind="manual",
            source_ref=data["source_ref"],
            summary=data["summary"],
        )

    def _respond(self, violation):
        fresh = self.get_scoped_queryset().get(pk=violation.pk)
        return Response(ViolationSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=ViolationSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, *args, **kwargs):
        return self._respond(
            services.violation_confirm(actor=request.user, violation=self.get_object())
        )

    @extend_schema(request=ReasonSerializer, responses=ViolationSerializer)
    @action(detail=True, methods=["post"], serializer_class=ReasonSerializer)
    def dismiss(self, request, *args, **kwargs):
        violation = self.get_object()  # 404 before anything is said about the body
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._respond(
            services.violation_dismiss(
                actor=request.user,
                violation=violation,
                reason=body.validated_data["reason"],
            )
        )

    @extend_schema(request=RemediationNoteSerializer, responses=ViolationSerializer)
    @action(detail=True, methods=["post"], serializer_class=RemediationNoteSerializer)
    def remediate(self, request, *args, **kwargs):
        violation = self.get_object()
        body = RemediationNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._respond(
            services.violation_remediate(
                actor=request.user, violation=violation, note=body.validated_data["note"]
            )
        )

    def get_object(self):
        # Actions use their own body serializers; the object comes from the scoped list.
        obj = get_or_404(self.get_scoped_queryset(), pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, obj)
        return obj


class SanctionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ProgramViewSet):
    serializer_class = SanctionSerializer
    queryset = Sanction.objects.all()
    filterset_fields = ["supplier", "action"]

    def get_scoped_queryset(self):
        return selectors.sanction_list(program=self.program)


class StandingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ProgramViewSet):
    """Supplier standing rows (suppliers never sanctioned have none: good standing)."""

    serializer_class = StandingSerializer
    queryset = SupplierStanding.objects.all()
    filterset_fields = ["standing", "stage", "supplier"]

    def get_scoped_queryset(self):
        return selectors.standing_list(program=self.program)

    @extend_schema(responses=StandingEventSerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=StandingEventSerializer)
    def history(self, request, *args, **kwargs):
        standing = self.get_object()
        events = selectors.standing_history(program=self.program, supplier=standing.supplier_id)
        page = self.paginate_queryset(events)
        return self.get_paginated_response(StandingEventSerializer(page, many=True).data)


class ObligationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ProgramViewSet):
    """Buyer obligations, overdue first. Waiving is for program admins, with a reason.
    (Buyers acknowledge and attest in the buyer portal's API.)"""

    authz_actions = {"waive": "obligation.waive"}
    serializer_class = BuyerObligationSerializer
    queryset = BuyerObligation.objects.all()
    filterset_fields = ["state", "buyer", "supplier", "kind"]

    def get_scoped_queryset(self):
        return selectors.obligation_list(program=self.program)

    @extend_schema(request=ReasonSerializer, responses=BuyerObligationSerializer)
    @action(detail=True, methods=["post"], serializer_class=ReasonSerializer)
    def waive(self, request, *args, **kwargs):
        obligation = get_or_404(self.get_scoped_queryset(), pk=self.kwargs["pk"])
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.obligation_waive(
            actor=request.user, obligation=obligation, reason=body.validated_data["reason"]
        )
        fresh = self.get_scoped_queryset().get(pk=obligation.pk)
        return Response(BuyerObligationSerializer(fresh).data)


class BreachViewSet(mixins.ListModelMixin, ProgramViewSet):
    serializer_class = BreachSerializer
    queryset = BuyerBreach.objects.all()
    filterset_fields = ["buyer"]

    def get_scoped_queryset(self):
        return selectors.buyer_breaches(program=self.program)


class PolicyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ProgramViewSet):
    """Versions of the consequence ladder. Admins start a draft (a copy of the ratified
    version), set rules on it, ratify it (the previous version is superseded), and bind
    agreements to a ratified version. ``settings`` holds who may confirm, the premium
    tolerance and the breach grace period."""

    authz_actions = {
        "draft": "policy.edit",
        "rules": "policy.edit",
        "ratify": "policy.edit",
        "bind": "agreement_policy.bind",
        "program_settings": ("enforcement.view", "enforcement_settings.update"),
    }
    serializer_class = PolicySerializer
    queryset = ConsequencePolicy.objects.all()

    def get_scoped_queryset(self):
        return selectors.policy_list(program=self.program)

    def _policy(self):
        return get_or_404(self.get_scoped_queryset(), pk=self.kwargs["pk"])

    def _respond(self, policy, code=status.HTTP_200_OK):
        fresh = self.get_scoped_queryset().get(pk=policy.pk)
        return Response(PolicySerializer(fresh).data, status=code)

    @extend_schema(request=None, responses={201: PolicySerializer})
    @action(detail=False, methods=["post"], serializer_class=EmptySerializer)
    def draft(self, request, *args, **kwargs):
        draft = services.policy_draft_create(actor=request.user, program=self.program)
        return self._respond(draft, status.HTTP_201_CREATED)

    @extend_schema(request=RuleInputSerializer, responses=PolicySerializer)
    @action(detail=True, methods=["post"], serializer_class=RuleInputSerializer)
    def rules(self, request, *args, **kwargs):
        policy = self._policy()
        body = RuleInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.policy_rule_set(actor=request.user, policy=policy, **body.validated_data)
        return self._respond(policy)

    @extend_schema(request=RatifySerializer, responses=PolicySerializer)
    @action(detail=True, methods=["post"], serializer_class=RatifySerializer)
    def ratify(self, request, *args, **kwargs):
        policy = self._policy()
        body = RatifySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.policy_ratify(
            actor=request.user,
            policy=policy,
            effective_date=body.validated_data.get("effective_date"),
        )
        return self._respond(policy)

    @extend_schema(request=BindAgreementSerializer, responses=PolicySerializer)
    @action(detail=True, methods=["post"], serializer_class=BindAgreementSerializer)
    def bind(self, request, *args, **kwargs):
        policy = self._policy()
        body = BindAgreementSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        agreement = get_or_404(
            program_selectors.agreement_list(program=self.program),
            pk=body.validated_data["agreement"],
        )
        services.agreement_policy_bind(actor=request.user, agreement=agreement, policy=policy)
        return self._respond(policy)

    @extend_schema(methods=["get"], request=None, responses=EnforcementSettingsSerializer)
    @extend_schema(
        methods=["patch"],
        request=EnforcementSettingsSerializer,
        responses=EnforcementSettingsSerializer,
    )
    @action(
        detail=False,
        methods=["get", "patch"],
        serializer_class=EnforcementSettingsSerializer,
        url_path="settings",
        url_name="settings",
    )
    def program_settings(self, request, *args, **kwargs):
        current = services.settings_for(self.program)
        if request.method == "PATCH":
            body = EnforcementSettingsSerializer(current, data=request.data, partial=True)
            body.is_valid(raise_exception=True)
            current = services.enforcement_settings_update(
                actor=request.user, program=self.program, **body.validated_data
            )
        return Response(EnforcementSettingsSerializer(current).data)


router = SimpleRouter()
router.register("violations", ViolationViewSet, basename="violation")
router.register("sanctions", SanctionViewSet, basename="sanction")
router.register("standings", StandingViewSet, basename="standing")
router.register("obligations", ObligationViewSet, basename="obligation")
router.register("breaches", BreachViewSet, basename="breach")
router.register("policies", PolicyViewSet, basename="policy")
urlpatterns = router.urls
