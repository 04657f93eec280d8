"""Violations, the consequence ladder and supplier standing."""

import datetime
import logging

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from core.actors import SystemActor
from core.audit import audit_log, audit_log_many, chain_lock
from core.authz import require_member
from core.errors import DomainError, IllegalTransition, check_transition
from core.models import NotificationKind
from core.notifications import msgid, notify, notify_many
from core.roles import Role
from core.tenancy import same_program
from enforcement.models import (
    STANDING_RANK,
    VIOLATION_TRANSITIONS,
    BuyerObligation,
    BuyerObligationKind,
    ConsequenceApplication,
    EscalationProposal,
    OutboxState,
    ProposalState,
    Sanction,
    SourceKind,
    Standing,
    StandingEvent,
    StandingEventKind,
    SupplierAction,
    SupplierStanding,
    Violation,
    ViolationState,
)
from programs.models import (
    Agreement,
    AgreementStatus,
    Buyer,
    Membership,
    SourcingRelationship,
)

from ._common import actor_label, today, user_or_none
from .policy import policy_ensure_default, settings_for

log = logging.getLogger(__name__)

COUNTED_STATES = (
    ViolationState.CONFIRMED,
    ViolationState.CONSEQUENCES_APPLIED,
    ViolationState.REMEDIATED,
)


# The actor of what the enforcement jobs do on their own.
ENFORCEMENT = SystemActor("enforcement")


# ---------------------------------------------------------------- proposing and confirming


def _proposal(
    *, actor, program, provision, facility, severity, source_kind, source_ref, summary, supplier
):
    """Check one proposal and return its unsaved Violation (what ``violation_propose``
    inserts)."""
    if source_kind not in SourceKind.values:
        raise DomainError(f"Unknown source kind '{source_kind}'.")
    source_ref = str(source_ref or "").strip()
    if not source_ref:
        raise DomainError("A violation needs the id of the finding it comes from.")
    if facility is not None:
        supplier = facility.supplier
    if supplier is None:
        raise DomainError("A violation needs a facility or a supplier.")
    same_program(program, provision, facility, supplier)
    severity = severity or provision.severity
    if not (summary or "").strip():
        raise DomainError("A violation needs a summary.")
    return Violation(
        program_id=program.pk,
        supplier=supplier,
        facility=facility,
        provision=provision,
        severity=severity,
        source_kind=source_kind,
        source_ref=source_ref,
        summary=summary.strip(),
        proposed_by_label=actor_label(actor),
    )


def _proposed_event(violation):
    return {
        "verb": "violation.proposed",
        "obj": violation,
        "payload": {
            "supplier": violation.supplier_id,
            "facility": violation.facility_id,
            "provision": violation.provision_id,
            "severity": violation.severity,
            "source_kind": violation.source_kind,
            "source_ref": violation.source_ref,
        },
    }


def _duplicate(what):
    return DomainError(
        f"This finding ({what}) has already been proposed as a violation.", code="duplicate"
    )


@transaction.atomic
def violation_propose(
    *,
    actor,
    program,
    provision,
    facility,
    severity=None,
    source_kind,
    source_ref,
    summary,
    supplier=None,
):
    """Record a finding as a proposed violation (nothing happens until it is confirmed).

    ``facility`` may be None for supplier-wide findings (premium shortfalls); then
    ``supplier`` is required. Unique per (program, source_kind, source_ref): proposing the
    same finding twice raises DomainError code 'duplicate' without touching the caller's
    transaction (the insert runs in a savepoint).
    """
    require_member(actor, program, "violation.propose")
    violation = _proposal(
        actor=actor,
        program=program,
        provision=provision,
        facility=facility,
        severity=severity,
        source_kind=source_kind,
        source_ref=source_ref,
        summary=summary,
        supplier=supplier,
    )
    violation.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            violation.save()
    except IntegrityError as exc:
        raise _duplicate(f"{source_kind} {violation.source_ref}") from exc
    audit_log(program=program, actor=actor, **_proposed_event(violation))
    return violation


# Checked by the caller of violations_propose_many, which passes loaded instances (and by
# the database's foreign keys): not read again once per row.
_RELATED = ["program", "supplier", "facility", "provision", "confirmed_by", "dismissed_by"]


