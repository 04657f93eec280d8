"""Writes of the complaints app.

Every function is ``<noun>_<verb>(*, actor, ...)``, runs in one transaction
(``@transaction.atomic``), validates, appends an AuditEvent in that transaction and defers
side effects (mail, tasks) with ``transaction.on_commit``. Audit payloads never hold the
complainant's identity, the narrative or the receipt code.

Locking: state changes of one case take ``SELECT ... FOR UPDATE`` on the case row first
(``_lock``), so two staff members cannot both move it, and the status read for the
transition check is the committed one.
"""

import datetime
import logging

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from core import audit
from core.actors import PublicActor, SystemActor
from core.audit import audit_log
from core.authz import require_member
from core.errors import DomainError, IllegalTransition, check_transition
from core.models import NotificationKind
from core.notifications import notify
from core.roles import INTERNAL_ROLES, MANAGE_ROLES, Role
from core.tenancy import same_program
from enforcement.services import violation_propose
from programs.models import Category, Facility, Membership, Provision, Severity

from . import crypto, notices
from .access import PERM_IDENTITY, PERM_INVESTIGATE, case_access
from .models import (
    CASE_TRANSITIONS,
    DEFAULT_CLOCKS,
    EARLY_OUTCOMES,
    STAFF_CHANNELS,
    URGENT_CATEGORIES,
    Case,
    CaseProvision,
    CaseStatus,
    Channel,
    ComplaintPolicy,
    Direction,
    Evidence,
    Finding,
    Interview,
    Message,
    Note,
    Outcome,
    Priority,
)
from .uploads import inspect_upload

log = logging.getLogger(__name__)

_NUMBER_LOCK = 0x4350  # advisory-lock namespace for per-program case numbers
MAX_NARRATIVE = 20_000
MAX_MESSAGE = 10_000
IDENTITY_FIELDS = ("name", "phone", "email", "other")


# Who writes when no member acts: the complainant (through the receipt code) and jobs.
COMPLAINANT = SystemActor("complainant")
SYSTEM = SystemActor("system")

# ---------------------------------------------------------------- helpers


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
    from .access import membership_of

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


def _store_evidence(*, case, inspected, upload, from_worker, uploaded_by, message=None, desc=""):
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
    evidence.file.save(inspected["name"], ContentFile(upload.read()), save=False)
    evidence.save()
    return evidence


def _inspect_all(uploads, field="evidence"):
    inspected = []
    for upload in uploads or []:
        try:
            inspected.append((upload, inspect_upload(upload)))
        except ValidationError as exc:
            raise ValidationError({field: exc.messages}) from exc
    return inspected


# ---------------------------------------------------------------- intake


