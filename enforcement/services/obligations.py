"""Buyer obligations: acknowledgement, attestation, the worker organization's
verification or rejection of the attestation, waiver, overdue and breach.

The buyer's attestation alone does not fulfil an obligation (issue 17, defect 6): it is
"attested" until program staff verify it (then "fulfilled") or reject it with a reason
(then open again; the buyer's officers are mailed the reason and can attest again). The
overdue and breach clocks run until verification."""

import datetime
import hashlib

from django.db import transaction
from django.utils import timezone

from core.actors import SystemActor
from core.audit import audit_log, chain_lock
from core.authz import require_member
from core.errors import DomainError, IllegalTransition, check_transition
from core.models import NotificationKind
from core.notifications import msgid, notify
from core.roles import Role
from core.uploads import UploadRefused, check_upload
from enforcement.models import (
    OBLIGATION_TRANSITIONS,
    BuyerBreach,
    BuyerObligation,
    ObligationState,
)
from programs.models import Membership

from ._common import today, user_or_none
from .policy import settings_for

# Evidence of fulfilment: PDFs, images, office documents (ZIP containers) and, below,
# plain-text/CSV exports of purchase orders.
EVIDENCE_TYPES = ("application/pdf", "image/", "application/zip")


def _require_officer(actor, obligation):
    """The actor must hold an active buyer_officer membership of the obligation's buyer in
    the obligation's program."""
    ok = Membership.objects.filter(
        user=user_or_none(actor),
        program_id=obligation.program_id,
        role=Role.BUYER_OFFICER,
        buyer_id=obligation.buyer_id,
        is_active=True,
    ).exists()
    if not ok:
        raise DomainError(
            "Only a compliance officer of this buyer can act on its obligations.",
            code="forbidden",
        )


def _chain_lock_of(obligation_id):
    """Take the chain lock of the obligation's program (the lock order, core/audit.py);
    False if there is no such obligation."""
    program_id = (
        BuyerObligation.objects.filter(pk=obligation_id).values_list("program_id", flat=True)
    ).first()
    if program_id is None:
        return False
    chain_lock(program_id)
    return True


def _locked(obligation):
    chain_lock(obligation.program_id)  # the lock order (core/audit.py): chain, then rows
    return BuyerObligation.objects.select_for_update(no_key=True).get(pk=obligation.pk)


NOT_ACCEPTED = (
    "This type of file is not accepted: send a PDF, an image (PNG, JPEG), an office "
    "document or a CSV/text export."
)

# The actor of what the enforcement jobs do on their own.
ENFORCEMENT = SystemActor("enforcement")


def evidence_check(evidence):
    """The one check of attestation evidence (size, type by content); forms and the API
    call it too. Raises DomainError with a message for the officer.

    A photo (it may show workers, and a phone records where it was taken) loses its
    identifying metadata here, in place: the upload then holds the stripped bytes, which
    are what obligation_attest hashes and stores. A HEIC photo becomes a JPEG."""
    try:
        check_upload(evidence, accepted=EVIDENCE_TYPES, plain_text=True)
    except UploadRefused as exc:
        raise DomainError(EVIDENCE_REFUSALS.get(exc.code, exc.message)) from exc


EVIDENCE_REFUSALS = {
    "empty": "The evidence file is empty.",
    "too_large": "The evidence file is too large.",
    "type": NOT_ACCEPTED,
    "markup": "Text evidence must be plain text or CSV; web pages and markup are not accepted.",
}


@transaction.atomic
def obligation_acknowledge(*, actor, obligation):
    """The buyer's officer acknowledges the obligation. Locks the obligation row."""
    require_member(actor, obligation.program, "obligation.respond")
    _require_officer(actor, obligation)
    obligation = _locked(obligation)
    # Only a pending obligation is acknowledged: the table also lets a rejected
    # attestation fall back to "acknowledged", which is the staff's move, not this one.
    if obligation.state != ObligationState.PENDING:
        raise IllegalTransition("This obligation was already acknowledged.")
    check_transition(
        OBLIGATION_TRANSITIONS, obligation.state, ObligationState.ACKNOWLEDGED, "obligation"
    )
    obligation.state = ObligationState.ACKNOWLEDGED
    obligation.acknowledged_by = user_or_none(actor)
    obligation.acknowledged_at = timezone.now()
    obligation.save(update_fields=["state", "acknowledged_by", "acknowledged_at"])
    audit_log(
        program=obligation.program_id,
        actor=actor,
        verb="obligation.acknowledged",
        obj=obligation,
        payload={"buyer": obligation.buyer_id},
    )
    return obligation


