"""The premium ledger: purchase reports, premium payments, payroll distributions, CSV
import (all or nothing) and the shortfall check that opens premium violations."""

import csv
import datetime
import hashlib
import io
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.db.models import Q

from core.audit import audit_log
from core.authz import require_member
from core.errors import DomainError
from core.roles import Role
from core.tenancy import same_program
from enforcement.models import SourceKind, Violation
from enforcement.services._common import user_or_none
from enforcement.services.policy import settings_for
from programs.models import (
    Agreement,
    AgreementStatus,
    Buyer,
    Category,
    CodeVersion,
    CodeVersionStatus,
    Facility,
    Provision,
    Supplier,
)

from . import selectors
from .models import ImportKind, LedgerImport, PayrollDistribution, PremiumPayment, PurchaseReport

CENT = Decimal("0.01")
# Advisory-lock namespace serializing shortfall checks of one program (see the check).
_SHORTFALL_LOCK = 0x5346
MAX_IMPORT_ROWS = 20_000
LEDGER_ROLES = {Role.ADMIN, Role.STAFF}

COLUMNS = {
    ImportKind.PURCHASE_REPORTS: {
        "required": ["buyer", "supplier", "period_start", "period_end", "volume", "unit"],
        "optional": [],
    },
    ImportKind.PAYROLL_DISTRIBUTIONS: {
        "required": ["supplier", "period_start", "period_end", "workers_paid", "amount"],
        "optional": ["facility", "currency"],
    },
    ImportKind.PREMIUM_PAYMENTS: {
        "required": ["buyer", "supplier", "period_start", "period_end", "amount", "paid_on"],
        "optional": ["currency", "reference"],
    },
}


class ImportRejected(DomainError):
    """A CSV file with errors: nothing was imported. ``errors`` lists
    {"row": n, "column": name, "message": text}; row numbers are line numbers of the
    file (the header is row 1)."""

    code = "import_rejected"

    def __init__(self, errors):
        self.errors = errors
        first = errors[0]
        where = f"row {first['row']}" + (f", column '{first['column']}'" if first["column"] else "")
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"Nothing was imported: {where}: {first['message']}{more}")


# ---------------------------------------------------------------- lookups


def active_agreement(*, program, buyer, on):
    """The buyer's active agreement in force on ``on`` (latest effective first)."""
    return (
        Agreement.objects.filter(
            program_id=program.pk,
            buyer_id=buyer.pk,
            status=AgreementStatus.ACTIVE,
            effective_from__lte=on,
        )
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        .order_by("-effective_from")
        .first()
    )


def premium_owed(*, volume, agreement):
    return (Decimal(volume) * agreement.premium_rate).quantize(CENT)


# ---------------------------------------------------------------- single entries


@transaction.atomic
def purchase_report_record(
    *, actor, program, buyer, supplier, period_start, period_end, volume, unit=None, source=None
):
    """One purchase report; premium owed = volume × the buyer's active agreement's rate
    (the agreement in force at the end of the period)."""
    require_member(actor, program, "ledger.record")
    same_program(program, buyer, supplier)
    if period_end < period_start:
        raise DomainError("The period ends before it starts.")
    volume = Decimal(volume)
    if volume < 0:
        raise DomainError("Volume cannot be negative.")
    agreement = active_agreement(program=program, buyer=buyer, on=period_end)
    if agreement is None:
        raise DomainError(f"{buyer.name} has no active agreement covering {period_end}.")
    unit = unit or agreement.premium_unit
    if unit != agreement.premium_unit:
        raise DomainError(f"The agreement's premium is per {agreement.premium_unit}, not {unit}.")
    if PurchaseReport.objects.filter(
        program_id=program.pk,
        buyer=buyer,
        supplier=supplier,
        period_start=period_start,
        period_end=period_end,
    ).exists():
        raise DomainError("A purchase report for this buyer, supplier and period exists.")
    report = PurchaseReport.objects.create(
        program_id=program.pk,
        buyer=buyer,
        supplier=supplier,
        agreement=agreement,
        period_start=period_start,
        period_end=period_end,
        volume=volume,
        unit=unit,
        premium_rate=agreement.premium_rate,
        premium_owed=premium_owed(volume=volume, agreement=agreement),
        currency=agreement.premium_currency,
        source=source,
    )
    if source is None:
        audit_log(
            program=program,
            actor=actor,
            verb="purchase_report.recorded",
            obj=report,
            payload={"volume": volume, "owed": report.premium_owed},
        )
    return report