@transaction.atomic
def complaint_submit(
    *,
    actor,
    program,
    narrative,
    category=Category.OTHER,
    facility=None,
    facility_description="",
    occurred="",
    language="en",
    channel=Channel.WEB,
    identity=None,
    evidence=None,
    policy=None,
):
    """File a complaint; return ``(case, receipt_code)``.

    ``actor`` is "anonymous" (the public form) or the staff member logging a hotline,
    in-person, SMS or WhatsApp complaint. The receipt code is returned once and only its
    HMAC is stored. Uploads are checked before anything is written, so a rejected file
    leaves nothing behind. Nothing about the request (address, agent) is recorded.
    ``policy``: the program's ComplaintPolicy if the caller already has it (the public
    API reads it with the program); read here otherwise.

    Locking: the program's case-number and audit-chain locks (``_lock_intake``), taken
    after everything else is ready and held to commit.
    """
    if not isinstance(actor, PublicActor):
        require_member(actor, program, "complaint.log")
    staff = _actor_user(actor)
    if staff is not None:
        membership = Membership.objects.filter(user=staff, program=program, is_active=True).first()
        if membership is None or membership.role not in INTERNAL_ROLES:
            raise DomainError("Only program members can log complaints.", code="forbidden")
        if channel not in STAFF_CHANNELS:
            raise ValidationError({"channel": "Choose the channel the complaint came in by."})
    elif channel != Channel.WEB:
        raise ValidationError({"channel": "Public submissions come through the web form."})
    narrative = _clean_text(narrative, field="narrative", label="What happened")
    facility_description = _clean_text(
        facility_description, field="facility_description", label="Workplace", required=False
    )[:300]
    occurred = _clean_text(occurred, field="occurred", label="When", required=False)[:200]
    if category not in Category.values:
        raise ValidationError({"category": "Choose a category from the list."})
    if facility is not None:
        if not isinstance(facility, Facility) or facility.program_id != program.pk:
            raise ValidationError({"facility": "Choose a workplace of this program."})
    elif not facility_description:
        raise ValidationError(
            {"facility_description": "Choose your workplace or describe where it is."}
        )
    from django.conf import settings

    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    identity = {k: (identity or {}).get(k, "") for k in IDENTITY_FIELDS}
    ciphertext = crypto.encrypt_identity(identity)
    inspected = _inspect_all(evidence)

    now = timezone.now()
    code = crypto.new_receipt_code()
    case = Case(
        program=program,
        receipt_hash=crypto.receipt_hash(code),
        channel=channel,
        category=category,
        priority=Priority.URGENT if category in URGENT_CATEGORIES else Priority.NORMAL,
        facility=facility,
        supplier_id=facility.supplier_id if facility else None,
        facility_description=facility_description,
        narrative=narrative,
        occurred=occurred,
        language=language,
        is_anonymous=not ciphertext,
        identity_ciphertext=ciphertext,
        logged_by=staff,
        received_at=now,
    )
    _set_clocks(case, policy or policy_for(program))
    payload = {
        "channel": channel,
        "category": category,
        "priority": case.priority,
        "facility": facility.pk if facility else None,
        "anonymous": case.is_anonymous,
        "evidence": len(inspected),
    }

    last_number, chain_head = _lock_intake(program)
    case.number = last_number + 1
    case.reference = f"C-{now:%Y}-{case.number:05d}"
    case.save(force_insert=True)
    for upload, info in inspected:
        _store_evidence(
            case=case, inspected=info, upload=upload, from_worker=staff is None, uploaded_by=staff
        )
    audit.audit_append(
        program=program,
        actor=actor,
        entries=[
            {
                "verb": "case.received",
                "obj": case,
                "payload": {"reference": case.reference, **payload},
            }
        ],
        head=chain_head,
    )
    transaction.on_commit(lambda: notices.schedule(program.pk))
    return case, code


# ---------------------------------------------------------------- triage and assignment


@transaction.atomic
def case_acknowledge(*, actor, case):
    """Record that the complainant has been acknowledged (first contact). Idempotent."""
    require_member(actor, case.program, "case.work", case)
    case = _lock(case)
    if case.acknowledged_at is None:
        case.acknowledged_at = timezone.now()
        case.save(update_fields=["acknowledged_at", "updated_at"])
        audit_log(program=case.program, actor=actor, verb="case.acknowledged", obj=case)
    return case