@transaction.atomic
def obligation_attest(*, actor, obligation, note, evidence=None):
    """The buyer's officer attests fulfilment with a note and optional evidence file
    (type checked by content, size limited). Allowed from pending, acknowledged and
    overdue (late fulfilment counts until the breach). Locks the obligation row."""
    require_member(actor, obligation.program, "obligation.respond")
    _require_officer(actor, obligation)
    note = (note or "").strip()
    if not note:
        raise DomainError("Say how the obligation was fulfilled.")
    obligation = _locked(obligation)
    check_transition(
        OBLIGATION_TRANSITIONS, obligation.state, ObligationState.ATTESTED, "obligation"
    )
    digest = ""
    if evidence is not None:
        evidence_check(evidence)
        sha = hashlib.sha256()
        for chunk in evidence.chunks():
            sha.update(chunk)
        digest = sha.hexdigest()
        evidence.seek(0)
        name = evidence.name.rsplit("/", 1)[-1][:200]
        obligation.evidence.save(name, evidence, save=False)
        obligation.evidence_name = name
        obligation.evidence_sha256 = digest
    if obligation.acknowledged_at is None:
        obligation.acknowledged_by = user_or_none(actor)
        obligation.acknowledged_at = timezone.now()
    obligation.state = ObligationState.ATTESTED
    obligation.attested_by = user_or_none(actor)
    obligation.attested_at = timezone.now()
    obligation.attestation_note = note
    obligation.save()
    audit_log(
        program=obligation.program_id,
        actor=actor,
        verb="obligation.attested",
        obj=obligation,
        payload={
            "buyer": obligation.buyer_id,
            "note": note,
            "evidence_sha256": digest,
            "after_rejection": obligation.rejected_at is not None,
        },
    )
    return obligation


def _require_attested(obligation):
    if obligation.state != ObligationState.ATTESTED:
        raise IllegalTransition(
            "Only an attested obligation can be verified or rejected; this one is "
            f"{obligation.get_state_display().lower()}."
        )


@transaction.atomic
def obligation_verify(*, actor, obligation, note=""):
    """The worker organization checked the buyer's attestation and accepts it: the
    obligation is fulfilled, and its clocks stop. Locks the obligation row."""
    require_member(actor, obligation.program, "obligation.verify")
    obligation = _locked(obligation)
    _require_attested(obligation)
    note = (note or "").strip()
    obligation.state = ObligationState.FULFILLED
    obligation.verified_by = user_or_none(actor)
    obligation.verified_at = timezone.now()
    obligation.verification_note = note
    obligation.save(update_fields=["state", "verified_by", "verified_at", "verification_note"])
    audit_log(
        program=obligation.program_id,
        actor=actor,
        verb="obligation.verified",
        obj=obligation,
        payload={"buyer": obligation.buyer_id, "note": note},
    )
    return obligation


@transaction.atomic
def obligation_reject(*, actor, obligation, reason):
    """The worker organization does not accept the attestation, with a reason the buyer
    sees. The obligation is open again: overdue when past its due date, else
    acknowledged; the buyer's officers are mailed the reason (outbox, in their language)
    and may attest again. Locks the obligation row."""
    require_member(actor, obligation.program, "obligation.verify")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the attestation is rejected: the buyer sees the reason.")
    obligation = _locked(obligation)
    _require_attested(obligation)
    now = timezone.now()
    past_due = obligation.due_date < today()
    obligation.state = ObligationState.OVERDUE if past_due else ObligationState.ACKNOWLEDGED
    if past_due and obligation.overdue_at is None:
        obligation.overdue_at = now
    obligation.rejected_by = user_or_none(actor)
    obligation.rejected_at = now
    obligation.rejection_reason = reason
    obligation.save(
        update_fields=["state", "overdue_at", "rejected_by", "rejected_at", "rejection_reason"]
    )
    audit_log(
        program=obligation.program_id,
        actor=actor,
        verb="obligation.rejected",
        obj=obligation,
        payload={"buyer": obligation.buyer_id, "reason": reason, "state": obligation.state},
    )
    _notify_rejection(obligation)
    return obligation