@transaction.atomic
def violations_propose_many(*, actor, program, proposals):
    """Many ``violation_propose`` calls at once (the premium shortfall check), in a
    constant number of queries: one INSERT for the violations and one read and one
    INSERT for their audit events (``audit_log_many``). The rows and the program's chain
    are what as many ``violation_propose`` calls would write, in the order given.

    ``proposals``: dicts of ``violation_propose``'s keyword arguments (but actor and
    program), with loaded instances of this program's provision, supplier and facility;
    each is checked like ``violation_propose`` checks it, but for the existence of the
    related rows (the database's foreign keys check that). All or nothing: if one is
    already proposed, DomainError 'duplicate' and nothing is written (the insert runs in
    a savepoint, the caller's transaction is untouched). Returns the Violations.
    """
    require_member(actor, program, "violation.propose")
    violations = []
    for proposal in proposals:
        violation = _proposal(
            actor=actor, program=program, **{"severity": None, "supplier": None, **proposal}
        )
        violation.full_clean(exclude=_RELATED, validate_unique=False, validate_constraints=False)
        violations.append(violation)
    if not violations:
        return []
    try:
        with transaction.atomic():
            Violation.objects.bulk_create(violations)
    except IntegrityError as exc:
        raise _duplicate(f"one of {len(violations)}") from exc
    audit_log_many(program=program, actor=actor, entries=[_proposed_event(v) for v in violations])
    return violations


def _enqueue_apply(violation_id, program_id):
    from core import broker

    from ..tasks import apply_consequences

    # Fails fast with the broker down or hung (core.broker): the outbox row is committed,
    # the page says "being applied" and the sweeper publishes it later.
    broker.publish(
        apply_consequences,
        (violation_id, program_id),
        what=f"apply_consequences({violation_id})",
    )


@transaction.atomic
def violation_confirm(*, actor, violation):
    """Confirm a proposed violation: commits the state change and the outbox row
    (ConsequenceApplication, pending) together; the apply task is published after commit.
    If the process dies between commit and publish, the sweeper re-enqueues it.

    Only admins, or roles named in the program's enforcement settings, may confirm.
    """
    require_member(actor, violation.program, "violation.confirm")
    program = violation.program
    chain_lock(violation.program_id)  # the lock order: core/audit.py
    violation = Violation.objects.select_for_update(no_key=True).get(pk=violation.pk)
    check_transition(VIOLATION_TRANSITIONS, violation.state, ViolationState.CONFIRMED, "violation")
    violation.state = ViolationState.CONFIRMED
    violation.confirmed_by = user_or_none(actor)
    violation.confirmed_at = timezone.now()
    violation.save(update_fields=["state", "confirmed_by", "confirmed_at"])
    ConsequenceApplication.objects.create(program_id=violation.program_id, violation=violation)
    audit_log(
        program=program,
        actor=actor,
        verb="violation.confirmed",
        obj=violation,
        payload={"severity": violation.severity, "supplier": violation.supplier_id},
    )
    vid, pid = violation.pk, violation.program_id
    transaction.on_commit(lambda: _enqueue_apply(vid, pid))
    return violation


@transaction.atomic
def violation_dismiss(*, actor, violation, reason):
    require_member(actor, violation.program, "violation.dismiss")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("A dismissal needs a reason.")
    chain_lock(violation.program_id)  # the lock order: core/audit.py
    violation = Violation.objects.select_for_update(no_key=True).get(pk=violation.pk)
    check_transition(VIOLATION_TRANSITIONS, violation.state, ViolationState.DISMISSED, "violation")
    violation.state = ViolationState.DISMISSED
    violation.dismissed_by = user_or_none(actor)
    violation.dismissed_at = timezone.now()
    violation.dismissal_reason = reason
    violation.save(update_fields=["state", "dismissed_by", "dismissed_at", "dismissal_reason"])
    audit_log(
        program=violation.program,
        actor=actor,
        verb="violation.dismissed",
        obj=violation,
        payload={"reason": reason},
    )
    return violation


