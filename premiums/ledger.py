"""The premium reconciliation computed and paged in SQL.

``reconciliation`` used to build every row of a program in Python (104,000 at the
bench's large scale, 4 s) to show a page of 25. ``ReconciliationRows`` is a lazy
sequence: ``count()`` is one COUNT over the purchase reports, a slice is one query that
cuts the page first (ORDER BY ... LIMIT/OFFSET over the reports and the two names) and
then computes, for those rows only, what the buyer paid, what the supplier received from
all buyers and what it distributed on payroll (correlated aggregates on the payment and
distribution tables). Iterating it streams every row through a server-side cursor (the
CSV), in the same order. The figures are the same as ``selectors._PremiumLedger.row``
(checked by ``tests/enforcement/test_ledger_sql.py``); the sharing of distributions and
its rounding stay in Python, per row, so they are exactly the same Decimal arithmetic.

A purchase report is unique per (program, buyer, supplier, period_start, period_end)
(constraint ``purchasereport_one_per_period``), so a reconciliation row is one report.
"""

from decimal import Decimal

from django.db import connection

from premiums.models import PayrollDistribution, PremiumPayment, PurchaseReport
from programs.models import Buyer, Supplier

ZERO = Decimal("0")
ZERO_CENTS = Decimal("0.00")
CENTS = Decimal("0.01")

_REPORT = PurchaseReport._meta.db_table
_PAYMENT = PremiumPayment._meta.db_table
_DIST = PayrollDistribution._meta.db_table
_BUYER = Buyer._meta.db_table
_SUPPLIER = Supplier._meta.db_table

# The page's order: newest period first, then buyer and supplier by name; ids and the
# period end break ties so pages never overlap.
_ORDER = "r.period_start DESC, b.name, s.legal_name, r.buyer_id, r.supplier_id, r.period_end"

# Table names come from the models; the WHERE clause from fixed fragments (values are
# always parameters).
_ROWS_SQL = f"""
WITH page AS (
    SELECT r.program_id, r.buyer_id, b.name AS buyer, r.supplier_id, s.legal_name AS supplier,
           r.period_start, r.period_end, r.currency, r.volume, r.premium_owed AS owed
    FROM {_REPORT} r
    JOIN {_BUYER} b ON b.id = r.buyer_id
    JOIN {_SUPPLIER} s ON s.id = r.supplier_id
    WHERE {{where}}
    ORDER BY {_ORDER}
    {{limit}}
)
SELECT page.*,
    (SELECT SUM(p.amount) FROM {_PAYMENT} p
      WHERE p.program_id = page.program_id AND p.buyer_id = page.buyer_id
        AND p.supplier_id = page.supplier_id
        AND p.period_start = page.period_start AND p.period_end = page.period_end) AS paid,
    (SELECT SUM(p.amount) FROM {_PAYMENT} p
      WHERE p.program_id = page.program_id AND p.supplier_id = page.supplier_id
        AND p.period_start = page.period_start AND p.period_end = page.period_end
    ) AS received,
    (SELECT SUM(d.amount) FROM {_DIST} d
      WHERE d.program_id = page.program_id AND d.supplier_id = page.supplier_id
        AND d.period_start >= page.period_start AND d.period_end <= page.period_end
    ) AS distributed_all
FROM page
ORDER BY page.period_start DESC, page.buyer, page.supplier, page.buyer_id, page.supplier_id,
         page.period_end
"""  # noqa: S608

_COLUMNS = (
    "program_id",
    "buyer_id",
    "buyer",
    "supplier_id",
    "supplier",
    "period_start",
    "period_end",
    "currency",
    "volume",
    "owed",
    "paid",
    "received",
    "distributed_all",
)


def _row(values, with_program):
    r = dict(zip(_COLUMNS, values, strict=True))
    if not with_program:
        del r["program_id"]
    owed = r["owed"] if r["owed"] is not None else ZERO
    paid = r.pop("paid") or ZERO
    received = r.pop("received") or ZERO
    distributed_all = r.pop("distributed_all") or ZERO
    if received > 0:
        distributed = (distributed_all * paid / received).quantize(CENTS)
    else:
        distributed = ZERO_CENTS
    r.update(
        owed=owed,
        paid=paid,
        distributed=distributed,
        payment_gap=max(owed - paid, ZERO),
        distribution_gap=max(paid - distributed, ZERO),
        shortfall=max(owed - distributed, ZERO),
    )
    return r


class ReconciliationRows:
    """A lazy, sliceable sequence of reconciliation rows (Django's Paginator and DRF's
    page pagination use ``count()`` and a slice)."""

    def __init__(self, *, program=None, buyer=None, supplier=None, pairs=None):
        """One program's rows (``buyer``/``supplier`` narrow them), or with ``pairs``
        [(program_id, buyer_id), ...] the rows of those buyers in those programs (the
        buyer portal), each with its ``program_id``."""
        self.params = {}
        if pairs is not None:
            self.with_program = True
            clauses = []
            for i, (program_id, buyer_id) in enumerate(pairs):
                self.params[f"p{i}"], self.params[f"b{i}"] = int(program_id), int(buyer_id)
                clauses.append(f"(r.program_id = %(p{i})s AND r.buyer_id = %(b{i})s)")
            where = ["(" + (" OR ".join(clauses) or "FALSE") + ")"]
        else:
            self.with_program = False
            self.params["program"] = program.pk if hasattr(program, "pk") else program
            where = ["r.program_id = %(program)s"]
        if buyer:
            where.append("r.buyer_id = %(buyer)s")
            self.params["buyer"] = int(buyer)
        if supplier:
            where.append("r.supplier_id = %(supplier)s")
            self.params["supplier"] = int(supplier)
        self.where = " AND ".join(where)
        self._count = None

    def count(self):
        if self._count is None:
            with connection.cursor() as cursor:
                sql = f"SELECT COUNT(*) FROM {_REPORT} r WHERE {self.where}"  # noqa: S608
                cursor.execute(sql, self.params)
                self._count = cursor.fetchone()[0]
        return self._count

    __len__ = count

    def __bool__(self):
        return self.count() > 0

    def _fetch(self, limit, offset):
        sql = _ROWS_SQL.format(where=self.where, limit="LIMIT %(limit)s OFFSET %(offset)s")
        with connection.cursor() as cursor:
            cursor.execute(sql, {**self.params, "limit": limit, "offset": offset})
            return [_row(v, self.with_program) for v in cursor.fetchall()]

    def __getitem__(self, key):
        if isinstance(key, slice):
            if key.step not in (None, 1):
                raise ValueError("no step")
            start = key.start or 0
            stop = key.stop if key.stop is not None else self.count()
            if start < 0 or stop < 0:
                raise ValueError("no negative indexes")
            if stop <= start:
                return []
            return self._fetch(stop - start, start)
        if key < 0:
            key += self.count()
        rows = self._fetch(1, key)
        if not rows:
            raise IndexError(key)
        return rows[0]

    def __iter__(self):
        """Every row in order, streamed through a server-side cursor (chunks of 2,000)."""
        sql = _ROWS_SQL.format(where=self.where, limit="")
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, self.params)
            while True:
                chunk = cursor.fetchmany(2000)
                if not chunk:
                    break
                for values in chunk:
                    yield _row(values, self.with_program)
