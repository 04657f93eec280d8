"""The program's enforcement settings and its versioned consequence ladder."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.actors import SystemActor
from core.audit import audit_log, chain_lock
from core.authz import require_member
from core.errors import DomainError, IllegalTransition, check_transition
from core.roles import Role
from core.tenancy import same_program
from enforcement.models import (
    POLICY_TRANSITIONS,
    AgreementPolicy,
    BuyerObligationKind,
    ConsequencePolicy,
    ConsequenceRule,
    EnforcementSettings,
    PolicyStatus,
    SupplierAction,
)
from programs.models import Agreement, Membership, Severity

from ._common import user_or_none

# The default ladder, drawn from real programs (DESIGN.md §8): the Fair Food Program's
# zero tolerance (buyers suspend purchases for at least 90 days), CAP + probation for
# major findings, suspension on a third major within a year, and the Accord's three
# escalation stages (1 notice, 2 warning, 3 termination).
_LADDER_COLUMNS = (
    "severity",
    "repeat_count",
    "window_days",
    "supplier_action",
    "suspension_days",
    "escalation_stage",
    "buyer_obligation",
    "obligation_days",
)
_S, _B = SupplierAction, BuyerObligationKind
DEFAULT_RULES = [
    dict(zip(_LADDER_COLUMNS, rung, strict=True))
    for rung in (
        # severity, repeat count, within days → supplier action, suspension days,
        # escalation stage, buyers' obligation, days to fulfil it
        (Severity.ZERO_TOLERANCE, 1, 730, _S.SUSPENSION, 90, 2, _B.SUSPEND_PURCHASES, 7),
        (Severity.ZERO_TOLERANCE, 2, 730, _S.TERMINATION, 0, 3, _B.END_RELATIONSHIP, 30),
        (Severity.MAJOR, 1, 365, _S.PROBATION, 0, 1, _B.NOTIFY, 14),
        (Severity.MAJOR, 2, 365, _S.PROBATION, 0, 2, _B.NOTIFY, 14),
        (Severity.MAJOR, 3, 365, _S.SUSPENSION, 90, 2, _B.SUSPEND_PURCHASES, 14),
        (Severity.MINOR, 1, 365, _S.CAP_REQUIRED, 0, 0, _B.NONE, 14),
        (Severity.MINOR, 3, 365, _S.PROBATION, 0, 1, _B.NOTIFY, 14),
    )
]

RULE_FIELDS = {
    "severity",
    "repeat_count",
    "window_days",
    "supplier_action",
    "cap_required",
    "suspension_days",
    "escalation_stage",
    "buyer_obligation",
    "obligation_days",
}
SETTINGS_FIELDS = {
    "confirm_roles",
    "premium_tolerance_percent",
    "premium_tolerance_amount",
    "breach_grace_days",
    "approval_stages",
}


def require_role(actor, program, roles, what="do this"):
    """The actor's active membership role must be in ``roles`` (else DomainError
    'forbidden'). Returns the membership. A ``SystemActor`` (tasks, beat, seeding)
    passes; a bare string is no actor and is refused like a stranger."""
    if isinstance(actor, SystemActor):
        return None
    membership = Membership.objects.filter(
        user=user_or_none(actor), program_id=program.pk, is_active=True
    ).first()
    if membership is None or membership.role not in roles:
        raise DomainError(f"You are not allowed to {what} in this program.", code="forbidden")
    return membership


def confirm_roles(program):
    """Policy hook of ``core.authz`` "violation.confirm": admins and the roles the
    program's enforcement settings name."""
    return settings_for(program).allowed_confirm_roles()


def confirm_roles_many(programs):
    """``confirm_roles`` of several programs in one query ({program id: roles})."""
    stored = {
        s.program_id: s
        for s in EnforcementSettings.objects.filter(program_id__in=[p.pk for p in programs])
    }
    return {
        p.pk: (
            stored.get(p.pk) or EnforcementSettings(program_id=p.pk, confirm_roles=[])
        ).allowed_confirm_roles()
        for p in programs
    }


def dismiss_roles(program):
    """Policy hook of "violation.dismiss": the confirming roles and staff."""
    return confirm_roles(program) | {Role.STAFF}