@transaction.atomic
def violation_remediate(*, actor, violation, note):
    """Mark a sanctioned violation remediated (the corrective action was verified). The
    supplier's standing is not restored here: reinstatement is its own decision."""
    require_member(actor, violation.program, "violation.remediate")
    note = (note or "").strip()
    if not note:
        raise DomainError("Say how the violation was remediated.")
    chain_lock(violation.program_id)  # the lock order: core/audit.py
    violation = Violation.objects.select_for_update(no_key=True).get(pk=violation.pk)
    check_transition(VIOLATION_TRANSITIONS, violation.state, ViolationState.REMEDIATED, "violation")
    violation.state = ViolationState.REMEDIATED
    violation.remediated_at = timezone.now()
    violation.remediation_note = note
    violation.save(update_fields=["state", "remediated_at", "remediation_note"])
    audit_log(
        program=violation.program,
        actor=actor,
        verb="violation.remediated",
        obj=violation,
        payload={"note": note},
    )
    return violation


# ---------------------------------------------------------------- the ladder


def repeat_count(violation, window_days):
    """Confirmed violations of the same severity at the same supplier within
    ``window_days`` before this one (itself included)."""
    at = violation.confirmed_at or timezone.now()
    since = at - datetime.timedelta(days=window_days)
    return (
        Violation.objects.filter(
            program_id=violation.program_id,
            supplier_id=violation.supplier_id,
            severity=violation.severity,
            state__in=COUNTED_STATES,
            confirmed_at__gt=since,
            confirmed_at__lte=at,
        )
        .exclude(pk=violation.pk)
        .count()
        + 1
    )


def select_rule(policy, violation):
    """The rule with the highest repeat count the violation reaches, and that count."""
    best, best_count = None, 1
    for rule in policy.rules.filter(severity=violation.severity).order_by("repeat_count"):
        count = repeat_count(violation, rule.window_days)
        if count >= rule.repeat_count:
            best, best_count = rule, count
    return best, best_count


def _rule_snapshot(rule):
    if rule is None:
        return {}
    return {
        "id": rule.pk,
        "severity": rule.severity,
        "repeat_count": rule.repeat_count,
        "window_days": rule.window_days,
        "supplier_action": rule.supplier_action,
        "cap_required": rule.cap_required,
        "suspension_days": rule.suspension_days,
        "escalation_stage": rule.escalation_stage,
        "buyer_obligation": rule.buyer_obligation,
        "obligation_days": rule.obligation_days,
    }


def _locked_standing(program_id, supplier_id):
    """The supplier's standing row, created if missing, locked FOR UPDATE."""
    chain_lock(program_id)  # the lock order (core/audit.py): chain first, then rows
    standing = (
        SupplierStanding.objects.select_for_update(no_key=True)
        .filter(program_id=program_id, supplier_id=supplier_id)
        .first()
    )
    if standing is None:
        try:
            with transaction.atomic():
                SupplierStanding.objects.create(program_id=program_id, supplier_id=supplier_id)
        except IntegrityError:
            pass
        standing = SupplierStanding.objects.select_for_update(no_key=True).get(
            program_id=program_id, supplier_id=supplier_id
        )
    return standing


def _change_standing(standing, *, kind, to_standing, to_stage, actor, reason, **extra):
    """Apply a standing change and append it to the history (returns the event)."""
    event = StandingEvent(
        program_id=standing.program_id,
        supplier_id=standing.supplier_id,
        kind=kind,
        from_standing=standing.standing,
        from_stage=standing.stage,
        to_standing=to_standing,
        to_stage=to_stage,
        reason=reason,
        actor_label=actor_label(actor),
        source_kind=extra.pop("source_kind", ""),
        source_ref=extra.pop("source_ref", ""),
    )
    standing.standing = to_standing
    standing.stage = to_stage
    for field, value in extra.items():
        setattr(standing, field, value)
    event.suspended_until = standing.suspended_until
    standing.save()
    event.save()
    return event


def _graver(current, proposed):
    return proposed if STANDING_RANK[proposed] > STANDING_RANK[current] else current


