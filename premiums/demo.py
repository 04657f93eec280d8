"""The premium ledger's part of the demo history (demo/seed.py)."""

import datetime
from decimal import Decimal

from django.utils import timezone

from core.roles import Role
from programs import selectors as program_selectors

from . import services
from .models import PurchaseReport


def seed(*, program, members):
    """Three months of purchase reports, payments and payroll distributions; in the last,
    one grower passed on only 80% and the shortfall check proposes a violation."""
    agreements = [
        a
        for a in program_selectors.agreement_list(program=program, status="active")
        if a.premium_rate > 0
    ]
    if not agreements or PurchaseReport.objects.filter(program=program).exists():
        return
    staff = members[Role.STAFF]
    today = timezone.localdate()
    first = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    months = []
    start = first
    for _ in range(3):
        end = (start + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
        months.insert(0, (start, end))
        start = (start - datetime.timedelta(days=1)).replace(day=1)
    sourcing = program_selectors.sourcing_list(program=program, active_on=today)
    pairs = [
        (r.buyer, r.supplier) for r in sourcing if any(a.buyer_id == r.buyer_id for a in agreements)
    ][:4]
    for month_index, (start, end) in enumerate(months):
        received = {}
        for i, (buyer, supplier) in enumerate(pairs):
            volume = Decimal(80000 + 15000 * i + 5000 * month_index)
            report = services.purchase_report_record(
                actor=staff,
                program=program,
                buyer=buyer,
                supplier=supplier,
                period_start=start,
                period_end=end,
                volume=volume,
            )
            services.premium_payment_record(
                actor=staff,
                program=program,
                buyer=buyer,
                supplier=supplier,
                period_start=start,
                period_end=end,
                amount=report.premium_owed,
                paid_on=end + datetime.timedelta(days=10),
                reference=f"WIRE-{start:%Y%m}-{i}",
            )
            received[supplier] = received.get(supplier, Decimal(0)) + report.premium_owed
        for j, (supplier, amount) in enumerate(received.items()):
            # The last month, one grower passed on only 80%: the reconciliation shows it.
            share = Decimal("0.80") if (j == 0 and month_index == len(months) - 1) else 1
            services.payroll_distribution_record(
                actor=staff,
                program=program,
                supplier=supplier,
                period_start=start,
                period_end=end,
                workers_paid=supplier.facilities.count() * 85,
                amount=(amount * share).quantize(Decimal("0.01")),
            )
    services.premium_shortfall_check(actor=staff, program=program)