@transaction.atomic
def case_triage(
    *, actor, case, category, priority, provisions=(), facility=None, supplier=None, note=""
):
    """Set category, priority, provisions and the workplace.

    From ``received`` this moves the case to ``triaged`` (and acknowledges it); on a
    triaged or investigating case it updates the triage. Any zero-tolerance provision
    makes the case urgent. Clocks are recomputed from the time of receipt.
    """
    require_member(actor, case.program, "case.manage", case)
    case = _lock(case)
    _require(_access(actor, case).manage)
    program = case.program
    if case.status == CaseStatus.RECEIVED:
        check_transition(CASE_TRANSITIONS, case.status, CaseStatus.TRIAGED, "case")
    elif case.status not in (CaseStatus.TRIAGED, CaseStatus.INVESTIGATING):
        raise IllegalTransition(f"A {case.status} case cannot be triaged.")
    if category not in Category.values:
        raise ValidationError({"category": "Unknown category."})
    if priority not in Priority.values:
        raise ValidationError({"priority": "Unknown priority."})
    provisions = list(provisions or [])
    for p in provisions:
        if not isinstance(p, Provision) or p.program_id != program.pk:
            raise ValidationError({"provisions": "Choose provisions of this program's code."})
    same_program(program, facility, supplier)
    if facility is not None:
        supplier = facility.supplier
    if any(p.severity == Severity.ZERO_TOLERANCE for p in provisions) or category in (
        URGENT_CATEGORIES
    ):
        priority = Priority.URGENT
    now = timezone.now()
    old = {"status": case.status, "priority": case.priority, "category": case.category}
    if case.status == CaseStatus.RECEIVED:
        case.status = CaseStatus.TRIAGED
        case.triaged_at = now
    case.acknowledged_at = case.acknowledged_at or now
    case.category = category
    case.priority = priority
    case.facility = facility or case.facility
    case.supplier = supplier or case.supplier
    _set_clocks(case)
    case.save()
    CaseProvision.objects.filter(case=case).exclude(provision__in=provisions).delete()
    existing = set(CaseProvision.objects.filter(case=case).values_list("provision_id", flat=True))
    CaseProvision.objects.bulk_create(
        [
            CaseProvision(program=program, case=case, provision=p)
            for p in provisions
            if p.pk not in existing
        ]
    )
    if note and note.strip():
        Note.objects.create(program=program, case=case, author=actor, body=note.strip())
    audit_log(
        program=program,
        actor=actor,
        verb="case.triaged",
        obj=case,
        payload={
            "from": old,
            "status": case.status,
            "category": category,
            "priority": priority,
            "provisions": [p.pk for p in provisions],
            "facility": case.facility_id,
            "supplier": case.supplier_id,
        },
    )
    return case


def _eligible_member(program, user, roles=INTERNAL_ROLES):
    membership = Membership.objects.filter(user=user, program=program, is_active=True).first()
    if membership is None or membership.role not in roles:
        raise ValidationError({"investigator": "Choose an active member of this program."})
    return membership


def _grant_identity(user, case, with_identity):
    if with_identity:
        assign_perm(f"complaints.{PERM_IDENTITY}", user, case)
    else:
        remove_perm(f"complaints.{PERM_IDENTITY}", user, case)


@transaction.atomic
def case_assign(*, actor, case, investigator, with_identity=False):
    """Assign the case to a member (django-guardian grants: work on the case, and see the
    complainant's identity only if ``with_identity``; without it an identity grant the
    member held is withdrawn, so the grant always follows the flag). The previous
    assignee's grants are withdrawn."""
    require_member(actor, case.program, "case.manage", case)
    case = _lock(case)
    _require(_access(actor, case).manage)
    if not case.is_open:
        raise IllegalTransition("Only an open case can be assigned.")
    _eligible_member(
        case.program, investigator, {Role.ADMIN, Role.STAFF, Role.INVESTIGATOR, Role.AUDITOR}
    )
    previous = case.assigned_to
    if previous is not None and previous != investigator:
        remove_perm(f"complaints.{PERM_INVESTIGATE}", previous, case)
        remove_perm(f"complaints.{PERM_IDENTITY}", previous, case)
    assign_perm(f"complaints.{PERM_INVESTIGATE}", investigator, case)
    _grant_identity(investigator, case, with_identity)
    case.assigned_to = investigator
    case.save(update_fields=["assigned_to", "updated_at"])
    event = audit_log(
        program=case.program,
        actor=actor,
        verb="case.assigned",
        obj=case,
        payload={
            "to": investigator.pk,
            "from": previous.pk if previous else None,
            "identity": bool(with_identity),
        },
    )
    if investigator.email:
        notify(
            kind=NotificationKind.CASE_ASSIGNED,
            program=case.program,
            obj=case,
            # One mail per assignment (an assignee taken off and given the case back
            # hears of it again); the event's seq tells assignments apart.
            key=event.seq,
            recipients=[investigator],
            context={
                "program": case.program.name,
                "reference": case.reference,
                "priority": case.priority,
                "resolution_due": f"{case.resolution_due:%Y-%m-%d}",
            },
        )
    return case


