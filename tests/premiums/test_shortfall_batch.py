"""The shortfall check at scale: new violations are proposed in one batch (one INSERT,
one audit append), with exactly what one ``violation_propose`` per shortfall writes;
queries do not grow with the number of shortfalls; runs are idempotent, and concurrent
runs propose each shortfall once."""

import datetime
import threading
from decimal import Decimal

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.actors import SystemActor
from core.audit import verify_chain
from core.errors import DomainError
from core.models import AuditEvent
from enforcement import services
from enforcement.models import Violation
from enforcement.services.violations import violations_propose_many
from premiums import selectors as premiums_selectors
from premiums import services as premiums_services
from premiums.services import _SHORTFALL_LOCK
from tests.enforcement.conftest import add_buyer, add_premium_provision
from tests.utils import wait_for

FIRST_WEEK = datetime.date(2026, 3, 2)  # a Monday


def weeks(n, *, skip=0):
    """``n`` weekly periods, after ``skip`` weeks from FIRST_WEEK."""
    return [
        (
            FIRST_WEEK + datetime.timedelta(weeks=i),
            FIRST_WEEK + datetime.timedelta(weeks=i, days=6),
        )
        for i in range(skip, skip + n)
    ]


def import_ledger(world, periods, *, buyer=None, supplier=None, paid="100.00", passed="90.00"):
    """For each period: a report of 10,000 lb (100.00 owed at 1 cent), a payment of
    ``paid`` and a payroll distribution of ``passed`` (90.00: 10% short, beyond the
    default 5% tolerance)."""
    buyer = buyer or world.buyer
    supplier = supplier or world.supplier

    def load(kind, header, line):
        premiums_services.ledger_import_csv(
            actor=world.user("staff"),
            program=world.program,
            kind=kind,
            content=header + "".join(line(s, e) for s, e in periods),
        )

    load(
        "purchase_reports",
        "buyer,supplier,period_start,period_end,volume,unit\n",
        lambda s, e: f"{buyer.name},{supplier.legal_name},{s},{e},10000,lb\n",
    )
    load(
        "premium_payments",
        "buyer,supplier,period_start,period_end,amount,paid_on\n",
        lambda s, e: f"{buyer.name},{supplier.legal_name},{s},{e},{paid},{e}\n",
    )
    load(
        "payroll_distributions",
        "supplier,period_start,period_end,workers_paid,amount\n",
        lambda s, e: f"{supplier.legal_name},{s},{e},40,{passed}\n",
    )


def proposed_events(program, violations):
    return list(
        AuditEvent.objects.filter(
            program=program,
            verb="violation.proposed",
            object_id__in=[str(v.pk) for v in violations],
        ).order_by("seq")
    )


def check(world):
    return premiums_services.premium_shortfall_check(
        actor=world.user("staff"), program=world.program
    )


# ---------------------------------------------------------------- same outcome


def _row(violation):
    fields = [
        "program_id",
        "supplier_id",
        "facility_id",
        "provision_id",
        "severity",
        "source_kind",
        "summary",
        "state",
        "proposed_by_label",
        "confirmed_by_id",
        "confirmed_at",
        "dismissed_by_id",
        "applied_at",
    ]
    return {f: getattr(violation, f) for f in fields}


def test_batch_writes_what_one_violation_propose_per_proposal_writes(a):
    """The same rows and the same audit events, in the same order, as the one-by-one
    service; the chain stays intact."""
    investigator = a.user("investigator")
    proposals = [
        dict(
            provision=a.provision,
            facility=None,
            supplier=a.supplier,
            source_kind="premium_shortfall",
            source_ref=f"  {{}}-{i}  ",  # stripped, like violation_propose does
            summary=f"  Shortfall number {i}.  ",
        )
        for i in range(3)
    ] + [
        dict(
            provision=a.provision,
            facility=a.facility,
            severity="minor",
            source_kind="manual",
            source_ref="{}-facility",
            summary="Found at the farm.",
        )
    ]

    def named(prefix):
        return [{**p, "source_ref": p["source_ref"].format(prefix)} for p in proposals]

    batch = violations_propose_many(actor=investigator, program=a.program, proposals=named("b"))
    singles = [
        services.violation_propose(actor=investigator, program=a.program, **p) for p in named("s")
    ]

    assert [v.pk for v in batch] == sorted(v.pk for v in batch)
    stored = {v.pk: v for v in Violation.objects.filter(pk__in=[v.pk for v in batch + singles])}
    assert [_row(stored[v.pk]) for v in batch] == [_row(stored[v.pk]) for v in singles]
    assert [stored[v.pk].source_ref for v in batch] == ["b-0", "b-1", "b-2", "b-facility"]
    assert stored[batch[0].pk].summary == "Shortfall number 0."
    assert all(stored[v.pk].created_at is not None for v in batch)

    batch_events = proposed_events(a.program, batch)
    single_events = proposed_events(a.program, singles)
    assert [e.object_id for e in batch_events] == [str(v.pk) for v in batch]
    # One append: consecutive places in the chain.
    seqs = [e.seq for e in batch_events]
    assert seqs == list(range(seqs[0], seqs[0] + len(batch)))

    def comparable(event):
        payload = {**event.payload, "source_ref": event.payload["source_ref"][2:]}
        return (event.verb, event.object_type, event.actor_id, event.actor_label, payload)

    assert [comparable(e) for e in batch_events] == [comparable(e) for e in single_events]
    assert batch_events[3].payload == {
        "supplier": a.supplier.pk,
        "facility": a.facility.pk,
        "provision": a.provision.pk,
        "severity": "minor",
        "source_kind": "manual",
        "source_ref": "b-facility",
    }
    assert verify_chain(a.program.pk) is None


