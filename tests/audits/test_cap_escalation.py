"""CAP escalation (issue 21, issue 13 defect 7): who may create an item and with which
deadline, escalation to a target stage that never overshoots under concurrency, and
business-ending stages that wait for a person's approval."""

import datetime
import threading
import time

import psycopg
import pytest
import time_machine
from django.db import connection, connections

from audits import services
from audits.models import CAPEscalationRequest
from core.actors import SystemActor
from core.errors import DomainError, IllegalTransition
from core.models import AuditEvent
from core.roles import Role
from enforcement import services as enforcement_services
from enforcement.models import EscalationProposal, Standing, SupplierStanding

from .helpers import make_audit, make_cap_item, make_finding

UTC = datetime.UTC


def at(y, m, d, h=12):
    return datetime.datetime(y, m, d, h, tzinfo=UTC)


def standing_of(world):
    return SupplierStanding.objects.filter(program=world.program, supplier=world.supplier).first()


def item_fields(**extra):
    return dict(
        observation="No shade at field 4.",
        recommendation="Install shade.",
        responsible_party="Farm manager",
        **extra,
    )


# ---------------------------------------------------------------- who creates, which deadline


@pytest.mark.django_db
def test_a_past_deadline_is_refused_on_creation_as_on_extension(personas):
    a = personas.a
    with time_machine.travel(at(2026, 3, 1), tick=False):
        with pytest.raises(DomainError) as refused:
            services.cap_item_create(
                actor=a.user(Role.STAFF),
                program=a.program,
                facility=a.facility,
                deadline=datetime.date(2026, 2, 28),
                **item_fields(),
            )
        assert refused.value.code == "deadline_in_past"
        # Today is still allowed (the overdue job counts from the day after).
        item = services.cap_item_create(
            actor=a.user(Role.STAFF),
            program=a.program,
            facility=a.facility,
            deadline=datetime.date(2026, 3, 1),
            **item_fields(),
        )
    assert item.deadline == datetime.date(2026, 3, 1)


@pytest.mark.django_db
def test_only_cap_managers_or_an_auditor_of_the_facility_create_items(personas):
    a = personas.a
    deadline = datetime.date.today() + datetime.timedelta(days=30)
    for role in (Role.AUDITOR, Role.INVESTIGATOR, Role.VIEWER, Role.BUYER_OFFICER):
        with pytest.raises(DomainError) as refused:
            services.cap_item_create(
                actor=a.user(role),
                program=a.program,
                facility=a.facility,
                deadline=deadline,
                **item_fields(),
            )
        assert refused.value.code == "forbidden", role
    # A member of the other program is not a member here.
    with pytest.raises(DomainError):
        services.cap_item_create(
            actor=personas.b.user(Role.ADMIN),
            program=a.program,
            facility=a.facility,
            deadline=deadline,
            **item_fields(),
        )
    from audits.models import CAPItem

    assert not CAPItem.objects.filter(program=a.program).exists()
    # The auditor of an audit at this facility may.
    audit = make_audit(a)
    finding = make_finding(a, audit)
    item = services.cap_item_create(
        actor=a.user(Role.AUDITOR),
        program=a.program,
        facility=a.facility,
        deadline=deadline,
        **item_fields(),
    )
    assert item.facility_id == a.facility.pk
    assert make_cap_item(a, finding=finding).finding_id == finding.pk
    for role in (Role.ADMIN, Role.STAFF):
        make_cap_item(a, actor=a.user(role))


@pytest.mark.django_db
def test_api_refuses_a_past_due_item_from_an_auditor_outside_the_facility(personas, client_for):
    from django.urls import reverse

    from audits.models import CAPItem

    a = personas.a
    path = reverse("audits-api:cap-item-list", kwargs={"program": a.slug})
    client = client_for(a.user(Role.AUDITOR))
    body = item_fields(facility=a.facility.pk, deadline="2026-01-01")
    response = client.post(path, body, "application/json")
    assert response.status_code == 403, response.content
    staff = client_for(a.user(Role.STAFF))
    response = staff.post(path, body, "application/json")
    assert response.status_code == 400, response.content
    assert not CAPItem.objects.filter(program=a.program).exists()


# ---------------------------------------------------------------- target stage, concurrency