@transaction.atomic
def case_share(*, actor, case, user, with_identity=False):
    """Share the case file with another member (e.g. an outside investigator holding an
    investigator or viewer membership). Identity only if ``with_identity``."""
    require_member(actor, case.program, "case.manage", case)
    case = _lock(case)
    _require(_access(actor, case).manage)
    _eligible_member(case.program, user)
    assign_perm(f"complaints.{PERM_INVESTIGATE}", user, case)
    _grant_identity(user, case, with_identity)
    audit_log(
        program=case.program,
        actor=actor,
        verb="case.shared",
        obj=case,
        payload={"with": user.pk, "identity": bool(with_identity)},
    )
    return case


@transaction.atomic
def case_unshare(*, actor, case, user):
    require_member(actor, case.program, "case.manage", case)
    case = _lock(case)
    _require(_access(actor, case).manage)
    if case.assigned_to_id == user.pk:
        raise DomainError("Assign the case to someone else first.")
    remove_perm(f"complaints.{PERM_INVESTIGATE}", user, case)
    remove_perm(f"complaints.{PERM_IDENTITY}", user, case)
    audit_log(
        program=case.program, actor=actor, verb="case.unshared", obj=case, payload={"with": user.pk}
    )
    return case


# ---------------------------------------------------------------- transitions


@transaction.atomic
def case_start_investigation(*, actor, case):
    require_member(actor, case.program, "case.work", case)
    case = _lock(case)
    _require(_access(actor, case).work)
    check_transition(CASE_TRANSITIONS, case.status, CaseStatus.INVESTIGATING, "case")
    if case.status == CaseStatus.TRIAGED and case.assigned_to_id is None:
        raise DomainError("Assign an investigator before the investigation starts.")
    old = case.status
    case.status = CaseStatus.INVESTIGATING
    case.save(update_fields=["status", "updated_at"])
    audit_log(
        program=case.program,
        actor=actor,
        verb="case.investigation_started",
        obj=case,
        payload={"from": old},
    )
    return case


@transaction.atomic
def case_resolve(*, actor, case, outcome, summary=""):
    """End the case with an outcome. Substantiated needs at least one finding; a case
    not yet investigated can only be withdrawn or referred."""
    require_member(actor, case.program, "case.work", case)
    case = _lock(case)
    _require(_access(actor, case).work)
    check_transition(CASE_TRANSITIONS, case.status, CaseStatus.RESOLVED, "case")
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": "Choose an outcome."})
    if case.status != CaseStatus.INVESTIGATING and outcome not in EARLY_OUTCOMES:
        raise IllegalTransition(
            "A case that was not investigated can only be withdrawn or referred."
        )
    if outcome == Outcome.SUBSTANTIATED and not Finding.objects.filter(case=case).exists():
        raise DomainError("Record at least one finding before resolving as substantiated.")
    summary = _clean_text(summary, field="summary", label="Summary", required=False)
    old = case.status
    now = timezone.now()
    case.status = CaseStatus.RESOLVED
    case.outcome = outcome
    case.outcome_summary = summary
    case.resolved_at = now
    case.acknowledged_at = case.acknowledged_at or now
    case.save()
    audit_log(
        program=case.program,
        actor=actor,
        verb="case.resolved",
        obj=case,
        payload={"from": old, "outcome": outcome},
    )
    return case


@transaction.atomic
def case_close(*, actor, case):
    require_member(actor, case.program, "case.manage", case)
    case = _lock(case)
    _require(_access(actor, case).manage)
    check_transition(CASE_TRANSITIONS, case.status, CaseStatus.CLOSED, "case")
    case.status = CaseStatus.CLOSED
    case.closed_at = timezone.now()
    case.save(update_fields=["status", "closed_at", "updated_at"])
    audit_log(program=case.program, actor=actor, verb="case.closed", obj=case, payload={})
    return case