def _apply_rule_to_standing(standing, rule, on):
    """The standing a rule leads to: never lighter than the current one; suspensions
    extend (never shorten) an existing suspension."""
    target = standing.standing
    extra = {}
    stage = max(standing.stage, rule.escalation_stage if rule else 0)
    action = rule.supplier_action if rule else SupplierAction.CAP_REQUIRED
    if action == SupplierAction.PROBATION:
        target = _graver(target, Standing.PROBATION)
    elif action == SupplierAction.SUSPENSION:
        until = on + datetime.timedelta(days=rule.suspension_days)
        if standing.standing != Standing.TERMINATED:
            target = Standing.SUSPENDED
            if standing.standing != Standing.SUSPENDED or standing.suspended_since is None:
                extra["suspended_since"] = on
            extra["suspended_until"] = max(until, standing.suspended_until or until)
    elif action == SupplierAction.TERMINATION:
        target = Standing.TERMINATED
        stage = 3
        extra["terminated_on"] = standing.terminated_on or on
    return target, stage, extra


def _written_date(day):
    # The obligation's text is stored in English (it is the record of what was asked):
    # its dates in the English date format the pages use, not ISO amid a sentence.
    with translation.override("en"):
        return date_format(day, "DATE_FORMAT")


def _obligation_text(kind, supplier, due, sanction):
    due_text = _written_date(due)
    if kind == BuyerObligationKind.SUSPEND_PURCHASES:
        until = f" until at least {_written_date(sanction.ends_on)}" if sanction.ends_on else ""
        return (
            f"Suspend all purchases from {supplier.legal_name} by {due_text}{until}, "
            "and confirm that open purchase orders are on hold."
        )
    if kind == BuyerObligationKind.END_RELATIONSHIP:
        return (
            f"End the business relationship with {supplier.legal_name} by {due_text} "
            "(no new orders; wind down open orders)."
        )
    return (
        f"Acknowledge that {supplier.legal_name} has been sanctioned "
        f"({sanction.get_action_display().lower()}) and review your sourcing by "
        f"{due_text}."
    )


def obligated_buyers(*, program_id, supplier_id, on):
    """Buyers with an ACTIVE agreement covering ``on`` and an active sourcing relationship
    with the supplier on that day, each with its agreement (one query)."""
    active_agreements = Agreement.objects.filter(
        program_id=program_id,
        status=AgreementStatus.ACTIVE,
        effective_from__lte=on,
    ).filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
    sourcing = SourcingRelationship.objects.filter(
        program_id=program_id, supplier_id=supplier_id, since__lte=on
    ).filter(Q(until__isnull=True) | Q(until__gte=on))
    buyers = Buyer.objects.filter(
        program_id=program_id,
        pk__in=sourcing.values("buyer_id"),
    ).filter(pk__in=active_agreements.values("buyer_id"))
    agreements = {}
    for agreement in active_agreements.filter(buyer__in=buyers).order_by("-effective_from"):
        agreements.setdefault(agreement.buyer_id, agreement)
    return [(b, agreements.get(b.pk)) for b in buyers.order_by("name")]


def _caps_open(actor, sanction):
    """The sanction requires a corrective action plan: audits' CAP service opens it
    (Sanction.cap_required was written and never acted on). Imported here, not at the
    top: audits' services import enforcement's (escalation, violation proposals), so a
    module-level import either way is a cycle."""
    from audits.services import caps_open_for_sanction

    return caps_open_for_sanction(actor=actor, sanction=sanction)


