"""Enforcement: the fan-out of a confirmed violation through the real worker, and the
premium reconciliation over a year of weekly reports."""

import datetime
import time

from bench.measure import inproc, measure, record

MAIN = "bench-main"


@measure
def enforcement_fanout():
    """A new supplier sourced by every buyer of the main program (all with active
    agreements); a zero-tolerance violation is confirmed here, and the Celery worker
    started by run.sh applies it. Timed from the call to violation_confirm until the
    outbox row is applied and every obligation is committed."""
    from django.contrib.auth import get_user_model

    from enforcement.models import BuyerObligation, ConsequenceApplication, OutboxState
    from enforcement.services import violation_confirm, violation_propose
    from programs.models import (
        Buyer,
        CodeVersionStatus,
        Facility,
        Program,
        Provision,
        SourcingRelationship,
        Supplier,
    )

    program = Program.objects.get(slug=MAIN)
    admin = get_user_model().objects.get(username=f"admin@{MAIN}.bench")
    stamp = datetime.datetime.now().strftime("%Y%m%d%H%M%S%f")
    supplier = Supplier.objects.create(
        program=program, legal_name=f"Bench Fan-out Supplier {stamp}", country="US"
    )
    facility = Facility.objects.create(
        program=program,
        supplier=supplier,
        name=f"Fan-out Farm {stamp}",
        address="1 Road",
        country="US",
    )
    buyers = list(Buyer.objects.filter(program=program).values_list("pk", flat=True))
    SourcingRelationship.objects.bulk_create(
        SourcingRelationship(
            program=program, buyer_id=b, supplier=supplier, since=datetime.date(2025, 1, 1)
        )
        for b in buyers
    )
    provision = (
        Provision.objects.filter(
            program=program, version__status=CodeVersionStatus.RATIFIED, severity="zero_tolerance"
        )
        .order_by("number")
        .first()
    )
    violation = violation_propose(
        actor=admin,
        program=program,
        provision=provision,
        facility=facility,
        source_kind="manual",
        source_ref=f"bench-fanout-{stamp}",
        summary="Bench: zero-tolerance violation confirmed by interviews.",
    )
    t0 = time.monotonic()
    violation_confirm(actor=admin, violation=violation)
    confirmed = time.monotonic() - t0
    deadline = t0 + 120
    applied_at = None
    while time.monotonic() < deadline:
        if ConsequenceApplication.objects.filter(
            violation=violation, state=OutboxState.APPLIED
        ).exists():
            applied_at = time.monotonic() - t0
            break
        time.sleep(0.02)
    n = BuyerObligation.objects.filter(violation=violation).count()
    if applied_at is None:
        record(
            "enforcement fan-out",
            "TIMEOUT > 120 s",
            target="< 2 s",
            note=f"{n} obligations of {len(buyers)}",
        )
        return
    record(
        f"enforcement fan-out ({len(buyers)} buyers)",
        f"{applied_at:.2f} s",
        target="< 2 s",
        note=f"{n}/{len(buyers)} obligations committed; confirm itself {confirmed * 1000:.0f} ms",
    )


@measure
def premium_reconciliation():
    result = inproc("premium_reconciliation", timeout=120)
    if "timeout" in result:
        record("premium reconciliation", f"> {result['timeout']} s (killed)", target="< 5 s")
        return
    record(
        f"premium reconciliation ({result['pairs']} pairs, {result['reports']} weekly reports)",
        f"{result['seconds']:.2f} s",
        target="< 5 s",
        note=f"{result['rows']} rows, {result['queries']} queries",
    )
    result = inproc("premium_shortfall_check", timeout=120)
    if "timeout" in result:
        record(
            "premium shortfall check (daily job)",
            f"> {result['timeout']} s (killed)",
            target="< 5 s",
        )
        return
    record(
        "premium shortfall check, first run (daily job, rolled back)",
        f"{result['seconds']:.2f} s",
        target="< 5 s",
        note=(
            f"{result['queries']} queries; opens {result['opened']} premium violations "
            f"of {result['shortfalls']} shortfalls (one batch and one audit append)"
        ),
    )
    record(
        "premium shortfall check, next run (all already proposed)",
        f"{result['steady_seconds']:.2f} s",
        target="< 5 s",
        note=f"{result['steady_queries']} queries",
    )
