"""Demo history for enforcement: a zero-tolerance suspension with buyer obligations (one
attested), a major violation on probation, one awaiting a decision, one dismissed, an
escalation from an overdue corrective action, and a premium ledger with one shortfall.
Idempotent: every step looks for its natural key (source_ref, period) first."""

from core.actors import SystemActor
from core.roles import Role
from enforcement.models import AgreementPolicy, ObligationState, ViolationState
from programs import selectors as program_selectors
from programs.models import Severity

from . import selectors, services

ACTOR = SystemActor("seed_demo")


def _violation(program, members, *, ref, provision, facility, summary, outcome):
    existing = selectors.violation_for_source(program=program, source_kind="manual", source_ref=ref)
    v = existing or services.violation_propose(
        actor=members[Role.INVESTIGATOR],
        program=program,
        provision=provision,
        facility=facility,
        source_kind="manual",
        source_ref=ref,
        summary=summary,
    )
    if outcome == "dismissed" and v.state == ViolationState.PROPOSED:
        services.violation_dismiss(
            actor=members[Role.ADMIN],
            violation=v,
            reason="The workers' account could not be corroborated; the case stays open.",
        )
    if outcome == "applied":
        if v.state == ViolationState.PROPOSED:
            services.violation_confirm(actor=members[Role.ADMIN], violation=v)
        v.refresh_from_db()
        if v.state == ViolationState.CONFIRMED:
            services.consequences_apply(violation=v)
    v.refresh_from_db()
    return v


def seed(*, program, members):
    policy = services.policy_ensure_default(actor=ACTOR, program=program)
    for agreement in program_selectors.agreement_list(program=program, status="active"):
        if not AgreementPolicy.objects.filter(agreement=agreement).exists():
            services.agreement_policy_bind(actor=ACTOR, agreement=agreement, policy=policy)

    provisions = list(program_selectors.current_provisions(program=program))
    facilities = list(program_selectors.facility_list(program=program).order_by("pk"))
    if not provisions or len(facilities) < 3:
        return
    zero = next((p for p in provisions if p.severity == Severity.ZERO_TOLERANCE), provisions[0])
    major = next((p for p in provisions if p.severity == Severity.MAJOR), provisions[0])
    minor = next((p for p in provisions if p.severity == Severity.MINOR), major)

    suspended = _violation(
        program,
        members,
        ref="DEMO-INV-001",
        provision=zero,
        facility=facilities[0],
        summary=(
            "Three workers reported that a crew leader held their passports and threatened "
            "to report them if they left; confirmed by the investigator's interviews."
        ),
        outcome="applied",
    )
    _violation(
        program,
        members,
        ref="DEMO-AUD-014",
        provision=major,
        facility=facilities[1],
        summary="Audit found no shade structures at two of five fields during harvest.",
        outcome="applied",
    )
    _violation(
        program,
        members,
        ref="DEMO-INV-002",
        provision=minor,
        facility=facilities[2],
        summary="Paystubs for one crew did not show hours worked.",
        outcome="proposed",
    )
    _violation(
        program,
        members,
        ref="DEMO-INV-003",
        provision=major,
        facility=facilities[2],
        summary="Anonymous report of unpaid overtime in week 12.",
        outcome="dismissed",
    )

    # The buyer officer's company acknowledges and attests its obligation; it waits in
    # the staff's queue of attestations to verify.
    officer = members.get(Role.BUYER_OFFICER)
    officer_membership = program.memberships.filter(user=officer).first() if officer else None
    if officer_membership is not None:
        for obligation in selectors.obligations_for_buyer(
            program=program, buyer=officer_membership.buyer_id
        ).filter(violation=suspended):
            if obligation.state == ObligationState.PENDING:
                services.obligation_acknowledge(actor=officer, obligation=obligation)
                services.obligation_attest(
                    actor=officer,
                    obligation=obligation,
                    note="All open purchase orders with this supplier are on hold.",
                )

    services.escalation_advance(
        actor=ACTOR,
        program=program,
        supplier=facilities[2].supplier,
        facility=facilities[2],
        reason="Corrective action 'install shade structures' passed its deadline.",
        source_kind="demo_cap_item",
        source_ref="DEMO-CAP-7",
    )