@transaction.atomic
def consequences_apply(*, violation):
    """Apply the ladder to a confirmed violation, exactly once.

    Claims the outbox row with SELECT ... FOR UPDATE WHERE state='pending': a concurrent
    caller blocks on the lock and then finds no pending row (PostgreSQL re-checks the
    WHERE clause on the committed row), so it returns None and does nothing. Unique
    constraints (one Sanction per violation, one obligation per (violation, buyer)) are
    the backstop. Mail goes out after commit. Returns the Sanction, or None if there was
    nothing to apply.
    """
    # The lock order (core/audit.py): the chain lock first. This used to lock the outbox
    # row and the violation with its program, supplier and provision FOR UPDATE and then
    # wait for the chain lock, while an intake holding the chain lock waited at COMMIT for
    # a KEY SHARE lock on the program row: a deadlock (issue 13, defect 1).
    chain_lock(violation.program_id)
    application = (
        ConsequenceApplication.objects.select_for_update(no_key=True)
        .filter(violation_id=violation.pk, state=OutboxState.PENDING)
        .first()
    )
    if application is None:
        return None
    violation = (
        Violation.objects.select_for_update(no_key=True, of=("self",))
        .select_related("program", "supplier", "provision")
        .get(pk=violation.pk)
    )
    if violation.state != ViolationState.CONFIRMED:
        raise IllegalTransition(f"Violation {violation.pk} is {violation.state}, not confirmed.")
    program = violation.program
    system = ENFORCEMENT
    on = today()
    policy = policy_ensure_default(actor=system, program=program)
    rule, count = select_rule(policy, violation)

    standing = _locked_standing(program.pk, violation.supplier_id)
    target, stage, extra = _apply_rule_to_standing(standing, rule, on)
    action = rule.supplier_action if rule else SupplierAction.CAP_REQUIRED
    sanction = Sanction.objects.create(
        program_id=program.pk,
        violation=violation,
        supplier_id=violation.supplier_id,
        policy=policy,
        rule=rule,
        rule_snapshot=_rule_snapshot(rule),
        action=action,
        cap_required=bool(rule and rule.cap_required) or action == SupplierAction.CAP_REQUIRED,
        repeat_count=count,
        starts_on=on,
        ends_on=(
            on + datetime.timedelta(days=rule.suspension_days)
            if action == SupplierAction.SUSPENSION
            else None
        ),
        description=rule.describe() if rule else "Corrective action plan required",
    )
    before = (standing.standing, standing.stage)
    event = _change_standing(
        standing,
        kind=StandingEventKind.SANCTION,
        to_standing=target,
        to_stage=stage,
        actor=system,
        reason=f"Violation #{violation.pk}: {violation.provision} ({sanction.description})",
        source_kind="violation",
        source_ref=str(violation.pk),
        **extra,
    )

    obligations = []
    kind = rule.buyer_obligation if rule else BuyerObligationKind.NONE
    if kind != BuyerObligationKind.NONE:
        due = on + datetime.timedelta(days=rule.obligation_days)
        for buyer, agreement in obligated_buyers(
            program_id=program.pk, supplier_id=violation.supplier_id, on=on
        ):
            obligations.append(
                BuyerObligation(
                    program_id=program.pk,
                    buyer=buyer,
                    violation=violation,
                    sanction=sanction,
                    supplier_id=violation.supplier_id,
                    agreement=agreement,
                    kind=kind,
                    required=_obligation_text(kind, violation.supplier, due, sanction),
                    due_date=due,
                )
            )
        obligations = BuyerObligation.objects.bulk_create(obligations)

    now = timezone.now()
    violation.state = ViolationState.CONSEQUENCES_APPLIED
    violation.applied_at = now
    violation.save(update_fields=["state", "applied_at"])
    application.state = OutboxState.APPLIED
    application.applied_at = now
    application.save(update_fields=["state", "applied_at"])

    audit_log(
        program=program,
        actor=system,
        verb="sanction.created",
        obj=sanction,
        payload={
            "violation": violation.pk,
            "policy": policy.number,
            "rule": _rule_snapshot(rule),
            "repeat_count": count,
        },
    )
    audit_log(
        program=program,
        actor=system,
        verb="standing.changed",
        obj=event,
        payload={
            "supplier": violation.supplier_id,
            "from": list(before),
            "to": [target, stage],
            "suspended_until": standing.suspended_until,
        },
    )
    # One event per obligation, appended in one statement (500 buyers: 2 queries, not 1,000).
    audit_log_many(
        program=program,
        actor=system,
        entries=(
            {
                "verb": "obligation.created",
                "obj": obligation,
                "payload": {
                    "buyer": obligation.buyer_id,
                    "kind": obligation.kind,
                    "due_date": obligation.due_date,
                    "violation": violation.pk,
                },
            }
            for obligation in obligations
        ),
    )
    audit_log(
        program=program,
        actor=system,
        verb="violation.consequences_applied",
        obj=violation,
        payload={"sanction": sanction.pk, "obligations": [o.pk for o in obligations]},
    )
    if sanction.cap_required:
        _caps_open(system, sanction)
    _notify_consequences(program, violation, sanction, obligations)
    return sanction