@transaction.atomic
def premium_payment_record(
    *,
    actor,
    program,
    buyer,
    supplier,
    period_start,
    period_end,
    amount,
    paid_on,
    currency="USD",
    reference="",
    source=None,
):
    require_member(actor, program, "ledger.record")
    same_program(program, buyer, supplier)
    amount = Decimal(amount)
    if amount <= 0:
        raise DomainError("A payment amount must be positive.")
    if period_end < period_start:
        raise DomainError("The period ends before it starts.")
    payment = PremiumPayment.objects.create(
        program_id=program.pk,
        buyer=buyer,
        supplier=supplier,
        period_start=period_start,
        period_end=period_end,
        amount=amount.quantize(CENT),
        paid_on=paid_on,
        currency=(currency or "USD").upper(),
        reference=reference or "",
        source=source,
    )
    if source is None:
        audit_log(
            program=program,
            actor=actor,
            verb="premium_payment.recorded",
            obj=payment,
            payload={"buyer": buyer.pk, "supplier": supplier.pk, "amount": payment.amount},
        )
    return payment


@transaction.atomic
def payroll_distribution_record(
    *,
    actor,
    program,
    supplier,
    period_start,
    period_end,
    workers_paid,
    amount,
    facility=None,
    currency="USD",
    source=None,
):
    require_member(actor, program, "ledger.record")
    same_program(program, supplier, facility)
    if facility is not None and facility.supplier_id != supplier.pk:
        raise DomainError("That facility belongs to another supplier.")
    amount = Decimal(amount)
    if amount < 0 or int(workers_paid) < 0:
        raise DomainError("Amounts and worker counts cannot be negative.")
    if period_end < period_start:
        raise DomainError("The period ends before it starts.")
    dist = PayrollDistribution.objects.create(
        program_id=program.pk,
        supplier=supplier,
        facility=facility,
        period_start=period_start,
        period_end=period_end,
        workers_paid=int(workers_paid),
        amount=amount.quantize(CENT),
        currency=(currency or "USD").upper(),
        source=source,
    )
    if source is None:
        audit_log(
            program=program,
            actor=actor,
            verb="payroll_distribution.recorded",
            obj=dist,
            payload={"supplier": supplier.pk, "amount": dist.amount, "workers": workers_paid},
        )
    return dist


# ---------------------------------------------------------------- CSV import


class _Row:
    """Parses one CSV row, collecting errors with their row and column."""

    def __init__(self, number, data, errors):
        self.number, self.data, self.errors = number, data, errors
        self.ok = True

    def error(self, column, message):
        self.ok = False
        self.errors.append({"row": self.number, "column": column, "message": message})

    def text(self, column, required=True):
        value = (self.data.get(column) or "").strip()
        if required and not value:
            self.error(column, "is empty")
        return value

    def date(self, column):
        value = self.text(column)
        if not value:
            return None
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            self.error(column, f"'{value}' is not a date (YYYY-MM-DD)")
            return None

    def decimal(self, column, *, positive=False):
        value = self.text(column)
        if not value:
            return None
        try:
            number = Decimal(value.replace(",", ""))
        except InvalidOperation:
            self.error(column, f"'{value}' is not a number")
            return None
        if not number.is_finite() or number < 0 or (positive and number == 0):
            self.error(column, f"'{value}' must be {'positive' if positive else 'zero or more'}")
            return None
        return number

    def integer(self, column):
        value = self.text(column)
        if not value:
            return None
        if not value.isdigit():
            self.error(column, f"'{value}' is not a whole number")
            return None
        return int(value)

    def period(self):
        start, end = self.date("period_start"), self.date("period_end")
        if start and end and end < start:
            self.error("period_end", "is before period_start")
        return start, end

    def lookup(self, column, index, what):
        value = self.text(column)
        if not value:
            return None
        obj = index.get(value.casefold())
        if obj is None:
            self.error(column, f"no {what} '{value}' in this program")
        return obj