def _held_connection():
    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"],
        host=s.get("HOST") or None,
        port=s.get("PORT") or None,
        user=s.get("USER") or None,
        autocommit=False,
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_escalation_never_overshoots_the_policy_stage(personas):
    """Issue 13 defect 7. The supplier stands at stage 1; the overdue job owes stage 2.
    While it runs, another transaction (a violation's consequences, say) raises the
    supplier to stage 2 and commits. The job must leave it at 2: it asked for stage 2,
    not for "one more" (which made it 3, termination)."""
    a = personas.a
    enforcement_services.escalation_advance(
        actor=SystemActor("test-setup"),
        program=a.program,
        supplier=a.supplier,
        reason="earlier notice",
        source_kind="manual",
        source_ref="seed",
    )
    assert standing_of(a).stage == 1
    with time_machine.travel(at(2026, 1, 10), tick=False):
        make_cap_item(a, deadline=datetime.date(2026, 2, 1))

    held = _held_connection()
    cur = held.cursor()
    cur.execute(
        "SELECT id FROM enforcement_supplierstanding WHERE program_id = %s AND supplier_id = %s"
        " FOR UPDATE",
        [a.program.pk, a.supplier.pk],
    )
    cur.execute(
        "UPDATE enforcement_supplierstanding SET stage = 2, standing = 'probation'"
        " WHERE program_id = %s AND supplier_id = %s",
        [a.program.pk, a.supplier.pk],
    )
    errors = []

    def job():
        try:
            services.cap_items_mark_overdue(program=a.program)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    # 35 days overdue: the policy's thresholds 1 (stage 1) and 30 (stage 2) are crossed.
    with time_machine.travel(at(2026, 3, 8), tick=False):
        worker = threading.Thread(target=job)
        worker.start()
        # Wait until the job waits for the standing's row lock (it has read what it reads).
        probe = _held_connection()
        probe.autocommit = True
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            waiting = probe.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock'"
            ).fetchone()[0]
            if waiting:
                break
            time.sleep(0.05)
        probe.close()
        held.commit()
        held.close()
        worker.join(60)
    assert not worker.is_alive() and not errors, errors
    standing = standing_of(a)
    assert standing.stage == 2
    assert standing.standing != Standing.TERMINATED
    assert not CAPEscalationRequest.objects.filter(program=a.program, sent_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_two_threads_escalating_to_the_same_stage_raise_it_once(personas):
    """Two concurrent transactions each ask for stage 2 from different sources: the
    supplier ends at 2 (one escalation row), never 3."""
    a = personas.a
    barrier = threading.Barrier(2)
    errors = []

    def escalate(ref):
        try:
            barrier.wait(10)
            enforcement_services.escalation_advance(
                actor=SystemActor("audits.overdue_job"),
                program=a.program,
                supplier=a.supplier,
                reason="late corrective action",
                source_kind="cap_item",
                source_ref=ref,
                to_stage=2,
            )
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=escalate, args=(ref,)) for ref in ("x:30", "y:30")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    standing = standing_of(a)
    assert standing.stage == 2 and standing.standing == Standing.PROBATION
    assert AuditEvent.objects.filter(program=a.program, verb="standing.escalated").count() == 1


# ---------------------------------------------------------------- approval of termination


def _overdue_to_termination(world):
    """A CAP item 95 days overdue: the policy's thresholds call for stages 1, 2 and 3."""
    with time_machine.travel(at(2026, 1, 10), tick=False):
        item = make_cap_item(world, deadline=datetime.date(2026, 2, 1))
    with time_machine.travel(at(2026, 5, 7), tick=False):
        for _ in range(2):
            services.cap_items_mark_overdue(program=world.program)
    return item