def _notify_consequences(program, violation, sanction, obligations):
    """Outbox rows (core/notifications.py) for each obligated buyer's officers and for the
    program's admins and staff, in consequences_apply's transaction: the mails are
    committed with the sanction, so a worker dying after COMMIT loses none of them."""
    supplier = violation.supplier
    common = {
        "program": program.name,
        "supplier": supplier.legal_name,
        # The label's English msgid: the template translates it for the recipient.
        "action": msgid(SupplierAction(sanction.action).label),
        "description": sanction.description,
    }
    officers = (
        Membership.objects.filter(
            program=program,
            role=Role.BUYER_OFFICER,
            is_active=True,
            buyer_id__in=[o.buyer_id for o in obligations],
        )
        .exclude(user__email="")
        .select_related("user")
    )
    by_buyer = {}
    for m in officers:
        by_buyer.setdefault(m.buyer_id, []).append(m.user)
    category = msgid(violation.provision.get_category_display())
    # One INSERT for every officer of every obligated buyer (300 buyers: 2 queries).
    notify_many(
        kind=NotificationKind.CONSEQUENCE_BUYER,
        program=program,
        items=[
            {
                "obj": obligation,
                "recipients": by_buyer.get(obligation.buyer_id, []),
                "context": {
                    **common,
                    "category": category,
                    "required": obligation.required,
                    "due_date": obligation.due_date.isoformat(),
                    "portal_path": "/buyer/",
                },
            }
            for obligation in obligations
        ],
    )
    staff = [
        m.user
        for m in Membership.objects.filter(
            program=program, role__in=[Role.ADMIN, Role.STAFF], is_active=True
        )
        .exclude(user__email="")
        .select_related("user")
    ]
    notify(
        kind=NotificationKind.CONSEQUENCE_STAFF,
        program=program,
        obj=sanction,
        recipients=staff,
        context={
            **common,
            "violation": violation.pk,
            "obligations": len(obligations),
            # A number alone is a dead end in a mail: the link opens the violation.
            "violation_path": reverse(
                "enforcement:violation_detail",
                kwargs={"program": program.slug, "pk": violation.pk},
            ),
        },
    )


def violations_pending_application(*, older_than):
    """Outbox rows still pending and created before ``older_than`` (for the sweeper)."""
    return ConsequenceApplication.objects.filter(
        state=OutboxState.PENDING, created_at__lt=older_than
    ).values_list("violation_id", "program_id")


def application_mark_enqueued(*, violation_id):
    # A counter only (not domain state): how often the sweeper had to re-publish.
    from django.db.models import F

    ConsequenceApplication.objects.filter(violation_id=violation_id).update(
        enqueue_count=F("enqueue_count") + 1
    )


# ---------------------------------------------------------------- standing


@transaction.atomic
def escalation_advance(
    *, actor, program, supplier, facility=None, reason, source_kind, source_ref, to_stage=None
):
    """Raise the supplier's escalation stage TO ``to_stage`` (0 none → 1 notice →
    2 warning → 3 termination; stage 3 terminates). Without ``to_stage`` (a person's
    manual escalation) the target is one above the current stage.

    The stage is compared with the target under the standing's row lock (FOR UPDATE),
    never read beforehand: a request for stage 2 that meets a supplier another
    transaction has just raised to 2 changes nothing, so concurrent escalations never
    overshoot. Idempotent per (source_kind, source_ref): the escalation history row is
    unique on it, so a second call for the same source changes nothing.

    A target in the program's ``approval_stages`` (default: termination) requested by a
    system actor (the CAP overdue job) is not applied: it becomes an EscalationProposal
    (unique per source) that a member holding a confirm role approves or declines
    (``escalation_proposal_decide``). Returns the standing, with ``outcome`` set to
    "escalated", "proposed" or "unchanged"."""
    require_member(actor, program, "escalation.advance")
    same_program(program, supplier, facility)
    source_ref = str(source_ref or "").strip()
    if not source_kind or not source_ref:
        raise DomainError("An escalation needs the source that caused it.")
    standing = _locked_standing(program.pk, supplier.pk)
    standing.outcome = "unchanged"
    if StandingEvent.objects.filter(
        program_id=program.pk,
        kind=StandingEventKind.ESCALATION,
        source_kind=source_kind,
        source_ref=source_ref,
    ).exists():
        return standing
    target = min(standing.stage + 1, 3) if to_stage is None else int(to_stage)
    if not 1 <= target <= 3:
        raise DomainError("Escalation stages run from 1 to 3.")
    if standing.stage >= target:
        return standing
    where = f" (facility: {facility.name})" if facility else ""
    # A job (not a person) reached a stage that ends business: a person decides.
    if isinstance(actor, SystemActor) and target in _approval_stages(program):
        # One open question per supplier: a second late item does not ask it again.
        pending = EscalationProposal.objects.filter(
            program_id=program.pk,
            supplier_id=supplier.pk,
            state=ProposalState.PROPOSED,
            to_stage__gte=target,
        ).first()
        if pending is not None:
            standing.outcome = "proposed"
            standing.proposal = pending
            return standing
        proposal, created = EscalationProposal.objects.get_or_create(
            program_id=program.pk,
            source_kind=source_kind,
            source_ref=source_ref,
            defaults={
                "supplier_id": supplier.pk,
                "facility_id": facility.pk if facility else None,
                "to_stage": target,
                "reason": f"{reason}{where}",
                "proposed_by": actor_label(actor),
            },
        )
        if created:
            audit_log(
                program=program,
                actor=actor,
                verb="standing.escalation_proposed",
                obj=proposal,
                payload={
                    "supplier": supplier.pk,
                    "from_stage": standing.stage,
                    "to_stage": target,
                    "source_kind": source_kind,
                    "source_ref": source_ref,
                    "reason": reason,
                },
            )
        standing.outcome = "proposed"
        standing.proposal = proposal
        return standing
    return _escalate(
        standing,
        program=program,
        supplier=supplier,
        actor=actor,
        to_stage=target,
        reason=f"{reason}{where}",
        source_kind=source_kind,
        source_ref=source_ref,
    )