def test_batch_with_one_duplicate_writes_nothing(a):
    services.violation_propose(
        actor=SystemActor("t"),
        program=a.program,
        provision=a.provision,
        facility=a.facility,
        source_kind="manual",
        source_ref="dup",
        summary="First.",
    )
    before = (Violation.objects.count(), AuditEvent.objects.count())
    proposals = [
        dict(
            provision=a.provision,
            facility=a.facility,
            source_kind="manual",
            source_ref=ref,
            summary="Again.",
        )
        for ref in ("new-1", "dup")
    ]
    with pytest.raises(DomainError) as exc:
        violations_propose_many(actor=SystemActor("t"), program=a.program, proposals=proposals)
    assert exc.value.code == "duplicate"
    assert (Violation.objects.count(), AuditEvent.objects.count()) == before


def test_batch_checks_each_proposal_like_violation_propose(a, b):
    good = dict(provision=a.provision, facility=a.facility, source_kind="manual", summary="Seen.")
    for bad, message in (
        (dict(source_ref="x", supplier=b.supplier, facility=None), "another program"),
        (dict(source_ref="   "), "id of the finding"),
        (dict(source_ref="x", summary="  "), "summary"),
        (dict(source_ref="x", source_kind="rumour"), "Unknown source kind"),
    ):
        with pytest.raises(DomainError, match=message):
            violations_propose_many(
                actor=SystemActor("t"),
                program=a.program,
                proposals=[{**good, "source_ref": "ok"}, {**good, **bad}],
            )
    assert not Violation.objects.exists()


def test_check_opens_one_violation_per_shortfall_with_its_event(a):
    add_premium_provision(a)
    import_ledger(a, weeks(3))
    result = check(a)
    assert result["shortfalls"] == 3 and len(result["opened"]) == 3
    # Newest period first, as the reconciliation lists them.
    refs = [v.source_ref for v in result["opened"]]
    assert refs == [f"supplier-{a.supplier.pk}:{s}:{e}" for s, e in reversed(weeks(3))]
    newest = Violation.objects.get(pk=result["opened"][0].pk)
    start, end = weeks(3)[-1]
    assert newest.summary == (
        f"{a.supplier.legal_name} received 100.00 in premium for {start}–{end} and passed "
        "90.00 to workers on payroll: 10.00 short, beyond the program's tolerance."
    )
    assert (newest.state, newest.severity, newest.facility_id) == ("proposed", "major", None)
    assert newest.provision.category == "premium"
    assert newest.proposed_by_label == a.user("staff").get_username()
    events = proposed_events(a.program, result["opened"])
    assert [e.object_id for e in events] == [str(v.pk) for v in result["opened"]]
    assert {e.actor_id for e in events} == {a.user("staff").pk}
    assert verify_chain(a.program.pk) is None


