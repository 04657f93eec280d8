"""Intake: a complaint from the public form or logged by staff, with its receipt code."""

import contextlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from complaints import crypto, notices
from complaints.models import (
    STAFF_CHANNELS,
    URGENT_CATEGORIES,
    WORKER_CHANNELS,
    Case,
    Channel,
    Priority,
)
from core import audit
from core.actors import PublicActor
from core.authz import require_member
from core.errors import DomainError
from core.roles import INTERNAL_ROLES
from programs.models import Category, Facility, Membership

from ._common import (
    IDENTITY_FIELDS,
    _actor_user,
    _clean_text,
    _evidence_stored,
    _inspect_all,
    _lock_intake,
    _reserve_case_id,
    _set_clocks,
    policy_for,
)


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

    ``actor`` is "anonymous" (the public form), the staff member logging a hotline,
    in-person, SMS or WhatsApp complaint, or the system for a complaint a worker filed
    on a channel (SMS, WhatsApp, voice; complaints/channels/). The receipt code is returned once and only its
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
    elif channel != Channel.WEB and not (
        getattr(actor, "is_system", False) and channel in WORKER_CHANNELS
    ):
        # The worker channels (complaints/channels/) file as the system, having checked
        # the provider's signature; a member of the public only has the web form.
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

    # Files first, before any lock: with object storage each is a network round trip,
    # and the intake lock below is the program's audit-chain lock.
    stored = []
    try:
        if inspected:
            case.pk = _reserve_case_id()
        for upload, info in inspected:
            stored.append(
                _evidence_stored(
                    case=case,
                    inspected=info,
                    upload=upload,
                    from_worker=staff is None,
                    uploaded_by=staff,
                )
            )
        return _record(program, actor, case, code, stored, payload, now)
    except BaseException:
        # Nothing refers to the files: take them away again (best effort; the encrypted
        # orphan of a failed COMMIT is harmless and referenced by nothing).
        for evidence in stored:
            with contextlib.suppress(Exception):
                evidence.file.storage.delete(evidence.file.name)
        raise


def _record(program, actor, case, code, stored, payload, now):
    last_number, chain_head = _lock_intake(program)
    case.number = last_number + 1
    case.reference = f"C-{now:%Y}-{case.number:05d}"
    case.save(force_insert=True)
    for evidence in stored:
        evidence.save()
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