def _approval_stages(program):
    return {int(stage) for stage in settings_for(program).approval_stages or []}


def _escalate(standing, *, program, supplier, actor, to_stage, reason, source_kind, source_ref):
    """Move the locked ``standing`` to ``to_stage``, append the history row, audit it."""
    to_standing = standing.standing
    extra = {}
    if to_stage == 3:
        to_standing = Standing.TERMINATED
        extra["terminated_on"] = standing.terminated_on or today()
    elif to_stage == 2:
        to_standing = _graver(standing.standing, Standing.PROBATION)
    try:
        with transaction.atomic():
            event = _change_standing(
                standing,
                kind=StandingEventKind.ESCALATION,
                to_standing=to_standing,
                to_stage=to_stage,
                actor=actor,
                reason=reason,
                source_kind=source_kind,
                source_ref=source_ref,
                **extra,
            )
    except IntegrityError:
        standing.refresh_from_db()
        standing.outcome = "unchanged"
        return standing
    audit_log(
        program=program,
        actor=actor,
        verb="standing.escalated",
        obj=event,
        payload={
            "supplier": supplier.pk,
            "from_stage": event.from_stage,
            "to_stage": to_stage,
            "source_kind": source_kind,
            "source_ref": source_ref,
            "reason": reason,
        },
    )
    if to_stage == 3 and event.from_stage < 3:
        _notify_termination(program, supplier, event)
    standing.outcome = "escalated"
    return standing


@transaction.atomic
def escalation_proposal_decide(*, actor, proposal, approve, reason):
    """A member holding one of the program's confirm roles approves or declines a
    proposed escalation, with a reason. Approval applies the stage (unless the supplier
    already stands there); both answers are final and audited. Locks the standing, then
    the proposal (the order ``escalation_advance`` takes)."""
    require_member(actor, proposal.program, "escalation.decide")
    program = proposal.program
    if not getattr(actor, "is_authenticated", False):
        raise DomainError("A person decides on this escalation.", code="forbidden")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give a reason for the decision.", code="reason_required")
    standing = _locked_standing(program.pk, proposal.supplier_id)
    proposal = EscalationProposal.objects.select_for_update().get(
        pk=proposal.pk, program_id=program.pk
    )
    if proposal.state != ProposalState.PROPOSED:
        raise IllegalTransition("This escalation has already been decided.")
    proposal.state = ProposalState.APPROVED if approve else ProposalState.DECLINED
    proposal.decided_by = user_or_none(actor)
    proposal.decided_at = timezone.now()
    proposal.decision_reason = reason
    proposal.save(update_fields=["state", "decided_by", "decided_at", "decision_reason"])
    from_stage = standing.stage
    if approve and standing.stage < proposal.to_stage:
        _escalate(
            standing,
            program=program,
            supplier=proposal.supplier,
            actor=actor,
            to_stage=proposal.to_stage,
            reason=f"{proposal.reason} Approved: {reason}",
            source_kind=proposal.source_kind,
            source_ref=proposal.source_ref,
        )
    audit_log(
        program=program,
        actor=actor,
        verb="standing.escalation_approved" if approve else "standing.escalation_declined",
        obj=proposal,
        payload={
            "supplier": proposal.supplier_id,
            "to_stage": proposal.to_stage,
            "from_stage": from_stage,
            "reason": reason,
        },
    )
    return proposal