@transaction.atomic
def case_reopen(*, actor, case, reason):
    """Back to investigating, with a reason; the resolution clock restarts now."""
    require_member(actor, case.program, "case.manage", case)
    case = _lock(case)
    _require(_access(actor, case).manage)
    check_transition(CASE_TRANSITIONS, case.status, CaseStatus.INVESTIGATING, "case")
    if case.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        raise IllegalTransition("Only a resolved or closed case can be reopened.")
    reason = _clean_text(reason, field="reason", label="A reason", limit=2000)
    if case.identity_purged_at is not None and not case.is_anonymous:
        # Reopening after the purge is allowed; the identity is simply gone.
        pass
    old = {"status": case.status, "outcome": case.outcome}
    case.status = CaseStatus.INVESTIGATING
    case.outcome = ""
    case.resolved_at = None
    case.closed_at = None
    _set_clocks(case, start=timezone.now())
    case.save()
    audit_log(
        program=case.program,
        actor=actor,
        verb="case.reopened",
        obj=case,
        payload={"from": old, "reason": reason},
    )
    return case


def case_transition(*, actor, case, status, outcome="", summary="", reason=""):
    """Dispatch a requested target status to the service that performs it."""
    require_member(actor, case.program, "case.work", case)
    if status == CaseStatus.INVESTIGATING and case.status in (
        CaseStatus.RESOLVED,
        CaseStatus.CLOSED,
    ):
        return case_reopen(actor=actor, case=case, reason=reason)
    if status == CaseStatus.INVESTIGATING:
        return case_start_investigation(actor=actor, case=case)
    if status == CaseStatus.RESOLVED:
        return case_resolve(actor=actor, case=case, outcome=outcome, summary=summary)
    if status == CaseStatus.CLOSED:
        return case_close(actor=actor, case=case)
    if status == CaseStatus.TRIAGED:
        raise DomainError("Use triage to set category and priority.")
    raise IllegalTransition(f"A case cannot go from '{case.status}' to '{status}'.")


@transaction.atomic
def case_flag_retaliation(*, actor, case, original, note=""):
    """Mark ``case`` as retaliation for having complained in ``original``: linked, urgent."""
    require_member(actor, case.program, "case.manage", case)
    case = _lock(case)
    _require(_access(actor, case).manage)
    same_program(case.program, original)
    if original.pk == case.pk:
        raise DomainError("A case cannot be retaliation for itself.")
    if not case.is_open:
        raise IllegalTransition("Only an open case can be flagged as retaliation.")
    case.is_retaliation = True
    case.retaliation_of = original
    case.priority = Priority.URGENT
    _set_clocks(case)
    case.save()
    if note and note.strip():
        Note.objects.create(program=case.program, case=case, author=actor, body=note.strip())
    audit_log(
        program=case.program,
        actor=actor,
        verb="case.retaliation_flagged",
        obj=case,
        payload={"original": original.pk, "original_reference": original.reference},
    )
    return case


# ---------------------------------------------------------------- identity


@transaction.atomic
def case_identity_reveal(*, actor, case, purpose="view"):
    """Decrypt the complainant's identity for an allowed member; every reveal is an
    audit event (even of an empty or purged identity)."""
    require_member(actor, case.program, "case.identity", case)
    from . import custody
    from .access import membership_of

    case = Case.objects.get(pk=case.pk)
    if not _access(actor, case).identity:
        raise DomainError("You are not allowed to see the complainant's identity.", "forbidden")
    payload = {"purpose": purpose, "purged": case.identity_purged_at is not None}
    if custody.needs_approval(case=case, membership=membership_of(actor, case.program)):
        approval = custody.live_approval(case=case, user=actor)
        if approval is None:
            raise DomainError(
                "A custodian must approve your request before you can see the identity.",
                "forbidden",
            )
        payload["approved_request"] = approval.pk
    audit_log(
        program=case.program,
        actor=actor,
        verb="case.identity_revealed",
        obj=case,
        payload=payload,
    )
    return crypto.decrypt_identity(case.identity_ciphertext)


