"""Enforcement at scale: buyer officers, violations in every state with their sanctions,
standings and buyer obligations, and a year of weekly premium ledger rows (purchase
reports, payments, payroll distributions) for the reconciliation measure.

Bulk inserts that respect the constraints: one violation per source, one sanction per
violation, one standing per supplier, one obligation per (violation, buyer), one
purchase report per (buyer, supplier, period), amounts and volumes in range. The
consequence policy is the real default ladder (created by the service).
"""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from bench.seeders.programs import _bench_password_hash
from core.actors import SystemActor
from core.roles import Role
from enforcement.models import (
    BuyerObligation,
    BuyerObligationKind,
    ConsequenceApplication,
    ObligationState,
    OutboxState,
    Sanction,
    SourceKind,
    Standing,
    SupplierAction,
    SupplierStanding,
    Violation,
    ViolationState,
)
from enforcement.services import policy_ensure_default
from premiums.models import PayrollDistribution, PremiumPayment, PurchaseReport
from programs.models import (
    Agreement,
    Buyer,
    Facility,
    Membership,
    Provision,
    SourcingRelationship,
)

BATCH = 5000
CENT = Decimal("0.01")
WEEKS = 52


def _scaled(scale):
    large = scale["facilities"] >= 20000
    return {
        "violations": 2000 if large else 200,
        "pairs": 2000 if large else 200,
    }


def _officers(program):
    User = get_user_model()
    buyers = list(Buyer.objects.filter(program=program).order_by("pk"))
    users = User.objects.bulk_create(
        User(
            username=f"officer{i:04d}@{program.slug}.bench",
            email=f"officer{i:04d}@{program.slug}.bench",
            password=_bench_password_hash(),
        )
        for i in range(len(buyers))
    )
    Membership.objects.bulk_create(
        Membership(user=u, program=program, role=Role.BUYER_OFFICER, buyer=b)
        for u, b in zip(users, buyers, strict=True)
    )
    return buyers


