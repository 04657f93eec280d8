"""The premium ledger: CSV import (all or nothing), reconciliation, shortfall check."""

import datetime
from decimal import Decimal

import pytest

from core.errors import DomainError
from core.models import AuditEvent
from enforcement.models import Violation
from premiums import selectors as premiums_selectors
from premiums import services as premiums_services
from premiums.models import PayrollDistribution, PurchaseReport
from tests.enforcement.conftest import add_premium_provision

REPORTS = """buyer,supplier,period_start,period_end,volume,unit
{buyer},{supplier},2026-01-01,2026-01-31,100000,lb
{buyer},{supplier},2026-02-01,2026-02-28,50000,lb
"""


def reports_csv(world, extra=""):
    return (REPORTS + extra).format(buyer=world.buyer.name, supplier=world.supplier.legal_name)


def test_import_purchase_reports_computes_premium_owed(a):
    batch = premiums_services.ledger_import_csv(
        actor=a.user("staff"),
        program=a.program,
        kind="purchase_reports",
        content=reports_csv(a).encode(),
        filename="q1.csv",
    )
    assert batch.row_count == 2
    owed = sorted(PurchaseReport.objects.values_list("premium_owed", flat=True))
    assert owed == [Decimal("500.00"), Decimal("1000.00")]  # 1 cent per pound
    assert AuditEvent.objects.filter(verb="ledger.imported").count() == 1


def test_one_bad_row_imports_nothing_and_names_the_row(a):
    bad = reports_csv(a, "{buyer},{supplier},2026-03-01,2026-03-31,lots,lb\n")
    with pytest.raises(premiums_services.ImportRejected) as exc:
        premiums_services.ledger_import_csv(
            actor=a.user("staff"), program=a.program, kind="purchase_reports", content=bad
        )
    assert exc.value.errors == [{"row": 4, "column": "volume", "message": "'lots' is not a number"}]
    assert "row 4" in exc.value.message
    assert PurchaseReport.objects.count() == 0
    assert not AuditEvent.objects.filter(verb="ledger.imported").exists()


def test_import_errors_unknown_parties_and_buyers_without_agreement(a, b):
    content = (
        "buyer,supplier,period_start,period_end,volume,unit\n"
        f"{a.other_buyer.name},{a.supplier.legal_name},2026-01-01,2026-01-31,10,lb\n"
        f"{b.buyer.name},{a.supplier.legal_name},2026-01-01,2026-01-31,10,lb\n"
        f"{a.buyer.name},{a.supplier.legal_name},2026-01-31,2026-01-01,10,lb\n"
    )
    with pytest.raises(premiums_services.ImportRejected) as exc:
        premiums_services.ledger_import_csv(
            actor=a.user("admin"), program=a.program, kind="purchase_reports", content=content
        )
    assert [(e["row"], e["column"]) for e in exc.value.errors] == [
        (2, "buyer"),
        (3, "buyer"),
        (4, "period_end"),
    ]
    with pytest.raises(premiums_services.ImportRejected) as exc:
        premiums_services.ledger_import_csv(
            actor=a.user("admin"),
            program=a.program,
            kind="payroll_distributions",
            content="supplier,period_start\nX,2026-01-01\n",
        )
    assert exc.value.errors[0]["row"] == 1


def test_ledger_import_is_for_admins_and_staff(a):
    with pytest.raises(DomainError):
        premiums_services.ledger_import_csv(
            actor=a.user("viewer"),
            program=a.program,
            kind="purchase_reports",
            content=reports_csv(a),
        )


def _ledger(world, *, paid, distributed):
    premiums_services.ledger_import_csv(
        actor=world.user("staff"),
        program=world.program,
        kind="purchase_reports",
        content=reports_csv(world),
    )
    premiums_services.ledger_import_csv(
        actor=world.user("staff"),
        program=world.program,
        kind="premium_payments",
        content=(
            "buyer,supplier,period_start,period_end,amount,paid_on,reference\n"
            f"{world.buyer.name},{world.supplier.legal_name},2026-01-01,2026-01-31,{paid},"
            "2026-02-10,WIRE-1\n"
        ),
    )
    premiums_services.ledger_import_csv(
        actor=world.user("staff"),
        program=world.program,
        kind="payroll_distributions",
        content=(
            "supplier,facility,period_start,period_end,workers_paid,amount\n"
            f"{world.supplier.legal_name},{world.facility.name},2026-01-01,2026-01-15,110,"
            f"{distributed / 2}\n"
            f"{world.supplier.legal_name},,2026-01-16,2026-01-31,115,{distributed / 2}\n"
        ),
    )