@transaction.atomic
def case_identity_purge(*, actor, case):
    """Erase the identity (retention job or on request). Idempotent by conditional update."""
    require_member(actor, case.program, "case.identity_purge")
    now = timezone.now()
    audit.chain_lock(case.program_id)  # the lock order (core/audit.py): chain, then rows
    updated = Case.objects.filter(pk=case.pk, identity_purged_at__isnull=True).update(
        identity_ciphertext="", identity_purged_at=now, updated_at=now
    )
    if updated:
        audit_log(program=case.program, actor=actor, verb="case.identity_purged", obj=case)
    case.refresh_from_db()
    return case


@transaction.atomic
def identity_keys_rotate(*, actor, program):
    """Re-encrypt every stored identity of ``program`` with the first configured key."""
    require_member(actor, program, "identity_keys.rotate")
    count = 0
    audit.chain_lock(program.pk)  # the lock order (core/audit.py): chain, then rows
    for case in (
        Case.objects.select_for_update(no_key=True)
        .filter(program=program)
        .exclude(identity_ciphertext="")
    ):
        case.identity_ciphertext = crypto.rotate_token(case.identity_ciphertext)
        case.save(update_fields=["identity_ciphertext"])
        count += 1
    audit_log(
        program=program, actor=actor, verb="case.identity_keys_rotated", payload={"cases": count}
    )
    return count


# ---------------------------------------------------------------- the case file


@transaction.atomic
def note_add(*, actor, case, body):
    require_member(actor, case.program, "case.work", case)
    _require(_access(actor, case).work)
    body = _clean_text(body, field="body", label="The note", limit=MAX_MESSAGE)
    note = Note.objects.create(program_id=case.program_id, case=case, author=actor, body=body)
    audit_log(
        program=case.program, actor=actor, verb="note.added", obj=note, payload={"case": case.pk}
    )
    return note


@transaction.atomic
def message_send(*, actor, case, body, attachments=()):
    """A message from staff to the complainant (shown on the status page). The first
    one acknowledges the case."""
    require_member(actor, case.program, "case.work", case)
    case = _lock(case)
    _require(_access(actor, case).work)
    body = _clean_text(body, field="body", label="The message", limit=MAX_MESSAGE)
    inspected = _inspect_all(attachments, "attachments")
    message = Message.objects.create(
        program_id=case.program_id,
        case=case,
        direction=Direction.TO_WORKER,
        author=actor,
        body=body,
    )
    for upload, info in inspected:
        _store_evidence(
            case=case,
            inspected=info,
            upload=upload,
            from_worker=False,
            uploaded_by=actor,
            message=message,
        )
    if case.acknowledged_at is None:
        case.acknowledged_at = timezone.now()
        case.save(update_fields=["acknowledged_at", "updated_at"])
    audit_log(
        program=case.program,
        actor=actor,
        verb="message.sent",
        obj=message,
        payload={"case": case.pk, "attachments": len(inspected)},
    )
    return message


@transaction.atomic
def message_receive(*, case, body, attachments=()):
    """A message from the complainant (authenticated by the receipt code, by the view)."""
    body = _clean_text(body, field="body", label="The message", limit=MAX_MESSAGE)
    inspected = _inspect_all(attachments, "attachments")
    if case.status == CaseStatus.CLOSED:
        raise DomainError("This case is closed. Please file a new complaint.")
    message = Message.objects.create(
        program_id=case.program_id, case=case, direction=Direction.FROM_WORKER, body=body
    )
    for upload, info in inspected:
        _store_evidence(
            case=case,
            inspected=info,
            upload=upload,
            from_worker=True,
            uploaded_by=None,
            message=message,
        )
    audit_log(
        program=case.program,
        actor=COMPLAINANT,
        verb="message.received",
        obj=message,
        payload={"case": case.pk, "attachments": len(inspected)},
    )
    return message


