"""Sample arguments for every enforcement route with more than ``program``."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from core.actors import SystemActor
from enforcement import services
from premiums import services as premiums_services

SYSTEM = SystemActor("route-samples")


def samples(world):
    program = world.program
    violation = services.violation_propose(
        actor=world.user("investigator"),
        program=program,
        provision=world.provision,
        facility=world.facility,
        source_kind="manual",
        source_ref="route-sample-1",
        summary="Route sample violation.",
    )
    services.violation_confirm(actor=world.user("admin"), violation=violation)
    sanction = services.consequences_apply(violation=violation)
    obligation = sanction.obligations.get(buyer=world.buyer)
    services.obligation_attest(
        actor=world.user("buyer_officer"),
        obligation=obligation,
        note="Purchase orders suspended.",
        evidence=SimpleUploadedFile("po.pdf", b"%PDF-1.4 held orders", "application/pdf"),
    )
    standing = services.escalation_advance(
        actor=SYSTEM,
        program=program,
        supplier=world.supplier,
        reason="route sample",
        source_kind="manual",
        source_ref="route-sample",
    )
    # The zero-tolerance sanction left the supplier at stage 2: a job's stage 3 waits.
    proposal = services.escalation_advance(
        actor=SYSTEM,
        program=program,
        supplier=world.supplier,
        reason="route sample",
        source_kind="cap_item",
        source_ref="route-sample:90",
        to_stage=3,
    ).proposal
    period = dict(period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 1, 31))
    report = premiums_services.purchase_report_record(
        actor=SYSTEM,
        program=program,
        buyer=world.buyer,
        supplier=world.supplier,
        volume="1000",
        **period,
    )
    payment = premiums_services.premium_payment_record(
        actor=SYSTEM,
        program=program,
        buyer=world.buyer,
        supplier=world.supplier,
        amount="10.00",
        paid_on=datetime.date(2026, 2, 5),
        **period,
    )
    distribution = premiums_services.payroll_distribution_record(
        actor=SYSTEM,
        program=program,
        supplier=world.supplier,
        workers_paid=12,
        amount="10.00",
        **period,
    )
    policy = services.current_policy(program)
    v = {"pk": violation.pk}
    o = {"pk": obligation.pk}
    return {
        "enforcement:violation_detail": v,
        "enforcement:violation_confirm": v,
        "enforcement:violation_dismiss": v,
        "enforcement:violation_remediate": v,
        "enforcement:standing_detail": {"supplier": world.supplier.pk},
        "enforcement:standing_reinstate": {"supplier": world.supplier.pk},
        "enforcement:proposal_decide": {"supplier": world.supplier.pk, "pk": proposal.pk},
        "enforcement:obligation_detail": o,
        "enforcement:obligation_waive": o,
        "enforcement:obligation_verify": o,
        "enforcement:obligation_reject": o,
        "enforcement:obligation_evidence": o,
        "enforcement-api:violation-detail": v,
        "enforcement-api:violation-confirm": v,
        "enforcement-api:violation-dismiss": v,
        "enforcement-api:violation-remediate": v,
        "enforcement-api:sanction-detail": {"pk": sanction.pk},
        "enforcement-api:standing-detail": {"pk": standing.pk},
        "enforcement-api:standing-history": {"pk": standing.pk},
        "enforcement-api:obligation-detail": o,
        "enforcement-api:obligation-waive": o,
        "enforcement:policy_rule": {"pk": policy.pk},
        "enforcement:policy_ratify": {"pk": policy.pk},
        "enforcement-api:policy-detail": {"pk": policy.pk},
        "enforcement-api:policy-rules": {"pk": policy.pk},
        "enforcement-api:policy-ratify": {"pk": policy.pk},
        "enforcement-api:policy-bind": {"pk": policy.pk},
        "premiums-api:purchase-report-detail": {"pk": report.pk},
        "premiums-api:premium-payment-detail": {"pk": payment.pk},
        "premiums-api:payroll-distribution-detail": {"pk": distribution.pk},
    }