def _notify_rejection(obligation):
    """One mail per active officer of the buyer, keyed by the rejection's time (a second
    rejection of a later attestation is a new mail)."""
    from django.urls import reverse

    officers = [
        m.user
        for m in Membership.objects.filter(
            program_id=obligation.program_id,
            buyer_id=obligation.buyer_id,
            role=Role.BUYER_OFFICER,
            is_active=True,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("user_id")
    ]
    if not officers:
        return
    full = BuyerObligation.objects.select_related("program", "buyer", "supplier").get(
        pk=obligation.pk
    )
    notify(
        kind=NotificationKind.OBLIGATION_REJECTED,
        program=full.program,
        obj=full,
        key=full.rejected_at.isoformat(),
        recipients=officers,
        context={
            "program": full.program.name,
            "buyer": full.buyer.name,
            "supplier": full.supplier.legal_name,
            "kind": msgid(full.get_kind_display()),
            "required": full.required,
            "due_date": full.due_date.isoformat(),
            "overdue": full.state == ObligationState.OVERDUE,
            "reason": full.rejection_reason,
            "obligation_path": reverse("buyer:obligation_detail", kwargs={"pk": full.pk}),
        },
    )


@transaction.atomic
def obligation_waive(*, actor, obligation, reason):
    """Only a program admin may waive an obligation, and only with a reason."""
    require_member(actor, obligation.program, "obligation.waive")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("A waiver needs a reason.")
    obligation = _locked(obligation)
    check_transition(OBLIGATION_TRANSITIONS, obligation.state, ObligationState.WAIVED, "obligation")
    obligation.state = ObligationState.WAIVED
    obligation.waived_by = user_or_none(actor)
    obligation.waived_at = timezone.now()
    obligation.waiver_reason = reason
    obligation.save(update_fields=["state", "waived_by", "waived_at", "waiver_reason"])
    audit_log(
        program=obligation.program_id,
        actor=actor,
        verb="obligation.waived",
        obj=obligation,
        payload={"buyer": obligation.buyer_id, "reason": reason},
    )
    return obligation


@transaction.atomic
def obligation_mark_overdue(*, obligation_id):
    """Pending/acknowledged past its due date → overdue. An attested obligation nobody
    has verified yet stays attested but its clock is stamped (``overdue_at``): it is
    late until verified. A conditional claim (row lock on a row still open, past due
    and not yet stamped), so concurrent beat runs mark it once."""
    if not _chain_lock_of(obligation_id):
        return None
    obligation = (
        BuyerObligation.objects.select_for_update(no_key=True)
        .filter(
            pk=obligation_id,
            state__in=[ObligationState.PENDING, ObligationState.ACKNOWLEDGED],
            due_date__lt=today(),
        )
        .first()
    ) or (
        BuyerObligation.objects.select_for_update(no_key=True)
        .filter(
            pk=obligation_id,
            state=ObligationState.ATTESTED,
            due_date__lt=today(),
            overdue_at__isnull=True,
        )
        .first()
    )
    if obligation is None:
        return None
    if obligation.state != ObligationState.ATTESTED:
        obligation.state = ObligationState.OVERDUE
    obligation.overdue_at = timezone.now()
    obligation.save(update_fields=["state", "overdue_at"])
    audit_log(
        program=obligation.program_id,
        actor=ENFORCEMENT,
        verb="obligation.overdue",
        obj=obligation,
        payload={"buyer": obligation.buyer_id, "due_date": obligation.due_date},
    )
    return obligation


@transaction.atomic
def obligation_mark_breached(*, obligation_id):
    """Overdue longer than the program's grace period → breach of agreement, recorded
    against the buyer (BuyerBreach, unique per obligation). An attestation still
    unverified at the end of the grace period is not fulfilment: it breaches too."""
    if not _chain_lock_of(obligation_id):
        return None
    # of=("self",): FOR UPDATE with select_related used to lock the program, buyer and
    # supplier rows too, which every intake's foreign-key check waits for.
    obligation = (
        BuyerObligation.objects.select_for_update(no_key=True, of=("self",))
        .select_related("program", "buyer", "supplier")
        .filter(pk=obligation_id, state__in=[ObligationState.OVERDUE, ObligationState.ATTESTED])
        .first()
    )
    if obligation is None:
        return None
    grace = settings_for(obligation.program).breach_grace_days
    if obligation.due_date + datetime.timedelta(days=grace) >= today():
        return None
    obligation.state = ObligationState.BREACHED
    obligation.breached_at = timezone.now()
    obligation.save(update_fields=["state", "breached_at"])
    breach = BuyerBreach.objects.create(
        program_id=obligation.program_id,
        buyer_id=obligation.buyer_id,
        obligation=obligation,
        agreement_id=obligation.agreement_id,
        description=(
            f"{obligation.buyer.name} did not {obligation.get_kind_display().lower()} "
            f"({obligation.supplier.legal_name}) by {obligation.due_date:%Y-%m-%d}, nor within "
            f"the {grace}-day grace period."
        ),
    )
    audit_log(
        program=obligation.program_id,
        actor=ENFORCEMENT,
        verb="obligation.breached",
        obj=obligation,
        payload={"buyer": obligation.buyer_id, "breach": breach.pk, "grace_days": grace},
    )
    return breach