def settings_for(program):
    """The program's EnforcementSettings, or the defaults (unsaved) until someone changes
    them: reading a page never writes a row, and every stored row has its audit event."""
    return EnforcementSettings.objects.filter(program_id=program.pk).first() or (
        EnforcementSettings(program_id=program.pk, confirm_roles=[])
    )


@transaction.atomic
def enforcement_settings_update(*, actor, program, **data):
    require_member(actor, program, "enforcement_settings.update")
    obj = settings_for(program)
    changes = {}
    for field, value in data.items():
        if field not in SETTINGS_FIELDS:
            raise DomainError(f"'{field}' cannot be changed here.")
        if field == "confirm_roles":
            unknown = set(value) - set(Role.values)
            if unknown or Role.BUYER_OFFICER in value:
                raise DomainError("Only program roles (not buyer officers) may confirm.")
        if field == "approval_stages":
            if not isinstance(value, list | tuple) or not all(
                isinstance(v, int) and 1 <= v <= 3 for v in value
            ):
                raise DomainError("Approval stages are escalation stages 1 to 3.")
            value = sorted(set(value))
        if field in ("premium_tolerance_percent", "premium_tolerance_amount"):
            value = Decimal(value)
            if value < 0:
                raise DomainError("A tolerance cannot be negative.")
        old = getattr(obj, field)
        if old != value:
            changes[field] = [str(old), str(value)]
            setattr(obj, field, value)
    obj.full_clean()
    obj.save()
    audit_log(
        program=program,
        actor=actor,
        verb="enforcement_settings.updated",
        obj=obj,
        payload=changes,
    )
    return obj


def current_policy(program):
    return ConsequencePolicy.objects.filter(
        program_id=program.pk, status=PolicyStatus.RATIFIED
    ).first()


@transaction.atomic
def policy_ensure_default(*, actor, program):
    """Return the program's ratified policy, creating and ratifying the default ladder
    when the program has none. Creation is serialized per program by a row lock on the
    program (and a unique constraint allows one ratified version), so two concurrent
    callers cannot both create version 1."""
    require_member(actor, program, "policy.edit")
    from programs.models import Program

    policy = current_policy(program)
    if policy is not None:
        return policy
    # The lock order (core/audit.py): the chain lock first. NO KEY UPDATE: serializes
    # creators without blocking inserts that reference the program (their foreign-key
    # checks take KEY SHARE locks).
    chain_lock(program.pk)
    Program.objects.select_for_update(no_key=True).filter(pk=program.pk).first()
    policy = current_policy(program)
    if policy is not None:
        return policy
    number = ConsequencePolicy.objects.filter(program_id=program.pk).order_by("-number").first()
    policy = ConsequencePolicy.objects.create(
        program_id=program.pk,
        number=(number.number + 1) if number else 1,
        title="Default consequence ladder",
        status=PolicyStatus.RATIFIED,
        effective_date=timezone.localdate(),
        ratified_at=timezone.now(),
        notes=(
            "Created automatically from real programs' practice: zero tolerance → "
            "suspension of at least 90 days; major → corrective action plan and probation; "
            "a third major within a year → suspension; escalation stages 1 notice, "
            "2 warning, 3 termination."
        ),
    )
    ConsequenceRule.objects.bulk_create(
        ConsequenceRule(program_id=program.pk, policy=policy, **rule) for rule in DEFAULT_RULES
    )
    audit_log(
        program=program,
        actor=actor,
        verb="consequence_policy.default_created",
        obj=policy,
        payload={"number": policy.number, "rules": len(DEFAULT_RULES)},
    )
    return policy


@transaction.atomic
def policy_draft_create(*, actor, program):
    """Start a draft as a copy of the ratified version's rules (one draft at a time)."""
    require_member(actor, program, "policy.edit")
    from programs.models import Program

    chain_lock(program.pk)  # the lock order (core/audit.py): chain first, then rows
    Program.objects.select_for_update(no_key=True).filter(pk=program.pk).first()
    if ConsequencePolicy.objects.filter(program_id=program.pk, status="draft").exists():
        raise IllegalTransition("This program already has a draft consequence policy.")
    source = current_policy(program)
    latest = ConsequencePolicy.objects.filter(program_id=program.pk).order_by("-number").first()
    draft = ConsequencePolicy.objects.create(
        program_id=program.pk,
        number=(latest.number + 1) if latest else 1,
        title=source.title if source else "Consequence ladder",
    )
    if source is not None:
        ConsequenceRule.objects.bulk_create(
            ConsequenceRule(
                program_id=program.pk,
                policy=draft,
                **{f: getattr(rule, f) for f in RULE_FIELDS},
            )
            for rule in source.rules.all()
        )
    audit_log(
        program=program,
        actor=actor,
        verb="consequence_policy.draft_created",
        obj=draft,
        payload={"number": draft.number, "from": source.number if source else None},
    )
    return draft