def _read_csv(content, kind, *, optional=()):
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ImportRejected(
                [{"row": 1, "column": "", "message": "the file is not UTF-8 text"}]
            ) from exc
    reader = csv.DictReader(io.StringIO(content))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in COLUMNS[kind]["required"] if c not in header and c not in optional]
    if missing:
        raise ImportRejected(
            [{"row": 1, "column": c, "message": "required column is missing"} for c in missing]
        )
    rows = list(reader)
    if not rows:
        raise ImportRejected([{"row": 2, "column": "", "message": "the file has no data rows"}])
    if len(rows) > MAX_IMPORT_ROWS:
        raise ImportRejected(
            [{"row": MAX_IMPORT_ROWS + 2, "column": "", "message": "too many rows in one file"}]
        )
    return rows


def _index(queryset, name_field):
    index = {}
    for obj in queryset:
        index[str(obj.pk)] = obj
        index[getattr(obj, name_field).casefold()] = obj
    return index


@transaction.atomic
def ledger_import_csv(*, actor, program, kind, content, filename=""):
    """Import a CSV file of purchase reports, payroll distributions or premium payments.

    All or nothing: every row is validated first; if any row has an error, nothing is
    written and ImportRejected lists each error with its row (file line number) and
    column. Runs in one transaction; duplicates (in the file or already in the ledger)
    are row errors. Returns the LedgerImport.
    """
    require_member(actor, program, "ledger.record")
    if kind not in COLUMNS:
        raise DomainError(f"Unknown import kind '{kind}'.")
    raw = content if isinstance(content, bytes) else content.encode()
    rows = _read_csv(content, kind)
    return _import_rows(
        actor=actor, program=program, kind=kind, rows=rows, raw=raw, filename=filename
    )


# ---------------------------------------------------------------- the buyer's own reports

# What a buyer's officer reports in the portal: their purchases and their premium
# payments. Payroll distributions are the supplier's, entered by program staff.
BUYER_IMPORT_KINDS = (ImportKind.PURCHASE_REPORTS, ImportKind.PREMIUM_PAYMENTS)


def _require_buyer_officer(actor, program, buyer):
    """After ``require_member(..., "purchases.report")``: the actor is an officer of this
    very buyer (the table decides the role, this the record)."""
    from programs.models import Membership

    if not Membership.objects.filter(
        user_id=getattr(actor, "pk", None),
        program_id=program.pk,
        buyer_id=getattr(buyer, "pk", None),
        role=Role.BUYER_OFFICER,
        is_active=True,
    ).exists():
        raise DomainError(
            "Only a compliance officer of this buyer can report its purchases.",
            code="forbidden",
        )


def buyer_suppliers(*, program, buyer):
    """The suppliers a buyer reports on: those it sources (or sourced) from in the
    program. An officer never learns of the others, even by a name in a CSV."""
    return Supplier.objects.filter(
        program_id=program.pk, sourcing__buyer_id=buyer.pk, sourcing__program_id=program.pk
    ).distinct()


@transaction.atomic
def buyer_ledger_import_csv(*, actor, program, buyer, kind, content, filename=""):
    """The buyer portal's CSV upload: purchase reports or premium payments of the
    officer's own buyer, through the same parser and all-or-nothing import as the staff's
    ``ledger_import_csv``. The ``buyer`` column may be left out (it is this buyer); a row
    naming another buyer is an error. Suppliers: those the buyer sources from."""
    require_member(actor, program, "purchases.report")
    _require_buyer_officer(actor, program, buyer)
    if kind not in BUYER_IMPORT_KINDS:
        raise DomainError("Report purchases or premium payments.")
    raw = content if isinstance(content, bytes) else content.encode()
    rows = _read_csv(content, kind, optional=("buyer",))
    return _import_rows(
        actor=actor, program=program, kind=kind, rows=rows, raw=raw, filename=filename, buyer=buyer
    )