def test_reconciliation_rows_and_program_total(a):
    _ledger(a, paid=Decimal("1000.00"), distributed=Decimal("900.00"))
    rows = premiums_selectors.reconciliation(program=a.program)
    jan = next(r for r in rows if r["period_start"] == datetime.date(2026, 1, 1))
    assert (jan["owed"], jan["paid"], jan["distributed"]) == (
        Decimal("1000.00"),
        Decimal("1000.00"),
        Decimal("900.00"),
    )
    assert jan["shortfall"] == Decimal("100.00")
    assert jan["distribution_gap"] == Decimal("100.00")
    feb = next(r for r in rows if r["period_start"] == datetime.date(2026, 2, 1))
    assert feb["paid"] == 0 and feb["payment_gap"] == Decimal("500.00")
    assert premiums_selectors.premium_paid_to_workers(program=a.program) == Decimal("900.00")
    assert PayrollDistribution.objects.filter(facility=a.facility).count() == 1


def test_shortfall_without_a_premium_provision_says_so(a):
    _ledger(a, paid=Decimal("1000.00"), distributed=Decimal("500.00"))
    result = premiums_services.premium_shortfall_check(actor=a.user("staff"), program=a.program)
    assert result["missing_provision"] is True
    assert "no provision with category 'premium'" in result["message"]
    assert not Violation.objects.exists()


def test_shortfall_beyond_tolerance_opens_one_proposed_violation(a):
    add_premium_provision(a)
    _ledger(a, paid=Decimal("1000.00"), distributed=Decimal("900.00"))  # 10% short
    result = premiums_services.premium_shortfall_check(actor=a.user("staff"), program=a.program)
    assert len(result["opened"]) == 1
    v = result["opened"][0]
    assert v.state == "proposed" and v.source_kind == "premium_shortfall"
    assert v.provision.category == "premium" and v.facility is None
    assert len(result["buyer_underpayments"]) == 1  # February unpaid
    again = premiums_services.premium_shortfall_check(actor=a.user("staff"), program=a.program)
    assert again["opened"] == [] and again["already_open"] == 1


def test_shortfall_within_tolerance_opens_nothing(a):
    add_premium_provision(a)
    _ledger(a, paid=Decimal("1000.00"), distributed=Decimal("960.00"))  # 4% < 5%
    result = premiums_services.premium_shortfall_check(actor=a.user("staff"), program=a.program)
    assert result["opened"] == [] and result["shortfalls"] == 0


def test_daily_beat_job_proposes_premium_violations_once(a):
    from premiums.tasks import check_program_premium_shortfalls

    add_premium_provision(a)
    _ledger(a, paid=Decimal("1000.00"), distributed=Decimal("700.00"))
    assert check_program_premium_shortfalls(a.program.pk) == 1
    assert check_program_premium_shortfalls(a.program.pk) == 0
    assert Violation.objects.filter(source_kind="premium_shortfall").count() == 1


def test_daily_beat_job_checks_each_program_in_a_task_of_its_own(a):
    """One program's failing check must not skip the others: one message per program
    on the real broker, each redelivered on its own."""
    from config.celery import app
    from premiums.tasks import check_premium_shortfalls
    from programs.models import Program

    app.control.purge()
    try:
        queued = check_premium_shortfalls()
        assert queued == Program.objects.count() >= 2
        assert app.control.purge() == queued
    finally:
        app.control.purge()


def test_public_premium_figures_are_the_ledgers_own(a):
    """The public page's premium figures come from the ledger (premiums.selectors), beside
    enforcement's own figures (which no longer carry them)."""
    from enforcement import selectors as enforcement_selectors

    assert premiums_selectors.public_premium_stats(program=a.program) == {
        "premium_paid_to_workers": premiums_selectors.premium_paid_to_workers(program=a.program),
        "premium_currency": "USD",
    }
    assert "premium_currency" not in enforcement_selectors.public_enforcement_stats(
        program=a.program
    )