def _violations(*, program, rng, count, policy):
    rules = {r.severity: r for r in policy.rules.filter(repeat_count=1)}
    facilities = list(
        Facility.objects.filter(program=program).values_list("id", "supplier_id")[: count * 2]
    )
    provisions = list(Provision.objects.filter(program=program).values_list("id", "severity"))
    buyers_of = {}
    for buyer_id, supplier_id in SourcingRelationship.objects.filter(program=program).values_list(
        "buyer_id", "supplier_id"
    ):
        buyers_of.setdefault(supplier_id, []).append(buyer_id)
    agreement_of = dict(Agreement.objects.filter(program=program).values_list("buyer_id", "id"))
    now = timezone.now()
    today = timezone.localdate()
    states = (
        [ViolationState.PROPOSED] * 2
        + [ViolationState.DISMISSED]
        + [ViolationState.CONSEQUENCES_APPLIED] * 4
        + [ViolationState.REMEDIATED] * 3
    )
    violations = []
    used_suppliers = set()
    for i in range(count):
        facility_id, supplier_id = facilities[(i * 2) % len(facilities)]
        provision_id, severity = provisions[i % len(provisions)]
        state = rng.choice(states)
        # One applied violation per supplier keeps the standing a single, consistent step.
        if state in (ViolationState.CONSEQUENCES_APPLIED, ViolationState.REMEDIATED):
            if supplier_id in used_suppliers:
                state = ViolationState.PROPOSED
            used_suppliers.add(supplier_id)
        when = now - datetime.timedelta(days=rng.randint(5, 500))
        v = Violation(
            program=program,
            supplier_id=supplier_id,
            facility_id=facility_id,
            provision_id=provision_id,
            severity=severity,
            source_kind=SourceKind.MANUAL,
            source_ref=f"bench-{i}",
            summary="Confirmed by worker interviews during a bench audit.",
            state=state,
            proposed_by_label="bench-seed",
        )
        if state == ViolationState.DISMISSED:
            v.dismissed_at = when
            v.dismissal_reason = "Not supported by the records."
        if state in (ViolationState.CONSEQUENCES_APPLIED, ViolationState.REMEDIATED):
            v.confirmed_at = when
            v.applied_at = when + datetime.timedelta(seconds=2)
        if state == ViolationState.REMEDIATED:
            v.remediated_at = when + datetime.timedelta(days=60)
            v.remediation_note = "Verified at the follow-up audit."
        violations.append(v)
    violations = Violation.objects.bulk_create(violations, batch_size=BATCH)
    applied = [v for v in violations if v.applied_at]
    ConsequenceApplication.objects.bulk_create(
        ConsequenceApplication(
            program=program, violation=v, state=OutboxState.APPLIED, applied_at=v.applied_at
        )
        for v in applied
    )
    sanctions, standings = [], []
    for v in applied:
        rule = rules.get(v.severity)
        action = rule.supplier_action if rule else SupplierAction.CAP_REQUIRED
        starts = v.applied_at.date()
        ends = (
            starts + datetime.timedelta(days=rule.suspension_days)
            if action == SupplierAction.SUSPENSION
            else None
        )
        sanctions.append(
            Sanction(
                program=program,
                violation=v,
                supplier_id=v.supplier_id,
                policy=policy,
                rule=rule,
                rule_snapshot={"severity": v.severity, "action": action},
                action=action,
                cap_required=bool(rule and rule.cap_required),
                starts_on=starts,
                ends_on=ends,
                description=rule.describe() if rule else "Corrective action plan required",
            )
        )
        remediated = v.state == ViolationState.REMEDIATED
        if remediated or action == SupplierAction.CAP_REQUIRED:
            standing, stage = Standing.GOOD, 0
        elif action == SupplierAction.SUSPENSION and ends and ends >= today:
            standing, stage = Standing.SUSPENDED, rule.escalation_stage
        elif action == SupplierAction.SUSPENSION:
            standing, stage = Standing.REINSTATEMENT_REVIEW, rule.escalation_stage
        elif action == SupplierAction.TERMINATION:
            standing, stage = Standing.TERMINATED, 3
        else:
            standing, stage = Standing.PROBATION, rule.escalation_stage if rule else 0
        standings.append(
            SupplierStanding(
                program=program,
                supplier_id=v.supplier_id,
                standing=standing,
                stage=stage,
                suspended_since=starts if standing == Standing.SUSPENDED else None,
                suspended_until=ends if standing == Standing.SUSPENDED else None,
                terminated_on=starts if standing == Standing.TERMINATED else None,
            )
        )
    sanctions = Sanction.objects.bulk_create(sanctions, batch_size=BATCH)
    SupplierStanding.objects.bulk_create(standings, batch_size=BATCH)
    obligations = []
    for sanction, v in zip(sanctions, applied, strict=True):
        kind = sanction.rule.buyer_obligation if sanction.rule else BuyerObligationKind.NONE
        if kind == BuyerObligationKind.NONE:
            continue
        due = sanction.starts_on + datetime.timedelta(days=sanction.rule.obligation_days)
        for buyer_id in buyers_of.get(v.supplier_id, []):
            state = (
                ObligationState.FULFILLED
                if v.state == ViolationState.REMEDIATED or due < today - datetime.timedelta(30)
                else rng.choice([ObligationState.PENDING, ObligationState.ACKNOWLEDGED])
            )
            o = BuyerObligation(
                program=program,
                buyer_id=buyer_id,
                violation=v,
                sanction=sanction,
                supplier_id=v.supplier_id,
                agreement_id=agreement_of.get(buyer_id),
                kind=kind,
                required=f"{kind}: by {due:%Y-%m-%d}",
                due_date=due,
                state=state,
            )
            if state in (ObligationState.ACKNOWLEDGED, ObligationState.FULFILLED):
                o.acknowledged_at = v.applied_at + datetime.timedelta(days=1)
            if state == ObligationState.FULFILLED:
                o.attested_at = v.applied_at + datetime.timedelta(days=5)
                o.attestation_note = "Purchases suspended; orders cancelled."
            obligations.append(o)
    BuyerObligation.objects.bulk_create(obligations, batch_size=BATCH)
    return len(violations), len(sanctions), len(obligations)