@transaction.atomic
def evidence_add(*, actor, case, upload, description=""):
    require_member(actor, case.program, "case.work", case)
    _require(_access(actor, case).work)
    [(upload, info)] = _inspect_all([upload], "file")
    evidence = _store_evidence(
        case=case,
        inspected=info,
        upload=upload,
        from_worker=False,
        uploaded_by=actor,
        desc=(description or "").strip(),
    )
    audit_log(
        program=case.program,
        actor=actor,
        verb="evidence.added",
        obj=evidence,
        payload={"case": case.pk, "sha256": evidence.sha256, "type": evidence.content_type},
    )
    return evidence


@transaction.atomic
def interview_record(*, actor, case, kind, conducted_on, summary, language=""):
    require_member(actor, case.program, "case.work", case)
    _require(_access(actor, case).work)
    if kind not in Interview.Kind.values:
        raise ValidationError({"kind": "Choose who was interviewed."})
    if not isinstance(conducted_on, datetime.date):
        raise ValidationError({"conducted_on": "Give the date of the interview."})
    if conducted_on > timezone.localdate():
        raise ValidationError({"conducted_on": "An interview cannot be in the future."})
    summary = _clean_text(summary, field="summary", label="The summary")
    interview = Interview.objects.create(
        program_id=case.program_id,
        case=case,
        interviewer=actor,
        kind=kind,
        conducted_on=conducted_on,
        summary=summary,
        language=(language or "")[:10],
    )
    audit_log(
        program=case.program,
        actor=actor,
        verb="interview.recorded",
        obj=interview,
        payload={"case": case.pk, "kind": kind, "conducted_on": conducted_on},
    )
    return interview


@transaction.atomic
def finding_add(*, actor, case, provision, facts, severity=None, facility=None):
    """Record a finding against a code provision. Only while investigating."""
    require_member(actor, case.program, "case.work", case)
    case = _lock(case)
    _require(_access(actor, case).work)
    if case.status != CaseStatus.INVESTIGATING:
        raise IllegalTransition("Findings are recorded while the case is being investigated.")
    if not isinstance(provision, Provision) or provision.program_id != case.program_id:
        raise ValidationError({"provision": "Choose a provision of this program's code."})
    if facility is not None and (
        not isinstance(facility, Facility) or facility.program_id != case.program_id
    ):
        raise ValidationError({"facility": "Choose a facility of this program."})
    severity = severity or provision.severity
    if severity not in Severity.values:
        raise ValidationError({"severity": "Unknown severity."})
    facts = _clean_text(facts, field="facts", label="The facts")
    finding = Finding.objects.create(
        program_id=case.program_id,
        case=case,
        provision=provision,
        facility=facility or case.facility,
        facts=facts,
        severity=severity,
        created_by=actor,
    )
    audit_log(
        program=case.program,
        actor=actor,
        verb="finding.added",
        obj=finding,
        payload={"case": case.pk, "provision": provision.pk, "severity": severity},
    )
    return finding


@transaction.atomic
def finding_refer(*, actor, finding):
    """Propose a violation to enforcement from a finding of a substantiated case.

    Locks the finding row so it is referred at most once; the violation is linked.
    """
    require_member(actor, finding.program, "case.manage")
    audit.chain_lock(finding.program_id)  # the lock order (core/audit.py): chain, then rows
    finding = (
        Finding.objects.select_for_update(no_key=True, of=("self",))
        .select_related("case", "provision", "facility")
        .get(pk=finding.pk)
    )
    case = finding.case
    _require(_access(actor, case).manage)
    if finding.violation_id:
        raise DomainError("This finding was already referred to enforcement.")
    if case.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED) or (
        case.outcome != Outcome.SUBSTANTIATED
    ):
        raise DomainError("Only findings of a substantiated case can be referred.")
    if finding.facility_id is None:
        raise DomainError("Set the facility of the finding before referring it.")
    violation = violation_propose(
        actor=actor,
        program=finding.program,
        provision=finding.provision,
        facility=finding.facility,
        severity=finding.severity,
        source_kind="complaint_finding",
        source_ref=str(finding.pk),
        summary=f"Complaint {case.reference}: {finding.facts[:400]}",
    )
    finding.violation = violation
    finding.referred_at = timezone.now()
    finding.referred_by = actor
    finding.save(update_fields=["violation", "referred_at", "referred_by"])
    audit_log(
        program=finding.program,
        actor=actor,
        verb="finding.referred",
        obj=finding,
        payload={"case": case.pk, "violation": finding.violation_id},
    )
    return finding


