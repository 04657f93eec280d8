"""CAPs: progress from the status history as of any date; the overdue job runs once."""

import datetime

import pytest
import time_machine

from audits import selectors, services
from audits.models import CAPEscalationRequest, CAPItemStatus, CAPItemStatusChange
from core.actors import SystemActor
from core.errors import IllegalTransition
from core.models import AuditEvent
from core.roles import Role
from programs import services as program_services

from .helpers import auditing, make_audit, make_cap_item, make_finding

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def at(y, m, d, h=12):
    return datetime.datetime(y, m, d, h, tzinfo=UTC)


def _second_facility(world):
    return program_services.facility_create(
        actor=SystemActor("test"),
        program=world.program,
        supplier=world.supplier,
        name="Second Farm",
        address="2 Field Road",
        country="US",
        worker_count=80,
    )


def _walk(world, item, *statuses):
    for status in statuses:
        item = services.cap_item_transition(
            actor=world.user(Role.AUDITOR), item=item, status=status
        )
    return item


def test_progress_rate_is_computed_from_the_history_as_of_any_date(personas):
    a = personas.a
    f2 = _second_facility(a)
    auditing(a, f2)
    with time_machine.travel(at(2026, 1, 10), tick=False):
        i1 = make_cap_item(a)
        i2 = make_cap_item(a)
        i3 = services.cap_item_create(
            actor=a.user(Role.STAFF),
            program=a.program,
            facility=f2,
            observation="Fire exit blocked",
            recommendation="Clear it",
            deadline=datetime.date(2026, 2, 1),
            responsible_party="Site manager",
        )
    with time_machine.travel(at(2026, 2, 5), tick=False):
        _walk(a, i1, "in_progress", "reported_done", "verified")
        # A report of completion that verification rejects does not count.
        _walk(a, i2, "reported_done", "in_progress")
    with time_machine.travel(at(2026, 3, 15), tick=False):
        _walk(a, i2, "reported_done", "verified")
        _walk(a, i3, "in_progress")
    with time_machine.travel(at(2026, 3, 20), tick=False):
        make_cap_item(a)

    def rates(day):
        return selectors.cap_progress_by_facility(program=a.program, as_of=day)

    fid, f2id = a.facility.pk, f2.pk
    assert rates(datetime.date(2026, 1, 5)) == {fid: None, f2id: None}
    assert rates(datetime.date(2026, 1, 31)) == {fid: 0.0, f2id: 0.0}
    assert rates(datetime.date(2026, 2, 28)) == {fid: 0.5, f2id: 0.0}
    assert rates(datetime.date(2026, 3, 16)) == {fid: 1.0, f2id: 0.0}
    assert rates(datetime.date(2026, 3, 31))[fid] == pytest.approx(2 / 3)
    # A datetime is honoured to the second.
    assert rates(at(2026, 2, 5, 11))[fid] == 0.0
    assert (
        selectors.cap_progress_program(program=a.program, as_of=datetime.date(2026, 3, 31)) == 0.5
    )

    with time_machine.travel(at(2026, 4, 15), tick=False):
        series = selectors.cap_progress_series(program=a.program, points=4)
    assert [p["date"] for p in series] == [
        datetime.date(2026, 1, 31),
        datetime.date(2026, 2, 28),
        datetime.date(2026, 3, 31),
        datetime.date(2026, 4, 15),
    ]
    assert [p["rate"] for p in series] == [0.0, pytest.approx(1 / 3), 0.5, 0.5]
    # Program B sees none of it.
    assert set(selectors.cap_progress_by_facility(program=personas.b.program).values()) == {None}


def test_progress_queries_are_constant(personas, django_assert_num_queries):
    a = personas.a
    for _ in range(3):
        make_cap_item(a)
    with django_assert_num_queries(1):
        selectors.cap_progress_by_facility(program=a.program)
    with django_assert_num_queries(1):
        selectors.cap_progress_series(program=a.program, points=12)


def test_cap_item_transitions_are_checked_and_logged(personas):
    a = personas.a
    item = make_cap_item(a)
    with pytest.raises(IllegalTransition, match="from 'open' to 'verified'"):
        services.cap_item_transition(actor=a.user(Role.AUDITOR), item=item, status="verified")
    item = _walk(a, item, "in_progress", "reported_done", "verified")
    with pytest.raises(IllegalTransition):
        services.cap_item_transition(actor=a.user(Role.AUDITOR), item=item, status="in_progress")
    history = list(
        CAPItemStatusChange.objects.filter(item=item).values_list("from_status", "to_status")
    )
    assert history == [
        ("", "open"),
        ("open", "in_progress"),
        ("in_progress", "reported_done"),
        ("reported_done", "verified"),
    ]
    assert (
        AuditEvent.objects.filter(verb="cap_item.transitioned", object_id=str(item.pk)).count() == 3
    )