@transaction.atomic
def buyer_purchase_report_enter(
    *,
    actor,
    program,
    buyer,
    supplier,
    period_start,
    period_end,
    volume,
    unit,
    amount_paid=None,
    paid_on=None,
    reference="",
):
    """The buyer portal's form: one period's purchases from one supplier and, if given,
    the premium paid for it. The same rows a CSV would hold, through the same import (so
    the same checks and errors); both or neither are saved. Errors are ImportRejected
    with the column each belongs to."""
    require_member(actor, program, "purchases.report")
    _require_buyer_officer(actor, program, buyer)

    def text(value):
        return "" if value is None else str(value)

    common = {
        "buyer": str(buyer.pk),
        "supplier": text(getattr(supplier, "pk", supplier)),
        "period_start": text(period_start),
        "period_end": text(period_end),
    }
    batches = [
        (ImportKind.PURCHASE_REPORTS, {**common, "volume": text(volume), "unit": text(unit)})
    ]
    if amount_paid not in (None, ""):
        batches.append(
            (
                ImportKind.PREMIUM_PAYMENTS,
                {
                    **common,
                    "amount": text(amount_paid),
                    "paid_on": text(paid_on),
                    "reference": text(reference),
                },
            )
        )
    errors, done = [], []
    for kind, row in batches:
        raw = repr(sorted(row.items())).encode()
        try:
            with transaction.atomic():
                done.append(
                    _import_rows(
                        actor=actor,
                        program=program,
                        kind=kind,
                        rows=[row],
                        raw=raw,
                        filename="",
                        buyer=buyer,
                    )
                )
        except ImportRejected as exc:
            errors.extend(exc.errors)
    if errors:
        raise ImportRejected(errors)  # the outer transaction drops what was saved
    return done


