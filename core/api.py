"""API-wide helpers: turning domain errors into clear 4xx responses."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError, IllegalTransition
from core.storage import StorageUnavailable

STORAGE_UNAVAILABLE = (
    "The file could not be stored just now; nothing was saved. Try again in a few minutes."
)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        # A service's refusal of who is asking ("forbidden") is a 403 in every API, as
        # the HTML pages answer it; an illegal state change is a conflict.
        if exc.code == "forbidden":
            code = status.HTTP_403_FORBIDDEN
        elif isinstance(exc, IllegalTransition):
            code = status.HTTP_409_CONFLICT
        else:
            code = status.HTTP_400_BAD_REQUEST
        return Response({"detail": exc.message, "code": exc.code}, status=code)
    if isinstance(exc, StorageUnavailable):
        # Object storage down or hung: nothing was recorded (the service's transaction
        # rolled back); the client may simply try again.
        return Response(
            {"detail": STORAGE_UNAVAILABLE, "code": "storage_unavailable"},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "60"},
        )
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    return drf_exception_handler(exc, context)