def _notify_termination(program, supplier, event):
    """Escalation reached stage 3: outbox rows for the officers of every buyer with an
    active agreement that sources from the supplier, and program staff (one mail each,
    so officers of competing buyers never see each other's addresses). No
    BuyerObligation is created here: obligations hang off a confirmed violation."""
    buyers = [
        b.pk
        for b, _ in obligated_buyers(program_id=program.pk, supplier_id=supplier.pk, on=today())
    ]
    users = [
        m.user
        for m in Membership.objects.filter(program_id=program.pk, is_active=True)
        .filter(
            Q(role=Role.BUYER_OFFICER, buyer_id__in=buyers) | Q(role__in=[Role.ADMIN, Role.STAFF])
        )
        .exclude(user__email="")
        .select_related("user")
    ]
    notify(
        kind=NotificationKind.TERMINATION,
        program=program,
        obj=event,
        recipients=users,
        context={"program": program.name, "supplier": supplier.legal_name, "reason": event.reason},
    )


@transaction.atomic
def suspension_expire(*, standing_id):
    """A suspension whose end date has passed goes to reinstatement review (a person
    decides on reinstatement). Conditional on the row still being suspended and past due."""
    on = today()
    program_id = (
        SupplierStanding.objects.filter(pk=standing_id).values_list("program_id", flat=True).first()
    )
    if program_id is None:
        return None
    chain_lock(program_id)  # the lock order (core/audit.py): chain first, then rows
    standing = (
        SupplierStanding.objects.select_for_update(no_key=True)
        .filter(pk=standing_id, standing=Standing.SUSPENDED, suspended_until__lt=on)
        .first()
    )
    if standing is None:
        return None
    event = _change_standing(
        standing,
        kind=StandingEventKind.SUSPENSION_ENDED,
        to_standing=Standing.REINSTATEMENT_REVIEW,
        to_stage=standing.stage,
        actor=ENFORCEMENT,
        reason=f"Suspension ended on {standing.suspended_until:%Y-%m-%d}; review reinstatement.",
    )
    audit_log(
        program=standing.program_id,
        actor=ENFORCEMENT,
        verb="standing.suspension_ended",
        obj=event,
        payload={"supplier": standing.supplier_id, "suspended_until": standing.suspended_until},
    )
    return standing


@transaction.atomic
def standing_reinstate(*, actor, program, supplier, reason, to_standing=Standing.GOOD):
    """A program admin ends a reinstatement review: good standing or probation."""
    require_member(actor, program, "standing.reinstate")
    same_program(program, supplier)
    if to_standing not in (Standing.GOOD, Standing.PROBATION):
        raise DomainError("Reinstatement is to good standing or probation.")
    if not (reason or "").strip():
        raise DomainError("A reinstatement needs a reason.")
    standing = _locked_standing(program.pk, supplier.pk)
    if standing.standing != Standing.REINSTATEMENT_REVIEW:
        raise IllegalTransition(
            f"Only a supplier in reinstatement review can be reinstated (this one is "
            f"{standing.get_standing_display().lower()})."
        )
    event = _change_standing(
        standing,
        kind=StandingEventKind.REINSTATED,
        to_standing=to_standing,
        to_stage=standing.stage,
        actor=actor,
        reason=reason.strip(),
        suspended_since=None,
        suspended_until=None,
    )
    audit_log(
        program=program,
        actor=actor,
        verb="standing.reinstated",
        obj=event,
        payload={"supplier": supplier.pk, "to": to_standing, "reason": reason.strip()},
    )
    return standing