def _import_rows(*, actor, program, kind, rows, raw, filename, buyer=None):
    """Validate every row, then write all of them or none (see ``ledger_import_csv``).
    ``buyer``: a buyer officer's import, for that buyer only."""
    errors = []
    if buyer is None:
        buyers = _index(Buyer.objects.filter(program_id=program.pk), "name")
        suppliers = _index(Supplier.objects.filter(program_id=program.pk), "legal_name")
    else:
        buyers = _index([buyer], "name")
        suppliers = _index(buyer_suppliers(program=program, buyer=buyer), "legal_name")
        for number, data in enumerate(rows, start=2):
            named = (data.get("buyer") or "").strip()
            if not named:
                data["buyer"] = str(buyer.pk)
            elif named.casefold() not in buyers:
                errors.append(
                    {
                        "row": number,
                        "column": "buyer",
                        "message": f"you can report only for {buyer.name}",
                    }
                )
    facilities = _index(Facility.objects.filter(program_id=program.pk), "name")
    agreements = {}
    for ag in Agreement.objects.filter(
        program_id=program.pk, status=AgreementStatus.ACTIVE
    ).order_by("-effective_from"):
        agreements.setdefault(ag.buyer_id, []).append(ag)

    parsed = []
    seen = set()
    for number, data in enumerate(rows, start=2):
        if any(e["row"] == number and e["column"] == "buyer" for e in errors):
            continue  # another buyer's row: not looked at further
        row = _Row(number, data, errors)
        if kind == ImportKind.PURCHASE_REPORTS:
            buyer = row.lookup("buyer", buyers, "buyer")
            supplier = row.lookup("supplier", suppliers, "supplier")
            start, end = row.period()
            volume = row.decimal("volume")
            unit = row.text("unit")
            agreement = None
            if buyer and end:
                agreement = next(
                    (
                        ag
                        for ag in agreements.get(buyer.pk, [])
                        if ag.effective_from <= end
                        and (ag.effective_to is None or ag.effective_to >= end)
                    ),
                    None,
                )
                if agreement is None:
                    row.error("buyer", f"'{buyer.name}' has no active agreement covering {end}")
                elif unit and unit != agreement.premium_unit:
                    row.error("unit", f"the agreement's premium is per {agreement.premium_unit}")
            key = (getattr(buyer, "pk", None), getattr(supplier, "pk", None), start, end)
            if row.ok:
                if key in seen:
                    row.error("period_start", "the same buyer, supplier and period appear twice")
                elif PurchaseReport.objects.filter(
                    program_id=program.pk,
                    buyer=buyer,
                    supplier=supplier,
                    period_start=start,
                    period_end=end,
                ).exists():
                    row.error("period_start", "a report for this buyer, supplier and period exists")
                seen.add(key)
            if row.ok:
                parsed.append(
                    dict(
                        buyer=buyer,
                        supplier=supplier,
                        agreement=agreement,
                        period_start=start,
                        period_end=end,
                        volume=volume,
                        unit=unit,
                        premium_rate=agreement.premium_rate,
                        premium_owed=premium_owed(volume=volume, agreement=agreement),
                        currency=agreement.premium_currency,
                    )
                )
        elif kind == ImportKind.PAYROLL_DISTRIBUTIONS:
            supplier = row.lookup("supplier", suppliers, "supplier")
            facility = None
            if (data.get("facility") or "").strip():
                facility = row.lookup("facility", facilities, "facility")
                if facility and supplier and facility.supplier_id != supplier.pk:
                    row.error("facility", "belongs to another supplier")
            start, end = row.period()
            workers = row.integer("workers_paid")
            amount = row.decimal("amount")
            currency = (data.get("currency") or "USD").strip().upper()
            if len(currency) != 3:
                row.error("currency", f"'{currency}' is not a currency code")
            if row.ok:
                parsed.append(
                    dict(
                        supplier=supplier,
                        facility=facility,
                        period_start=start,
                        period_end=end,
                        workers_paid=workers,
                        amount=amount.quantize(CENT),
                        currency=currency,
                    )
                )
        else:
            buyer = row.lookup("buyer", buyers, "buyer")
            supplier = row.lookup("supplier", suppliers, "supplier")
            start, end = row.period()
            amount = row.decimal("amount", positive=True)
            paid_on = row.date("paid_on")
            currency = (data.get("currency") or "USD").strip().upper()
            if len(currency) != 3:
                row.error("currency", f"'{currency}' is not a currency code")
            if row.ok:
                parsed.append(
                    dict(
                        buyer=buyer,
                        supplier=supplier,
                        period_start=start,
                        period_end=end,
                        amount=amount.quantize(CENT),
                        paid_on=paid_on,
                        currency=currency,
                        reference=(data.get("reference") or "").strip()[:100],
                    )
                )
    if errors:
        errors.sort(key=lambda e: e["row"])
        raise ImportRejected(errors)

    batch = LedgerImport.objects.create(
        program_id=program.pk,
        kind=kind,
        filename=(filename or "")[:255],
        sha256=hashlib.sha256(raw).hexdigest(),
        row_count=len(parsed),
        created_by=user_or_none(actor),
    )
    model = {
        ImportKind.PURCHASE_REPORTS: PurchaseReport,
        ImportKind.PAYROLL_DISTRIBUTIONS: PayrollDistribution,
        ImportKind.PREMIUM_PAYMENTS: PremiumPayment,
    }[kind]
    model.objects.bulk_create(
        model(program_id=program.pk, source=batch, **fields) for fields in parsed
    )
    payload = {"kind": kind, "rows": len(parsed), "sha256": batch.sha256, "file": filename}
    if buyer is not None:
        payload["buyer"] = buyer.pk  # reported by the buyer's officer, in the portal
    audit_log(program=program, actor=actor, verb="ledger.imported", obj=batch, payload=payload)
    return batch


# ---------------------------------------------------------------- shortfalls


