"""Helpers shared by the complaints services: locks, access checks, clocks, evidence."""

import datetime
import logging

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection
from django.utils.translation import gettext as _

from complaints.access import case_access
from complaints.models import (
    Case,
    ComplaintPolicy,
    Evidence,
)
from complaints.uploads import inspect_upload
from core import audit
from core.actors import SystemActor
from core.errors import DomainError
from core.storage import StorageUnavailable

log = logging.getLogger(__name__)

_NUMBER_LOCK = 0x4350  # advisory-lock namespace for per-program case numbers
MAX_NARRATIVE = 20_000
MAX_MESSAGE = 10_000
IDENTITY_FIELDS = ("name", "phone", "email", "other")


# Who writes when no member acts: the complainant (through the receipt code) and jobs.
COMPLAINANT = SystemActor("complainant")
SYSTEM = SystemActor("system")


def _actor_user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _lock(case):
    """Reload the case FOR NO KEY UPDATE (the caller's transaction holds the row lock),
    after the program's chain lock: the lock order of core/audit.py."""
    audit.chain_lock(case.program_id)
    return Case.objects.select_for_update(no_key=True).get(pk=case.pk, program_id=case.program_id)


def _require(access_flag, message="You are not allowed to do this on this case."):
    if not access_flag:
        raise DomainError(message, code="forbidden")


def _access(actor, case):
    from complaints.access import membership_of

    return case_access(case=case, user=actor, membership=membership_of(actor, case.program))


def policy_for(program):
    return ComplaintPolicy.objects.filter(program=program).first() or ComplaintPolicy(
        program=program
    )


def _set_clocks(case, policy=None, *, start=None):
    policy = policy or policy_for(case.program)
    clock = policy.clock_for(case.priority)
    base = case.received_at
    case.ack_due = base + datetime.timedelta(hours=clock["ack_hours"])
    case.triage_due = base + datetime.timedelta(hours=clock["triage_hours"])
    case.resolution_due = (start or base) + datetime.timedelta(days=clock["resolution_days"])


def _clean_text(value, *, field, label, required=True, limit=MAX_NARRATIVE):
    value = (value or "").strip() if isinstance(value, str) else value
    if value is not None and not isinstance(value, str):
        raise ValidationError({field: f"{label} must be text."})
    if required and not value:
        raise ValidationError({field: f"{label} is required."})
    if value and len(value) > limit:
        raise ValidationError({field: f"{label} is too long (at most {limit} characters)."})
    return value or ""


def _lock_intake(program):
    """Take the program's case-number lock and its audit-chain lock in one statement,
    then read the last case number and the chain's head in one more; return
    ``(last_number, chain_head)``.

    Both locks are transaction-scoped: they make numbers gap-free (a rolled-back intake
    frees its number with the lock) and the chain linear, and they are held to commit,
    so every submission to a program waits for the one before it to commit. That is why
    the caller does all its other work (validation, encryption, HMAC, clocks, building
    the row) first and takes them last: the locked stretch is this, two INSERTs and the
    COMMIT (plus the evidence rows and files when the worker attached some: their path
    needs the case's id). Order: number lock, then chain lock, the order in which intake
    has always taken them. The reads are a statement of their own because a READ COMMITTED
    snapshot is taken when a statement starts: read in the locking statement, they could
    see the state from before the previous holder committed."""
    lock_sql, lock_params = audit.chain_lock_sql(program.pk)
    head_sql, head_params = audit.chain_head_sql(program.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT pg_advisory_xact_lock(%s, %s), {lock_sql}",
            [_NUMBER_LOCK, program.pk, *lock_params],
        )
        # head_sql is core.audit's constant text; every value is a bound parameter.
        read = (
            "SELECT (SELECT max(number) FROM complaints_case WHERE program_id = %s),"  # noqa: S608
            " head.seq, head.hash FROM (SELECT 1) one LEFT JOIN LATERAL ("
            + head_sql
            + ") head ON true"
        )
        cursor.execute(read, [program.pk, *head_params])
        last_number, seq, digest = cursor.fetchone()
    return (last_number or 0), ((seq, digest) if seq is not None else None)


def _reserve_case_id():
    """The id the next case will have, taken from its sequence now, so its evidence can
    be stored under the case's folder before the intake lock is taken."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [Case._meta.db_table])
        return cursor.fetchone()[0]


def _store_evidence(*, field="evidence", **kwargs):
    evidence = _evidence_stored(field=field, **kwargs)
    evidence.save()
    return evidence


def _evidence_stored(
    *, case, inspected, upload, from_worker, uploaded_by, message=None, desc="", field="evidence"
):
    """An unsaved Evidence row whose file is already in storage (encrypted). With object
    storage that is a network round trip: intake does it before taking the program's
    locks. Storage down: a clear error on the file's field, nothing recorded."""
    evidence = Evidence(
        program_id=case.program_id,
        case=case,
        message=message,
        content_type=inspected["content_type"],
        size=inspected["size"],
        sha256=inspected["sha256"],
        description=desc[:300],
        from_worker=from_worker,
        uploaded_by=uploaded_by,
    )
    upload.seek(0)
    try:
        evidence.file.save(inspected["name"], ContentFile(upload.read()), save=False)
    except StorageUnavailable as exc:
        log.warning("evidence not stored, storage unavailable: %s", exc)
        text = _(
            "Your file could not be saved just now. Try again in a few minutes, or send "
            "without the file."
        )
        raise ValidationError({field: [text]}) from exc
    return evidence


def _inspect_all(uploads, field="evidence"):
    inspected = []
    for upload in uploads or []:
        try:
            inspected.append((upload, inspect_upload(upload)))
        except ValidationError as exc:
            raise ValidationError({field: exc.messages}) from exc
    return inspected
