"""Worker education sessions."""

import logging

from django.db import transaction
from django.utils import timezone

from core.audit import audit_log
from core.authz import require_member
from core.errors import DomainError
from core.tenancy import same_program

from ..models import (
    EducationSession,
)
from ._common import _user_id

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- education


@transaction.atomic
def education_session_record(
    *, actor, program, facility, date, language, educator, attendance_count, topics=(), materials=""
):
    require_member(actor, program, "education.record")
    same_program(program, facility)
    if attendance_count < 0:
        raise DomainError("Attendance cannot be negative.")
    if date > timezone.localdate():
        raise DomainError("A session is recorded after it took place.")
    session = EducationSession(
        program=program,
        facility=facility,
        date=date,
        language=language,
        educator=educator,
        attendance_count=attendance_count,
        topics=list(topics),
        materials=materials,
        recorded_by=actor if _user_id(actor) else None,
    )
    session.full_clean()
    session.save()
    audit_log(
        program=program,
        actor=actor,
        verb="education_session.recorded",
        obj=session,
        payload={"facility": facility.pk, "date": date, "attendance": attendance_count},
    )
    return session