def premium_provision(program):
    """The provision of the current ratified code that covers the premium (category
    'premium'), or None."""
    ratified = CodeVersion.objects.filter(program_id=program.pk, status=CodeVersionStatus.RATIFIED)
    return (
        Provision.objects.filter(
            program_id=program.pk, version__in=ratified, category=Category.PREMIUM
        )
        .order_by("number")
        .first()
    )


def beyond_tolerance(gap, due, settings_obj):
    if gap <= 0:
        return False
    if gap <= settings_obj.premium_tolerance_amount:
        return False
    if due <= 0:
        return True
    return gap * 100 / due > settings_obj.premium_tolerance_percent


@transaction.atomic
def premium_shortfall_check(*, actor, program):
    """Compare, per supplier and reporting period, the premium the supplier received with
    what it passed to workers on payroll. A gap beyond the program's tolerance opens a
    proposed violation of the premium provision (once per supplier and period: the
    violation is unique per source). A buyer's underpayment is reported in the result
    (the supplier is not to blame for it).

    Runs of one program are serialized by a transaction-scoped advisory lock taken
    first, so a second run started meanwhile waits, then finds the first one's
    violations already proposed (the unique constraint stays the backstop: a duplicate
    raises DomainError 'duplicate' and the run writes nothing). The new violations are
    inserted in one statement and their audit events appended in one
    (``violations_propose_many``): a constant number of queries however many open.

    Returns {"opened": [Violation], "already_open": int, "shortfalls": int,
    "buyer_underpayments": [row], "missing_provision": bool, "message": str}.
    """
    require_member(actor, program, "ledger.record")
    from enforcement.services.violations import violations_propose_many

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_SHORTFALL_LOCK, program.pk])
    tolerance = settings_for(program)
    underpaid, positions = selectors.premium_positions(
        program=program, underpaid=lambda gap, owed: beyond_tolerance(gap, owed, tolerance)
    )
    shortfalls = []
    for (supplier_id, start, end), (name, received, distributed) in positions.items():
        gap = received - distributed
        if beyond_tolerance(gap, received, tolerance):
            shortfalls.append((supplier_id, name, start, end, received, distributed, gap))
    result = {
        "opened": [],
        "already_open": 0,
        "shortfalls": len(shortfalls),
        "buyer_underpayments": underpaid,
        "missing_provision": False,
        "message": "",
    }
    provision = premium_provision(program)
    if shortfalls and provision is None:
        result["missing_provision"] = True
        result["message"] = (
            f"{len(shortfalls)} premium shortfall(s) beyond tolerance, but the ratified code "
            "has no provision with category 'premium': no violation can be opened. Add a "
            "premium pass-through provision to the code."
        )
        return result
    proposed = set(
        Violation.objects.filter(
            program_id=program.pk, source_kind=SourceKind.PREMIUM_SHORTFALL
        ).values_list("source_ref", flat=True)
    )
    new = []
    for supplier_id, name, start, end, received, distributed, gap in shortfalls:
        ref = f"supplier-{supplier_id}:{start:%Y-%m-%d}:{end:%Y-%m-%d}"
        if ref in proposed:
            result["already_open"] += 1
            continue
        new.append(
            dict(
                provision=provision,
                facility=None,
                supplier=supplier_id,  # the instance below
                source_kind=SourceKind.PREMIUM_SHORTFALL,
                source_ref=ref,
                summary=(
                    f"{name} received {received} in premium for {start:%Y-%m-%d}–"
                    f"{end:%Y-%m-%d} and passed {distributed} to workers on payroll: "
                    f"{gap} short, beyond the program's tolerance."
                ),
            )
        )
    if new:
        suppliers = Supplier.objects.in_bulk([p["supplier"] for p in new])
        for proposal in new:
            proposal["supplier"] = suppliers[proposal["supplier"]]
        result["opened"] = violations_propose_many(actor=actor, program=program, proposals=new)
    parts = [f"{len(result['opened'])} violation(s) proposed"]
    if result["already_open"]:
        parts.append(f"{result['already_open']} already proposed")
    if underpaid:
        parts.append(f"{len(underpaid)} buyer underpayment(s) beyond tolerance")
    result["message"] = "; ".join(parts) + "."
    return result