def _validate_rule(rule):
    if rule.supplier_action == SupplierAction.SUSPENSION and rule.suspension_days < 1:
        raise DomainError("A suspension needs a number of days.")
    if rule.escalation_stage > 3:
        raise DomainError("Escalation stages run from 0 to 3.")
    rule.full_clean(exclude=["policy", "program"])


@transaction.atomic
def policy_rule_set(*, actor, policy, **fields):
    """Add or replace the rule for (severity, repeat_count) in a draft policy."""
    require_member(actor, policy.program, "policy.edit")
    chain_lock(policy.program_id)  # the lock order: core/audit.py
    policy = ConsequencePolicy.objects.select_for_update(no_key=True).get(pk=policy.pk)
    if policy.status != PolicyStatus.DRAFT:
        raise IllegalTransition("Only a draft consequence policy can be edited.")
    unknown = set(fields) - RULE_FIELDS
    if unknown:
        raise DomainError(f"Unknown rule fields: {', '.join(sorted(unknown))}.")
    rule = ConsequenceRule.objects.filter(
        policy=policy, severity=fields.get("severity"), repeat_count=fields.get("repeat_count", 1)
    ).first() or ConsequenceRule(program_id=policy.program_id, policy=policy)
    for field, value in fields.items():
        setattr(rule, field, value)
    _validate_rule(rule)
    rule.save()
    audit_log(
        program=policy.program,
        actor=actor,
        verb="consequence_policy.rule_set",
        obj=policy,
        payload={f: str(getattr(rule, f)) for f in RULE_FIELDS},
    )
    return rule


@transaction.atomic
def policy_ratify(*, actor, policy, effective_date=None):
    """Ratify a draft; the previously ratified version is superseded."""
    require_member(actor, policy.program, "policy.edit")
    chain_lock(policy.program_id)  # the lock order: core/audit.py
    policy = ConsequencePolicy.objects.select_for_update(no_key=True).get(pk=policy.pk)
    check_transition(POLICY_TRANSITIONS, policy.status, PolicyStatus.RATIFIED, "policy")
    if not policy.rules.exists():
        raise DomainError("A consequence policy needs at least one rule.")
    previous = current_policy(policy.program)
    if previous is not None:
        previous.status = PolicyStatus.SUPERSEDED
        previous.save(update_fields=["status"])
    policy.status = PolicyStatus.RATIFIED
    policy.ratified_by = user_or_none(actor)
    policy.ratified_at = timezone.now()
    policy.effective_date = effective_date or timezone.localdate()
    policy.save()
    audit_log(
        program=policy.program,
        actor=actor,
        verb="consequence_policy.ratified",
        obj=policy,
        payload={"number": policy.number, "superseded": previous.number if previous else None},
    )
    return policy


@transaction.atomic
def agreement_policy_bind(*, actor, agreement, policy):
    """Record which ratified policy version an agreement's consequence clause refers to."""
    require_member(actor, agreement.program, "agreement_policy.bind")
    same_program(agreement.program_id, policy)
    policy = ConsequencePolicy.objects.get(pk=policy.pk)
    if policy.status == PolicyStatus.DRAFT:
        raise DomainError("An agreement can only refer to a ratified policy version.")
    agreement = Agreement.objects.get(pk=agreement.pk)
    link, created = AgreementPolicy.objects.update_or_create(
        agreement=agreement, defaults={"program_id": agreement.program_id, "policy": policy}
    )
    audit_log(
        program=agreement.program,
        actor=actor,
        verb="agreement_policy.bound",
        obj=link,
        payload={"agreement": agreement.pk, "policy": policy.pk, "number": policy.number},
    )
    return link
