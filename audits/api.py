"""REST API of the audits app (/api/v1/programs/<program>/audits/, caps/, ...)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from core.roles import INTERNAL_ROLES
from core.tenancy import ProgramViewSet

from . import selectors, services
from .models import Audit, CAPItem, CorrectiveActionPlan, EducationSession, Finding, Report
from .selectors import AUDIT_WRITE_ROLES, CAP_WRITE_ROLES
from .serializers import (
    AuditEvidenceSerializer,
    AuditEvidenceUploadSerializer,
    AuditFindingSerializer,
    AuditReportSerializer,
    AuditSerializer,
    AuditTransitionSerializer,
    CAPItemCommentSerializer,
    CAPItemSerializer,
    CAPItemTransitionSerializer,
    CAPProgressSerializer,
    CAPSerializer,
    EducationReachSerializer,
    EducationSessionSerializer,
)

app_name = "audits-api"


class AuditsViewSet(ProgramViewSet):
    read_roles = INTERNAL_ROLES
    write_roles = AUDIT_WRITE_ROLES

    def visible_audits(self):
        return selectors.audit_list(
            program=self.program, user=self.request.user, membership=self.membership
        )

    def visible_findings(self):
        return selectors.findings_visible(
            program=self.program, user=self.request.user, membership=self.membership
        )

    def require_edit(self, audit):
        if not selectors.audit_can_edit(
            audit=audit, user=self.request.user, membership=self.membership
        ):
            raise PermissionDenied()


def _evidence_list(view, **parent):
    rows = selectors.evidence_list(program=view.program, **parent)
    return Response(
        AuditEvidenceSerializer(rows, many=True, context=view.get_serializer_context()).data
    )


def _evidence_attach(view, request, **parent):
    body = AuditEvidenceUploadSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    evidence = services.evidence_attach(
        actor=request.user,
        program=view.program,
        upload=body.validated_data["file"],
        description=body.validated_data["description"],
        **parent,
    )
    data = AuditEvidenceSerializer(evidence, context=view.get_serializer_context()).data
    return Response(data, status=201)


# The upload is multipart/form-data only: a file in JSON would be base64 in memory.
EVIDENCE_UPLOAD = {"multipart/form-data": AuditEvidenceUploadSerializer}


class AuditViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    AuditsViewSet,
):
    serializer_class = AuditSerializer
    queryset = Audit.objects.all()
    filterset_fields = ["status", "audit_type", "facility"]
    search_fields = ["facility__name"]
    ordering_fields = ["scheduled_date", "created_at"]

    def get_scoped_queryset(self):
        return self.visible_audits()

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        if data.get("lead_auditor") is None and self.membership.role == "auditor":
            data["lead_auditor"] = self.request.user
        created = services.audit_create(actor=self.request.user, program=self.program, **data)
        # Read back through the list's query: the answer carries finding_count and
        # coverage as the schema (and a GET) has them.
        serializer.instance = self.get_scoped_queryset().get(pk=created.pk)

    def perform_update(self, serializer):
        self.require_edit(serializer.instance)
        data = {
            k: v
            for k, v in serializer.validated_data.items()
            if k not in ("facility", "lead_auditor", "team")
        }
        updated = services.audit_update(actor=self.request.user, audit=serializer.instance, **data)
        serializer.instance = self.get_scoped_queryset().get(pk=updated.pk)

    @extend_schema(request=AuditTransitionSerializer, responses=AuditSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, *args, **kwargs):
        audit = self.get_object()
        self.require_edit(audit)
        data = AuditTransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.audit_transition(actor=request.user, audit=audit, **data.validated_data)
        return Response(AuditSerializer(self.get_object(), context={"view": self}).data)


class FindingViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, AuditsViewSet
):
    serializer_class = AuditFindingSerializer
    queryset = Finding.objects.all()
    filterset_fields = ["audit", "facility", "severity", "violation_candidate"]

    def get_scoped_queryset(self):
        return self.visible_findings()

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        self.require_edit(data["audit"])
        data["severity"] = data.get("severity") or None
        serializer.instance = services.finding_create(actor=self.request.user, **data)

    @extend_schema(request=None, responses=AuditFindingSerializer)
    @action(detail=True, methods=["post"])
    def refer(self, request, *args, **kwargs):
        if self.membership.role not in selectors.AUDIT_MANAGE_ROLES:
            raise PermissionDenied()
        finding = self.get_object()
        services.audit_finding_refer(actor=request.user, finding=finding)
        return Response(AuditFindingSerializer(self.get_object(), context={"view": self}).data)

    @extend_schema(
        summary="Evidence files of a finding",
        request=None,
        responses=AuditEvidenceSerializer(many=True),
    )
    @action(
        detail=True,
        methods=["get"],
        pagination_class=None,
        filter_backends=[],
        parser_classes=[MultiPartParser, FormParser],
    )
    def evidence(self, request, *args, **kwargs):
        return _evidence_list(self, finding=self.get_object())

    @extend_schema(
        summary="Attach an evidence file to a finding",
        description="multipart/form-data with `file` and an optional `description`. Open to "
        "admin and staff and to the audit's team. Download the file from the record's "
        "`download_url` (access-checked, never a public media URL).",
        request=EVIDENCE_UPLOAD,
        responses={201: AuditEvidenceSerializer},
    )
    @evidence.mapping.post
    def evidence_attach(self, request, *args, **kwargs):
        finding = self.get_object()
        self.require_edit(finding.audit)
        return _evidence_attach(self, request, finding=finding)


class CAPViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AuditsViewSet):
    serializer_class = CAPSerializer
    queryset = CorrectiveActionPlan.objects.all()

    def get_scoped_queryset(self):
        return selectors.cap_list(program=self.program)

    def paginate_queryset(self, queryset):
        # Counted for the page's CAPs only, after the page is cut.
        page = super().paginate_queryset(queryset)
        return None if page is None else selectors.with_cap_counts(page)

    def get_object(self):
        return selectors.with_cap_counts([super().get_object()])[0]

    @extend_schema(
        description="The program's progress rate and series, and the rate of one page of "
        "the facilities that have a CAP (by facility id; `page`), or of the facilities "
        "asked for (`facility=1,2,3`, at most one page of them).",
        parameters=[
            OpenApiParameter("as_of", OpenApiTypes.DATE, required=False),
            OpenApiParameter("facility", OpenApiTypes.STR, required=False),
            OpenApiParameter("page", OpenApiTypes.INT, required=False),
        ],
        responses=CAPProgressSerializer,
    )
    @action(detail=False, methods=["get"], filter_backends=[])
    def progress(self, request, *args, **kwargs):
        as_of = request.query_params.get("as_of")
        as_of = _date(as_of) if as_of else None
        # Rates for the facilities of this page only (they were computed for every
        # facility of the program: 20,000 at the bench's large scale).
        shown = (
            CorrectiveActionPlan.objects.filter(program=self.program)
            .order_by("facility_id")
            .values_list("facility_id", flat=True)
        )
        wanted = _facility_ids(request.query_params.get("facility"), self.paginator.page_size)
        if wanted is not None:
            shown = shown.filter(facility_id__in=wanted)
        page = list(self.paginator.paginate_queryset(shown, request, view=self))
        rates = selectors.cap_progress_by_facility(
            program=self.program, as_of=as_of, facilities=page
        )
        data = {
            "count": self.paginator.page.paginator.count,
            "next": self.paginator.get_next_link(),
            "previous": self.paginator.get_previous_link(),
            "program": selectors.cap_progress_program(program=self.program, as_of=as_of),
            "facilities": {str(pk): rates.get(pk) for pk in page},
            "series": selectors.cap_progress_series(program=self.program),
        }
        return Response(CAPProgressSerializer(data).data)


def _facility_ids(value, limit):
    from rest_framework.exceptions import ValidationError

    if not value:
        return None
    try:
        ids = [int(part) for part in value.split(",") if part.strip()]
    except ValueError as exc:
        raise ValidationError({"facility": "Facility ids separated by commas."}) from exc
    if len(ids) > limit:
        raise ValidationError({"facility": f"At most {limit} facilities at a time."})
    return ids


def _date(value):
    import datetime

    from rest_framework.exceptions import ValidationError

    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError({"as_of": "Use YYYY-MM-DD."}) from exc


class CAPItemViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    AuditsViewSet,
):
    serializer_class = CAPItemSerializer
    queryset = CAPItem.objects.all()
    write_roles = CAP_WRITE_ROLES
    filterset_fields = ["status", "facility", "cap"]

    def get_scoped_queryset(self):
        return selectors.cap_item_list(program=self.program)

    def perform_create(self, serializer):
        serializer.instance = services.cap_item_create(
            actor=self.request.user, program=self.program, **serializer.validated_data
        )

    @extend_schema(request=CAPItemTransitionSerializer, responses=CAPItemSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, *args, **kwargs):
        item = self.get_object()
        data = CAPItemTransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.cap_item_transition(actor=request.user, item=item, **data.validated_data)
        return Response(CAPItemSerializer(self.get_object(), context={"view": self}).data)

    @extend_schema(request=CAPItemCommentSerializer, responses={201: CAPItemCommentSerializer})
    @action(detail=True, methods=["post"])
    def comment(self, request, *args, **kwargs):
        item = self.get_object()
        data = CAPItemCommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.cap_item_comment(actor=request.user, item=item, **data.validated_data)
        return Response({"body": comment.body}, status=201)

    @extend_schema(
        summary="Evidence files of a CAP item",
        request=None,
        responses=AuditEvidenceSerializer(many=True),
    )
    @action(
        detail=True,
        methods=["get"],
        pagination_class=None,
        filter_backends=[],
        parser_classes=[MultiPartParser, FormParser],
    )
    def evidence(self, request, *args, **kwargs):
        return _evidence_list(self, cap_item=self.get_object())

    @extend_schema(
        summary="Attach an evidence file to a CAP item",
        description="multipart/form-data with `file` and an optional `description`. Download "
        "the file from the record's `download_url` (access-checked, never a media URL).",
        request=EVIDENCE_UPLOAD,
        responses={201: AuditEvidenceSerializer},
    )
    @evidence.mapping.post
    def evidence_attach(self, request, *args, **kwargs):
        return _evidence_attach(self, request, cap_item=self.get_object())


class EducationSessionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, AuditsViewSet
):
    serializer_class = EducationSessionSerializer
    queryset = EducationSession.objects.all()
    filterset_fields = ["facility", "language"]

    def get_scoped_queryset(self):
        return selectors.education_list(program=self.program)

    def perform_create(self, serializer):
        serializer.instance = services.education_session_record(
            actor=self.request.user, program=self.program, **serializer.validated_data
        )

    @extend_schema(responses=EducationReachSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def reach(self, request, *args, **kwargs):
        rows = selectors.education_reach(program=self.program)
        return Response(EducationReachSerializer(rows, many=True).data)


class ReportViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, AuditsViewSet
):
    authz_actions = {"create": ("audits.view", "report.request")}
    serializer_class = AuditReportSerializer
    queryset = Report.objects.all()
    write_roles = INTERNAL_ROLES

    def get_scoped_queryset(self):
        qs = selectors.report_list(program=self.program)
        if self.membership.role not in selectors.AUDIT_FULL_VIEW_ROLES:
            qs = qs.filter(audit__in=self.visible_audits().values("pk")) | qs.filter(
                audit__isnull=True
            )
        return qs

    def perform_create(self, serializer):
        serializer.instance = services.report_request(
            actor=self.request.user, program=self.program, **serializer.validated_data
        )


router = SimpleRouter()
router.register("audits", AuditViewSet, basename="audit")
router.register("audit-findings", FindingViewSet, basename="finding")
router.register("caps", CAPViewSet, basename="cap")
router.register("cap-items", CAPItemViewSet, basename="cap-item")
router.register("education-sessions", EducationSessionViewSet, basename="education-session")
router.register("audit-reports", ReportViewSet, basename="report")
urlpatterns = router.urls