@pytest.mark.django_db
def test_termination_by_cap_escalation_waits_for_a_confirm_role_to_approve(personas):
    a = personas.a
    _overdue_to_termination(a)
    standing = standing_of(a)
    assert standing.stage == 2 and standing.standing != Standing.TERMINATED
    (proposal,) = EscalationProposal.objects.filter(program=a.program)
    assert (proposal.to_stage, proposal.state) == (3, "proposed")
    verbs = list(AuditEvent.objects.filter(program=a.program).values_list("verb", flat=True))
    assert verbs.count("standing.escalation_proposed") == 1
    assert verbs.count("cap_item.escalation_proposed") == 1

    # Neither a role without the confirm right, nor a job, nor an empty reason decides.
    for actor in (a.user(Role.STAFF), a.user(Role.AUDITOR), "some.job"):
        with pytest.raises(DomainError):
            enforcement_services.escalation_proposal_decide(
                actor=actor, proposal=proposal, approve=True, reason="ok"
            )
    with pytest.raises(DomainError):
        enforcement_services.escalation_proposal_decide(
            actor=a.user(Role.ADMIN), proposal=proposal, approve=True, reason="  "
        )
    assert standing_of(a).stage == 2

    enforcement_services.escalation_proposal_decide(
        actor=a.user(Role.ADMIN),
        proposal=proposal,
        approve=True,
        reason="Three months without shade; the grower refused the meeting.",
    )
    standing = standing_of(a)
    assert standing.stage == 3 and standing.standing == Standing.TERMINATED
    proposal.refresh_from_db()
    assert proposal.state == "approved" and proposal.decided_by == a.user(Role.ADMIN)
    event = AuditEvent.objects.get(program=a.program, verb="standing.escalation_approved")
    assert "refused the meeting" in event.payload["reason"]
    with pytest.raises(IllegalTransition):
        enforcement_services.escalation_proposal_decide(
            actor=a.user(Role.ADMIN), proposal=proposal, approve=False, reason="changed my mind"
        )


@pytest.mark.django_db
def test_a_declined_termination_changes_nothing_and_staff_with_confirm_role_may_decide(
    personas,
):
    a = personas.a
    enforcement_services.enforcement_settings_update(
        actor=a.user(Role.ADMIN), program=a.program, confirm_roles=[Role.STAFF]
    )
    _overdue_to_termination(a)
    proposal = EscalationProposal.objects.get(program=a.program)
    enforcement_services.escalation_proposal_decide(
        actor=a.user(Role.STAFF),
        proposal=proposal,
        approve=False,
        reason="The grower installed shade last week; verification is booked.",
    )
    assert standing_of(a).stage == 2
    assert AuditEvent.objects.filter(
        program=a.program, verb="standing.escalation_declined"
    ).exists()
    # The job does not propose the same step again.
    with time_machine.travel(at(2026, 5, 20), tick=False):
        services.cap_items_mark_overdue(program=a.program)
    assert EscalationProposal.objects.filter(program=a.program).count() == 1


@pytest.mark.django_db
def test_which_stages_need_approval_is_the_programs_policy(personas):
    a = personas.a
    enforcement_services.enforcement_settings_update(
        actor=a.user(Role.ADMIN), program=a.program, approval_stages=[2, 3]
    )
    with time_machine.travel(at(2026, 1, 10), tick=False):
        make_cap_item(a, deadline=datetime.date(2026, 2, 1))
    with time_machine.travel(at(2026, 3, 8), tick=False):
        services.cap_items_mark_overdue(program=a.program)
    assert standing_of(a).stage == 1
    assert list(EscalationProposal.objects.values_list("to_stage", flat=True)) == [2]
    with pytest.raises(DomainError):
        enforcement_services.enforcement_settings_update(
            actor=a.user(Role.ADMIN), program=a.program, approval_stages=[4]
        )


@pytest.mark.django_db
def test_a_violation_confirmed_by_a_person_keeps_applying_its_ladder(personas):
    """Zero tolerance twice: the ladder terminates without any proposal (a person
    confirmed the violation; that is the decision)."""
    from tests.enforcement.conftest import propose

    a = personas.a
    for ref in ("f-1", "f-2"):
        violation = propose(a, ref=ref)
        enforcement_services.violation_confirm(actor=a.user(Role.ADMIN), violation=violation)
        enforcement_services.consequences_apply(violation=violation)
    assert standing_of(a).standing == Standing.TERMINATED
    assert not EscalationProposal.objects.exists()


@pytest.mark.django_db
def test_cap_item_form_offers_an_auditor_only_the_facilities_of_their_audits(personas, client_for):
    from django.urls import reverse

    from programs import services as program_services

    a = personas.a
    other = program_services.facility_create(
        actor=SystemActor("test-setup"),
        program=a.program,
        supplier=a.supplier,
        name="Unaudited Farm",
        address="9 Road",
        country="US",
        worker_count=10,
    )
    make_audit(a)
    path = reverse("audits:cap_item_create", kwargs={"program": a.slug})
    auditor_form = client_for(a.user(Role.AUDITOR)).get(path).context["form"]
    assert list(auditor_form.fields["facility"].queryset) == [a.facility]
    staff_form = client_for(a.user(Role.STAFF)).get(path).context["form"]
    assert other in staff_form.fields["facility"].queryset