def test_cap_item_from_a_finding_opens_the_facility_cap_once(personas):
    a = personas.a
    audit = make_audit(a)
    finding = make_finding(a, audit)
    i1 = make_cap_item(a, finding=finding)
    i2 = make_cap_item(a)
    assert i1.cap_id == i2.cap_id
    assert i1.source_kind == "audit_finding" and i1.source_ref == str(finding.pk)
    assert AuditEvent.objects.filter(program=a.program, verb="cap.opened").count() == 1


def _standing_stage(world):
    from enforcement.models import SupplierStanding

    row = SupplierStanding.objects.filter(program=world.program, supplier=world.supplier).first()
    return row.stage if row else 0


def test_overdue_job_changes_status_and_escalation_exactly_once(personas):
    a = personas.a
    with time_machine.travel(at(2026, 1, 10), tick=False):
        late = make_cap_item(a, deadline=datetime.date(2026, 2, 1))
        working = make_cap_item(a, deadline=datetime.date(2026, 2, 1))
        _walk(a, working, "in_progress")
        reported = make_cap_item(a, deadline=datetime.date(2026, 2, 1))
        _walk(a, reported, "reported_done")  # waiting for verification: not overdue
        on_time = make_cap_item(a, deadline=datetime.date(2026, 6, 1))
    stage_before = _standing_stage(a)

    # 35 days after the deadline: thresholds 1 (stage 1) and 30 (stage 2) are crossed.
    with time_machine.travel(at(2026, 3, 8), tick=False):
        results = [services.cap_items_mark_overdue(program=a.program) for _ in range(3)]
    assert results[0] == (2, 4, 2)  # two calls: stage 0 → 1 → 2; two already satisfied
    assert results[1] == results[2] == (0, 0, 0)

    for item in (late, working, reported, on_time):
        item.refresh_from_db()
    assert (late.status, working.status) == ("overdue", "overdue")
    assert (reported.status, on_time.status) == ("reported_done", "open")
    assert CAPItemStatusChange.objects.filter(to_status="overdue").count() == 2
    assert AuditEvent.objects.filter(program=a.program, verb="cap_item.overdue").count() == 2
    requests = CAPEscalationRequest.objects.filter(program=a.program)
    assert requests.count() == 4 and not requests.filter(sent_at__isnull=True).exists()
    assert sorted(requests.values_list("stage", flat=True)) == [1, 1, 2, 2]
    assert AuditEvent.objects.filter(program=a.program, verb="cap_item.escalated").count() == 2
    assert stage_before == 0
    # The policy's stage for 35 days overdue is 2: two late items do not make it 4.
    assert _standing_stage(a) == 2

    # Later runs add only the next threshold (90 days) and nothing twice.
    with time_machine.travel(at(2026, 5, 5), tick=False):
        for _ in range(3):
            services.cap_items_mark_overdue(program=a.program)
    assert CAPEscalationRequest.objects.filter(program=a.program).count() == 6
    assert CAPItemStatusChange.objects.filter(to_status="overdue").count() == 2
    # 90 days: the policy says termination, which a job only proposes (a person with
    # the confirm role approves it: tests/audits/test_cap_escalation.py).
    assert _standing_stage(a) == 2
    assert AuditEvent.objects.filter(program=a.program, verb="cap_item.escalated").count() == 2
    # Both late items point at the one open proposal for the supplier.
    from enforcement.models import EscalationProposal

    assert EscalationProposal.objects.filter(program=a.program).count() == 1
    assert (
        AuditEvent.objects.filter(program=a.program, verb="cap_item.escalation_proposed").count()
        == 2
    )


def test_an_overdue_item_can_still_be_completed_and_verified(personas):
    a = personas.a
    with time_machine.travel(at(2026, 1, 10), tick=False):
        item = make_cap_item(a, deadline=datetime.date(2026, 2, 1))
    with time_machine.travel(at(2026, 2, 10), tick=False):
        services.cap_items_mark_overdue(program=a.program)
    item.refresh_from_db()
    assert item.status == CAPItemStatus.OVERDUE
    item = _walk(a, item, "reported_done", "verified")
    assert item.status == "verified"
