"""Public REST API of the complaint line (/api/v1/public/<program>/complaints/...).

No authentication, no session, no address (PublicPrivacyMiddleware). Lookups by receipt
code are POSTs (the code never appears in a URL) and throttled per program and globally
(see complaints/throttle.py for why not per client).
"""

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.actors import PUBLIC
from programs.models import Program

from . import crypto, selectors, services
from .public_views import public_outcome_text, public_status_text
from .serializers import (
    ComplaintIntakeSerializer,
    PublicMessageSerializer,
    PublicStatusSerializer,
    ReceiptCodeSerializer,
    ReceiptSerializer,
    WorkerMessageSerializer,
)
from .throttle import PublicSubmitThrottle, ReceiptLookupThrottle

app_name = "complaints-public-api"

NOT_FOUND = {"detail": "No complaint matches this receipt code.", "code": "not_found"}
NO_STORE = {"Cache-Control": "no-store"}


class PublicView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.program = self.load_program(kwargs["program"])
        if self.program is None:
            raise Http404

    def load_program(self, slug):
        return Program.objects.filter(slug=slug).first()

    def _status_body(self, case):
        return {
            "reference": case.reference,
            "status": case.status,
            "status_text": public_status_text(case),
            "outcome": case.outcome,
            "outcome_text": public_outcome_text(case),
            "messages": PublicMessageSerializer(selectors.public_thread(case=case), many=True).data,
        }

    def _lookup(self, serializer):
        """Validate the code; the same 404 for every wrong code."""
        serializer.is_valid(raise_exception=True)
        case = selectors.case_for_receipt(
            program=self.program, code=serializer.validated_data["receipt_code"]
        )
        return case


class SubmitView(PublicView):
    throttle_classes = [PublicSubmitThrottle]

    def load_program(self, slug):
        # The intake's clocks come with the program (one query less per submission).
        program, self.policy = selectors.program_for_intake(slug)
        return program

    @extend_schema(
        request=ComplaintIntakeSerializer,
        responses={201: ReceiptSerializer},
        summary="File a complaint (anonymous by default)",
    )
    def post(self, request, *args, **kwargs):
        """Returns the receipt code once (16 digits in groups of four); keep it to follow
        the case. Only a keyed hash of it is stored."""
        serializer = ComplaintIntakeSerializer(data=request.data, context={"view": self})
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        case, code = services.complaint_submit(
            actor=PUBLIC,
            program=self.program,
            narrative=d["narrative"],
            category=d["category"],
            facility=d.get("facility"),
            facility_description=d.get("facility_description", ""),
            occurred=d.get("occurred", ""),
            language=d["language"],
            identity=serializer.identity(),
            evidence=[d["evidence"]] if d.get("evidence") else [],
            policy=self.policy,
        )
        body = {
            "reference": case.reference,
            "receipt_code": crypto.format_receipt_code(code),
            "status": case.status,
        }
        return Response(body, status=status.HTTP_201_CREATED, headers=NO_STORE)


class StatusView(PublicView):
    throttle_classes = [ReceiptLookupThrottle]

    @extend_schema(
        request=ReceiptCodeSerializer,
        responses={200: PublicStatusSerializer, 404: OpenApiResponse(description="wrong code")},
        summary="Status and messages of a complaint, by receipt code",
    )
    def post(self, request, *args, **kwargs):
        case = self._lookup(ReceiptCodeSerializer(data=request.data))
        if case is None:
            return Response(NOT_FOUND, status=status.HTTP_404_NOT_FOUND, headers=NO_STORE)
        return Response(self._status_body(case), headers=NO_STORE)


class ReplyView(PublicView):
    throttle_classes = [ReceiptLookupThrottle]

    @extend_schema(
        request=WorkerMessageSerializer,
        responses={201: PublicStatusSerializer, 404: OpenApiResponse(description="wrong code")},
        summary="Send a message (and optionally a file) to the investigator",
    )
    def post(self, request, *args, **kwargs):
        serializer = WorkerMessageSerializer(data=request.data)
        case = self._lookup(serializer)
        if case is None:
            return Response(NOT_FOUND, status=status.HTTP_404_NOT_FOUND, headers=NO_STORE)
        attachment = serializer.validated_data.get("attachment")
        services.message_receive(
            case=case,
            body=serializer.validated_data["body"],
            attachments=[attachment] if attachment else [],
        )
        return Response(self._status_body(case), status=status.HTTP_201_CREATED, headers=NO_STORE)


urlpatterns = [
    # Paths relative to /api/v1/public/<program>/complaints/
    path("submit/", SubmitView.as_view(), name="submit"),
    path("status/", StatusView.as_view(), name="status"),
    path("status/messages/", ReplyView.as_view(), name="reply"),
]