def _ledger(*, program, rng, pairs):
    """A year of weekly purchase reports for ``pairs`` buyer-supplier pairs, the
    buyers' premium payments for them (most in full, some short, a few missing) and the
    suppliers' weekly payroll distributions of what they received (most pass it all)."""
    rels = list(
        SourcingRelationship.objects.filter(program=program)
        .order_by("pk")
        .values_list("buyer_id", "supplier_id")[:pairs]
    )
    agreements = {
        a.buyer_id: a
        for a in Agreement.objects.filter(program=program).only("id", "buyer_id", "premium_rate")
    }
    facility_of = dict(
        Facility.objects.filter(program=program).order_by("-pk").values_list("supplier_id", "id")
    )
    first_monday = timezone.localdate() - datetime.timedelta(weeks=WEEKS)
    first_monday -= datetime.timedelta(days=first_monday.weekday())
    reports, payments = [], []
    received = {}  # (supplier, week) -> premium received
    counts = [0, 0, 0]

    def flush(force=False):
        nonlocal reports, payments
        if force or len(reports) >= BATCH:
            PurchaseReport.objects.bulk_create(reports)
            PremiumPayment.objects.bulk_create(payments)
            counts[0] += len(reports)
            counts[1] += len(payments)
            reports, payments = [], []

    for buyer_id, supplier_id in rels:
        agreement = agreements[buyer_id]
        for week in range(WEEKS):
            start = first_monday + datetime.timedelta(weeks=week)
            end = start + datetime.timedelta(days=6)
            volume = Decimal(rng.randint(20_000, 400_000))
            owed = (volume * agreement.premium_rate).quantize(CENT)
            reports.append(
                PurchaseReport(
                    program=program,
                    buyer_id=buyer_id,
                    supplier_id=supplier_id,
                    agreement=agreement,
                    period_start=start,
                    period_end=end,
                    volume=volume,
                    unit="lb",
                    premium_rate=agreement.premium_rate,
                    premium_owed=owed,
                )
            )
            x = rng.random()
            if x < 0.03:
                continue  # not paid
            amount = owed if x < 0.95 else (owed * Decimal("0.8")).quantize(CENT)
            if amount <= 0:
                continue
            payments.append(
                PremiumPayment(
                    program=program,
                    buyer_id=buyer_id,
                    supplier_id=supplier_id,
                    period_start=start,
                    period_end=end,
                    amount=amount,
                    paid_on=end + datetime.timedelta(days=10),
                    reference=f"ACH-{buyer_id}-{supplier_id}-{week}",
                )
            )
            received[(supplier_id, start)] = received.get((supplier_id, start), 0) + amount
            flush()
    flush(force=True)
    distributions = []
    for (supplier_id, start), amount in received.items():
        share = Decimal("1") if rng.random() < 0.9 else Decimal("0.7")
        distributions.append(
            PayrollDistribution(
                program=program,
                supplier_id=supplier_id,
                facility_id=facility_of.get(supplier_id),
                period_start=start,
                period_end=start + datetime.timedelta(days=6),
                workers_paid=rng.randint(20, 400),
                amount=(amount * share).quantize(CENT),
            )
        )
    PayrollDistribution.objects.bulk_create(distributions, batch_size=BATCH)
    counts[2] = len(distributions)
    return len(rels), counts


def seed(*, program, scale, rng):
    sizes = _scaled(scale)
    with transaction.atomic():
        policy = policy_ensure_default(actor=SystemActor("bench-seed"), program=program)
        buyers = _officers(program)
        v, s, o = _violations(program=program, rng=rng, count=sizes["violations"], policy=policy)
    print(f"enforcement: {len(buyers)} officers, {v} violations, {s} sanctions, {o} obligations")
    with transaction.atomic():
        pairs, (r, p, d) = _ledger(program=program, rng=rng, pairs=sizes["pairs"])
    print(f"enforcement: {pairs} pairs x {WEEKS} weeks: {r} reports, {p} payments, {d} payroll")