# ---------------------------------------------------------------- policy and clocks


@transaction.atomic
def complaint_policy_set(*, actor, program, clocks=None, identity_retention_days=None):
    require_member(actor, program, "complaint_policy.set")
    membership = Membership.objects.filter(user=actor, program=program, is_active=True).first()
    if membership is None or membership.role not in MANAGE_ROLES:
        raise DomainError("Only admins and staff change the complaint policy.", "forbidden")
    audit.chain_lock(program.pk)  # the lock order (core/audit.py): chain, then rows
    policy, _ = ComplaintPolicy.objects.select_for_update(no_key=True).get_or_create(
        program=program
    )
    if clocks is not None:
        clean = {}
        for priority, values in clocks.items():
            if priority not in DEFAULT_CLOCKS:
                raise ValidationError({"clocks": f"Unknown priority '{priority}'."})
            clean[priority] = {}
            for key in ("ack_hours", "triage_hours", "resolution_days"):
                if key in values:
                    value = values[key]
                    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                        raise ValidationError(
                            {"clocks": f"{priority}.{key} must be a positive whole number."}
                        )
                    clean[priority][key] = value
        policy.clocks = clean
    if identity_retention_days is not None:
        if identity_retention_days < 1:
            raise ValidationError({"identity_retention_days": "At least one day."})
        policy.identity_retention_days = identity_retention_days
    policy.save()
    audit_log(
        program=program,
        actor=actor,
        verb="complaint_policy.set",
        obj=policy,
        payload={
            "clocks": policy.clocks,
            "identity_retention_days": policy.identity_retention_days,
        },
    )
    return policy


@transaction.atomic
def case_remind(*, case, cutoff, kinds):
    """Claim a reminder for an overdue case (conditional UPDATE: at most one per
    ``cutoff`` window whatever the redelivery); the mails are outbox rows written in
    this transaction. Returns True if a reminder was claimed."""
    now = timezone.now()
    audit.chain_lock(case.program_id)  # the lock order (core/audit.py): chain, then rows
    claimed = (
        Case.objects.filter(pk=case.pk)
        .filter(models_q_reminder(cutoff))
        .update(last_reminder_at=now)
    )
    if not claimed:
        return False
    audit_log(
        program=case.program,
        actor=SYSTEM,
        verb="case.reminder_sent",
        obj=case,
        payload={"overdue": sorted(kinds)},
    )
    _notify_overdue(case, sorted(kinds), now)
    return True


def models_q_reminder(cutoff):
    from django.db.models import Q

    return Q(last_reminder_at__isnull=True) | Q(last_reminder_at__lt=cutoff)


def _notify_overdue(case, kinds, claimed_at):
    """Outbox rows for the assignee and the program's admins and staff, in the claim's
    transaction (keyed by the claim's time: one per reminder, whatever the redelivery).
    No narrative or identity in mail: only the reference and what is overdue."""
    users = {
        m.user.pk: m.user
        for m in Membership.objects.filter(
            program_id=case.program_id, is_active=True, role__in=[Role.ADMIN, Role.STAFF]
        )
        .exclude(user__email="")
        .select_related("user")
    }
    if case.assigned_to_id and case.assigned_to.email:
        users.setdefault(case.assigned_to_id, case.assigned_to)
    notify(
        kind=NotificationKind.CASE_OVERDUE,
        program=case.program,
        obj=case,
        key=claimed_at.isoformat(),
        recipients=list(users.values()),
        context={
            "program": case.program.name,
            "reference": case.reference,
            "kinds": ", ".join(kinds),
            "priority": case.priority,
            "status": case.status,
        },
    )