def test_positions_come_from_the_reconciliation_index_and_match_the_direct_query(a):
    """received and distributed per (supplier, period), as the per-period query gives
    them: payments from every buyer, distributions inside the period only."""
    second = add_buyer(a, "Second Buyer")
    import_ledger(a, weeks(2), paid="100.00", passed="150.00")
    import_ledger(a, weeks(1), buyer=second, paid="60.00", passed="0")
    # A distribution straddling the end of week 2 belongs to neither week.
    _, week2_end = weeks(1, skip=1)[0]
    premiums_services.payroll_distribution_record(
        actor=a.user("staff"),
        program=a.program,
        supplier=a.supplier,
        period_start=week2_end,
        period_end=week2_end + datetime.timedelta(days=3),
        workers_paid=3,
        amount="7.00",
    )
    _, positions = premiums_selectors.premium_positions(
        program=a.program, underpaid=lambda g, o: False
    )
    assert set(positions) == {(a.supplier.pk, s, e) for s, e in weeks(2)}
    for (supplier_id, s, e), (name, received, distributed) in positions.items():
        assert name == a.supplier.legal_name
        assert (received, distributed) == premiums_selectors.supplier_premium_position(
            program=a.program, supplier=supplier_id, period_start=s, period_end=e
        )
    week1 = positions[(a.supplier.pk, *weeks(1)[0])]
    assert week1[1:] == (Decimal("160.00"), Decimal("150.00"))


def test_underpaid_rows_are_the_reconciliation_rows(a):
    second = add_buyer(a, "Second Buyer")
    import_ledger(a, weeks(2), paid="100.00")
    import_ledger(a, weeks(2), buyer=second, paid="40.00")
    rows, _ = premiums_selectors.premium_positions(
        program=a.program, underpaid=lambda gap, owed: gap * 100 / owed > 5
    )
    expected = [
        r
        for r in premiums_selectors.reconciliation(program=a.program)
        if r["payment_gap"] * 100 / r["owed"] > 5
    ]
    assert len(expected) == 2 and rows == expected


# ---------------------------------------------------------------- queries and repeats


def test_queries_do_not_grow_with_the_number_of_shortfalls(a):
    add_premium_provision(a)
    services.settings_for(a.program)  # created on first use: not part of the count
    import_ledger(a, weeks(1))
    with CaptureQueriesContext(connection) as one:
        first = check(a)
    import_ledger(a, weeks(30, skip=1))
    with CaptureQueriesContext(connection) as thirty:
        second = check(a)
    assert (len(first["opened"]), first["shortfalls"]) == (1, 1)
    assert (len(second["opened"]), second["already_open"], second["shortfalls"]) == (30, 1, 31)
    assert len(thirty) == len(one), [q["sql"][:80] for q in thirty.captured_queries]


def test_second_run_proposes_nothing_new(a):
    add_premium_provision(a)
    import_ledger(a, weeks(30))
    assert len(check(a)["opened"]) == 30
    before = (Violation.objects.count(), AuditEvent.objects.count())
    again = check(a)
    assert again["opened"] == [] and again["already_open"] == 30
    assert again["message"] == "0 violation(s) proposed; 30 already proposed."
    assert (Violation.objects.count(), AuditEvent.objects.count()) == before


# ---------------------------------------------------------------- concurrent runs


def _side_connection():
    params = connection.get_connection_params()
    return psycopg.connect(
        dbname=settings.DATABASES["default"]["NAME"],
        **{k: v for k, v in params.items() if k in ("host", "port", "user", "password")},
        autocommit=True,
    )


def _waiting_for_check_lock(side, program_id):
    return side.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND classid = %s AND objid = %s",
        [_SHORTFALL_LOCK, program_id],
    ).fetchone()[0]


def test_concurrent_runs_propose_each_shortfall_once(transactional_db, personas):
    """Two runs that start together: the second waits for the first, then finds its
    violations proposed (before the lock, it failed on the unique constraint)."""
    a = personas.a
    add_premium_provision(a)
    import_ledger(a, weeks(5))
    side = _side_connection()
    results, errors = [], []

    def run():
        try:
            results.append(check(a))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    try:
        # Hold the runs at the lock so that both are under way at once.
        side.execute("SELECT pg_advisory_lock(%s, %s)", [_SHORTFALL_LOCK, a.program.pk])
        for t in threads:
            t.start()
        wait_for(
            lambda: _waiting_for_check_lock(side, a.program.pk) >= 2,
            "the two runs to reach the lock",
            timeout=30,
            interval=0.05,
        )
    finally:
        side.execute("SELECT pg_advisory_unlock_all()")
        side.close()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sorted((len(r["opened"]), r["already_open"]) for r in results) == [(0, 5), (5, 0)]
    violations = Violation.objects.filter(program=a.program, source_kind="premium_shortfall")
    assert violations.count() == 5
    assert len(proposed_events(a.program, violations)) == 5
    assert verify_chain(a.program.pk) is None
