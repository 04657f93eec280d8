"""Staff REST API of the complaint line (/api/v1/programs/<program>/complaints/...)."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from core import authz
from core.roles import INTERNAL_ROLES, MANAGE_ROLES
from core.tenancy import ProgramViewSet

from . import crypto, selectors, services
from .access import case_access
from .models import Case, Evidence, Finding, Interview, Message, Note
from .serializers import (
    CaseSerializer,
    EvidenceSerializer,
    FindingSerializer,
    IdentitySerializer,
    InterviewSerializer,
    MemberSerializer,
    MessageSerializer,
    NoteSerializer,
    ReceiptSerializer,
    RetaliationSerializer,
    StaffIntakeSerializer,
    TransitionSerializer,
    TriageSerializer,
)
from .views import IdsFirstPaginator

app_name = "complaints-api"


class IdsFirstPagination(PageNumberPagination):
    """Deep pages (page 2015 of 100,000 cases) read the page's ids from the order index
    first, then 50 rows with their joins, instead of joining and sorting every case
    before an OFFSET (the staff list's IdsFirstPaginator)."""

    django_paginator_class = IdsFirstPaginator


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ProgramViewSet):
    """Complaint cases. Investigators see only the cases assigned or shared to them."""

    pagination_class = IdsFirstPagination

    serializer_class = CaseSerializer
    queryset = Case.objects.all()
    read_roles = INTERNAL_ROLES
    write_roles = INTERNAL_ROLES
    filterset_fields = ["status", "priority", "category", "channel", "facility"]
    search_fields = ["reference"]
    ordering_fields = ["received_at", "resolution_due", "priority"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_scoped_queryset(self):
        return selectors.case_list(
            program=self.program, user=self.request.user, membership=self.membership
        )

    def _case(self, need):
        case = self.get_object()
        access = case_access(case=case, user=self.request.user, membership=self.membership)
        if not getattr(access, need):
            raise PermissionDenied()
        return case

    def _respond(self, case):
        case = selectors.case_get(
            program=self.program, user=self.request.user, membership=self.membership, pk=case.pk
        )
        return Response(CaseSerializer(case, context=self.get_serializer_context()).data)

    @extend_schema(request=StaffIntakeSerializer, responses={201: ReceiptSerializer})
    def create(self, request, *args, **kwargs):
        """Log a complaint received by hotline, in person, SMS or WhatsApp. The response
        carries the receipt code to pass on to the worker: it is not stored and cannot be
        shown again."""
        if not authz.can(request.user, self.program, "complaint.log", membership=self.membership):
            raise PermissionDenied()
        serializer = StaffIntakeSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        case, code = services.complaint_submit(
            actor=request.user,
            program=self.program,
            narrative=d["narrative"],
            category=d["category"],
            facility=d.get("facility"),
            facility_description=d.get("facility_description", ""),
            occurred=d.get("occurred", ""),
            language=d["language"],
            channel=d["channel"],
            identity=serializer.identity(),
            evidence=[d["evidence"]] if d.get("evidence") else [],
        )
        body = {
            "reference": case.reference,
            "receipt_code": crypto.format_receipt_code(code),
            "status": case.status,
        }
        return Response(body, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})

    @extend_schema(request=TriageSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def triage(self, request, *args, **kwargs):
        case = self._case("manage")
        s = TriageSerializer(data=request.data, context=self.get_serializer_context())
        s.is_valid(raise_exception=True)
        d = s.validated_data
        case = services.case_triage(
            actor=request.user,
            case=case,
            category=d["category"],
            priority=d["priority"],
            provisions=d.get("provisions", []),
            facility=d.get("facility"),
            note=d.get("note", ""),
        )
        return self._respond(case)

    @extend_schema(request=MemberSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, *args, **kwargs):
        case = self._case("manage")
        s = MemberSerializer(data=request.data, context=self.get_serializer_context())
        s.is_valid(raise_exception=True)
        case = services.case_assign(
            actor=request.user,
            case=case,
            investigator=s.validated_data["user"],
            with_identity=s.validated_data["with_identity"],
        )
        return self._respond(case)

    @extend_schema(request=MemberSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def share(self, request, *args, **kwargs):
        case = self._case("manage")
        s = MemberSerializer(data=request.data, context=self.get_serializer_context())
        s.is_valid(raise_exception=True)
        case = services.case_share(
            actor=request.user,
            case=case,
            user=s.validated_data["user"],
            with_identity=s.validated_data["with_identity"],
        )
        return self._respond(case)

    @extend_schema(request=TransitionSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, *args, **kwargs):
        case = self._case("work")
        s = TransitionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        case = services.case_transition(
            actor=request.user,
            case=case,
            status=d["status"],
            outcome=d.get("outcome", ""),
            summary=d.get("summary", ""),
            reason=d.get("reason", ""),
        )
        return self._respond(case)

    @extend_schema(request=RetaliationSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def retaliation(self, request, *args, **kwargs):
        case = self._case("manage")
        s = RetaliationSerializer(data=request.data, context=self.get_serializer_context())
        s.is_valid(raise_exception=True)
        case = services.case_flag_retaliation(
            actor=request.user,
            case=case,
            original=s.validated_data["original"],
            note=s.validated_data["note"],
        )
        return self._respond(case)

    @extend_schema(request=None, responses=IdentitySerializer)
    @action(detail=True, methods=["post"])
    def identity(self, request, *args, **kwargs):
        """Reveal the complainant's identity (POST: each call is an audit event)."""
        case = self._case("view")
        access = case_access(case=case, user=request.user, membership=self.membership)
        if not access.identity:
            raise PermissionDenied()
        data = services.case_identity_reveal(actor=request.user, case=case, purpose="api")
        return Response(data, headers={"Cache-Control": "no-store"})


class CaseChildViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, ProgramViewSet):
    """Base for the lists under one case (notes, messages, evidence, interviews, findings)."""

    read_roles = INTERNAL_ROLES
    write_roles = INTERNAL_ROLES
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filter_backends = []

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Resolve the case before any input is validated: another program's case is a
        # 404 whatever the body says.
        self.get_case()
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            self.check_work()

    def get_case(self):
        if not hasattr(self, "_case_obj"):
            try:
                self._case_obj = selectors.case_get(
                    program=self.program,
                    user=self.request.user,
                    membership=self.membership,
                    pk=self.kwargs["case_pk"],
                )
            except Http404 as exc:
                raise NotFound() from exc
        return self._case_obj

    def check_work(self):
        access = case_access(
            case=self.get_case(), user=self.request.user, membership=self.membership
        )
        if not access.work:
            raise PermissionDenied()


class NoteViewSet(CaseChildViewSet):
    serializer_class = NoteSerializer
    queryset = Note.objects.all()

    def get_scoped_queryset(self):
        return selectors.note_list(program=self.program, case=self.get_case())

    def perform_create(self, serializer):
        self.check_work()
        serializer.instance = services.note_add(
            actor=self.request.user, case=self.get_case(), body=serializer.validated_data["body"]
        )


class MessageViewSet(CaseChildViewSet):
    serializer_class = MessageSerializer
    queryset = Message.objects.all()

    def get_scoped_queryset(self):
        return selectors.message_list(program=self.program, case=self.get_case())

    def perform_create(self, serializer):
        self.check_work()
        attachment = serializer.validated_data.get("attachment")
        serializer.instance = services.message_send(
            actor=self.request.user,
            case=self.get_case(),
            body=serializer.validated_data["body"],
            attachments=[attachment] if attachment else [],
        )


class EvidenceViewSet(CaseChildViewSet):
    serializer_class = EvidenceSerializer
    queryset = Evidence.objects.all()
    parser_classes = [MultiPartParser, FormParser]

    def get_scoped_queryset(self):
        return selectors.evidence_list(program=self.program, case=self.get_case())

    def perform_create(self, serializer):
        self.check_work()
        serializer.instance = services.evidence_add(
            actor=self.request.user,
            case=self.get_case(),
            upload=serializer.validated_data["file"],
            description=serializer.validated_data.get("description", ""),
        )


class InterviewViewSet(CaseChildViewSet):
    serializer_class = InterviewSerializer
    queryset = Interview.objects.all()

    def get_scoped_queryset(self):
        return selectors.interview_list(program=self.program, case=self.get_case())

    def perform_create(self, serializer):
        self.check_work()
        d = serializer.validated_data
        serializer.instance = services.interview_record(
            actor=self.request.user,
            case=self.get_case(),
            kind=d["kind"],
            conducted_on=d["conducted_on"],
            summary=d["summary"],
            language=d.get("language", ""),
        )


class CaseFindingViewSet(CaseChildViewSet):
    serializer_class = FindingSerializer
    queryset = Finding.objects.all()

    def get_scoped_queryset(self):
        return selectors.finding_list(program=self.program, case=self.get_case())

    def perform_create(self, serializer):
        self.check_work()
        d = serializer.validated_data
        serializer.instance = services.finding_add(
            actor=self.request.user,
            case=self.get_case(),
            provision=d["provision"],
            facts=d["facts"],
            severity=d.get("severity"),
            facility=d.get("facility"),
        )


class FindingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ProgramViewSet):
    """Findings of every case the member can see; ``refer`` proposes a violation."""

    serializer_class = FindingSerializer
    queryset = Finding.objects.all()
    read_roles = INTERNAL_ROLES
    write_roles = MANAGE_ROLES
    filterset_fields = ["severity", "provision", "facility"]
    ordering_fields = ["created_at"]

    def get_scoped_queryset(self):
        visible = selectors.visible_cases(
            program=self.program, user=self.request.user, membership=self.membership
        )
        return selectors.finding_list(program=self.program).filter(case__in=visible)

    @extend_schema(request=None, responses=FindingSerializer)
    @action(detail=True, methods=["post"])
    def refer(self, request, *args, **kwargs):
        finding = services.finding_refer(actor=request.user, finding=self.get_object())
        return Response(FindingSerializer(finding, context=self.get_serializer_context()).data)


router = SimpleRouter()
router.register("complaints/cases", CaseViewSet, basename="case")
router.register("complaints/findings", FindingViewSet, basename="finding")
child = r"complaints/cases/(?P<case_pk>\d+)/"
router.register(child + "notes", NoteViewSet, basename="case-note")
router.register(child + "messages", MessageViewSet, basename="case-message")
router.register(child + "evidence", EvidenceViewSet, basename="case-evidence")
router.register(child + "interviews", InterviewViewSet, basename="case-interview")
router.register(child + "findings", CaseFindingViewSet, basename="case-finding")
urlpatterns = router.urls
