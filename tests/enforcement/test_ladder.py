"""Violations, the consequence ladder, standing and escalation (services)."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from core.actors import SystemActor
from core.errors import DomainError, IllegalTransition
from core.models import AuditEvent
from enforcement import selectors, services
from enforcement.models import (
    ConsequencePolicy,
    EscalationProposal,
    PolicyStatus,
    Standing,
    StandingEvent,
    ViolationState,
)
from enforcement.tasks import expire_suspensions
from programs.models import Provision
from tests.enforcement.conftest import propose
from tests.utils import drain_mail


def verbs(program):
    return list(AuditEvent.objects.filter(program=program).values_list("verb", flat=True))


def confirm_and_apply(world, violation):
    services.violation_confirm(actor=world.user("admin"), violation=violation)
    return services.consequences_apply(violation=violation)


def major(world):
    return Provision.objects.get(version=world.version, number="2.1")


def test_propose_records_audit_and_refuses_the_same_finding_twice(a):
    v = propose(a, ref="finding-7")
    assert v.state == ViolationState.PROPOSED
    assert v.severity == "zero_tolerance"  # the provision's
    assert v.supplier_id == a.supplier.pk
    assert "violation.proposed" in verbs(a.program)
    with pytest.raises(DomainError) as exc:
        propose(a, ref="finding-7")
    assert exc.value.code == "duplicate"


def test_propose_refuses_objects_of_another_program(a, b):
    with pytest.raises(DomainError):
        propose(a, facility=b.facility)


def test_only_admins_or_named_roles_confirm(a):
    v = propose(a)
    for role in ("staff", "investigator", "auditor", "viewer", "buyer_officer"):
        with pytest.raises(DomainError) as exc:
            services.violation_confirm(actor=a.user(role), violation=v)
        assert exc.value.code == "forbidden"
    services.enforcement_settings_update(
        actor=a.user("admin"), program=a.program, confirm_roles=["staff"]
    )
    services.violation_confirm(actor=a.user("staff"), violation=v)
    v.refresh_from_db()
    assert v.state == ViolationState.CONFIRMED
    assert v.application.state == "pending"
    assert "violation.confirmed" in verbs(a.program)


def test_illegal_transitions_are_clear_errors(a):
    v = propose(a)
    with pytest.raises(DomainError):
        services.violation_dismiss(actor=a.user("admin"), violation=v, reason="  ")
    services.violation_dismiss(actor=a.user("admin"), violation=v, reason="Not substantiated.")
    v.refresh_from_db()
    assert v.state == ViolationState.DISMISSED
    assert "violation.dismissed" in verbs(a.program)
    with pytest.raises(IllegalTransition):
        services.violation_confirm(actor=a.user("admin"), violation=v)
    with pytest.raises(IllegalTransition):
        services.violation_remediate(actor=a.user("admin"), violation=v, note="fixed")


def test_remediation_after_consequences(a):
    v = propose(a)
    confirm_and_apply(a, v)
    services.violation_remediate(actor=a.user("staff"), violation=v, note="Verified by audit.")
    v.refresh_from_db()
    assert v.state == ViolationState.REMEDIATED
    assert "violation.remediated" in verbs(a.program)


def test_default_policy_is_created_once_and_ratified(a):
    assert not ConsequencePolicy.objects.filter(program=a.program).exists()
    sanction = confirm_and_apply(a, propose(a))
    policy = ConsequencePolicy.objects.get(program=a.program)
    assert policy.status == PolicyStatus.RATIFIED
    assert sanction.policy == policy
    assert sanction.action == "suspension"
    assert sanction.ends_on == sanction.starts_on + datetime.timedelta(days=90)
    confirm_and_apply(a, propose(a))
    assert ConsequencePolicy.objects.filter(program=a.program).count() == 1


def test_major_repeats_within_the_window_escalate_to_suspension(a):
    provision = major(a)
    actions = []
    for day in ("2026-02-01", "2026-03-03", "2026-04-02"):
        with time_machine.travel(datetime.datetime.fromisoformat(day + "T12:00:00+00:00")):
            actions.append(confirm_and_apply(a, propose(a, provision=provision)))
    assert [s.action for s in actions] == ["probation", "probation", "suspension"]
    assert [s.repeat_count for s in actions] == [1, 2, 3]
    standing = selectors.standing_for_supplier(program=a.program, supplier=a.supplier)
    assert standing.standing == Standing.SUSPENDED
    assert standing.suspended_until == datetime.date(2026, 7, 1)
    assert standing.stage == 2
    # The first two left notices to the buyer, the third a suspension of purchases.
    kinds = list(
        selectors.obligations_for_buyer(program=a.program, buyer=a.buyer).values_list(
            "kind", flat=True
        )
    )
    assert sorted(kinds) == ["notify", "notify", "suspend_purchases"]


def test_repeats_outside_the_window_do_not_escalate(a):
    provision = major(a)
    actions = []
    for day in ("2026-01-05", "2026-03-01", "2027-02-15"):
        with time_machine.travel(datetime.datetime.fromisoformat(day + "T12:00:00+00:00")):
            actions.append(confirm_and_apply(a, propose(a, provision=provision)))
    # Within 365 days of 2027-02-15 there is only the March 2026 one: a second, not a third.
    assert [s.repeat_count for s in actions] == [1, 2, 2]
    assert actions[-1].action == "probation"
    standing = selectors.standing_for_supplier(program=a.program, supplier=a.supplier)
    assert standing.standing == Standing.PROBATION


def test_a_sanction_never_lightens_the_standing(a):
    confirm_and_apply(a, propose(a))  # zero tolerance: suspended
    confirm_and_apply(a, propose(a, provision=major(a)))  # major: probation
    standing = selectors.standing_for_supplier(program=a.program, supplier=a.supplier)
    assert standing.standing == Standing.SUSPENDED


def test_escalation_advance_is_idempotent_per_source_and_terminates_at_stage_3(
    a, django_capture_on_commit_callbacks
):
    def advance(ref):
        return services.escalation_advance(
            actor=SystemActor("audits"),
            program=a.program,
            supplier=a.supplier,
            facility=a.facility,
            reason="CAP item overdue",
            source_kind="cap_item_overdue",
            source_ref=ref,
        )

    assert advance("cap-1").stage == 1
    assert advance("cap-1").stage == 1  # same source: nothing changes
    assert StandingEvent.objects.filter(kind="escalation").count() == 1
    assert advance("cap-2").stage == 2
    # A job reaching termination only proposes it; an admin approves.
    assert advance("cap-3").stage == 2
    proposal = EscalationProposal.objects.get(source_ref="cap-3")
    with django_capture_on_commit_callbacks(execute=True):
        services.escalation_proposal_decide(
            actor=a.user("admin"), proposal=proposal, approve=True, reason="No progress."
        )
    standing = selectors.standing_for_supplier(program=a.program, supplier=a.supplier)
    assert standing.stage == 3
    assert standing.standing == Standing.TERMINATED
    drain_mail()
    # One mail each: officers of competing buyers never see each other's addresses.
    by_address = {m.to[0]: m for m in mail.outbox}
    assert all(len(m.to) == 1 and not m.bcc for m in mail.outbox)
    assert len(by_address) == len(mail.outbox)
    assert {"buyer_officer@alpha.example.org", "admin@alpha.example.org"} <= set(by_address)
    assert "termination" in by_address["admin@alpha.example.org"].subject
    with django_capture_on_commit_callbacks(execute=True):
        assert advance("cap-4").stage == 3
    drain_mail()
    assert len(mail.outbox) == len(by_address)
    # cap-4 found the supplier at stage 3 already: nothing to record.
    assert verbs(a.program).count("standing.escalated") == 3
    dns = list(selectors.do_not_source_list(program=a.program))
    assert [s.supplier_id for s in dns] == [a.supplier.pk]
    assert dns[0].since == timezone.localdate()


def test_suspension_ends_in_reinstatement_review_then_admin_reinstates(a):
    with time_machine.travel(datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC)):
        confirm_and_apply(a, propose(a))
    standing = selectors.standing_for_supplier(program=a.program, supplier=a.supplier)
    assert standing.suspended_until == datetime.date(2026, 5, 30)
    with time_machine.travel(datetime.datetime(2026, 5, 30, 12, tzinfo=datetime.UTC)):
        assert expire_suspensions() == 0
    with time_machine.travel(datetime.datetime(2026, 5, 31, 1, tzinfo=datetime.UTC)):
        assert expire_suspensions() == 1
        assert expire_suspensions() == 0
    standing.refresh_from_db()
    assert standing.standing == Standing.REINSTATEMENT_REVIEW
    assert not selectors.do_not_source_list(program=a.program).exists()
    with pytest.raises(DomainError):
        services.standing_reinstate(
            actor=a.user("staff"), program=a.program, supplier=a.supplier, reason="ok"
        )
    services.standing_reinstate(
        actor=a.user("admin"),
        program=a.program,
        supplier=a.supplier,
        reason="Remediation verified.",
        to_standing=Standing.PROBATION,
    )
    standing.refresh_from_db()
    assert standing.standing == Standing.PROBATION
    assert standing.suspended_until is None
    history = list(selectors.standing_history(program=a.program, supplier=a.supplier))
    assert [e.kind for e in history] == ["reinstated", "suspension_ended", "sanction"]
    assert {"standing.suspension_ended", "standing.reinstated"} <= set(verbs(a.program))


def test_policy_versions_draft_edit_ratify_and_agreement_reference(a):
    v1 = services.policy_ensure_default(actor=SystemActor("test"), program=a.program)
    draft = services.policy_draft_create(actor=a.user("admin"), program=a.program)
    assert draft.rules.count() == v1.rules.count()
    services.policy_rule_set(
        actor=a.user("admin"),
        policy=draft,
        severity="zero_tolerance",
        repeat_count=1,
        window_days=730,
        supplier_action="suspension",
        suspension_days=180,
        escalation_stage=2,
        buyer_obligation="suspend_purchases",
        obligation_days=3,
    )
    with pytest.raises(DomainError):
        services.policy_rule_set(
            actor=a.user("admin"),
            policy=draft,
            severity="minor",
            repeat_count=1,
            supplier_action="suspension",
            suspension_days=0,
        )
    services.policy_ratify(actor=a.user("admin"), policy=draft)
    v1.refresh_from_db()
    assert v1.status == PolicyStatus.SUPERSEDED
    with pytest.raises(IllegalTransition):
        services.policy_rule_set(actor=a.user("admin"), policy=draft, severity="minor")
    link = services.agreement_policy_bind(
        actor=a.user("admin"), agreement=a.agreement, policy=draft
    )
    assert a.agreement.enforcement_policy == link
    sanction = confirm_and_apply(a, propose(a))
    assert sanction.policy == draft
    assert sanction.ends_on - sanction.starts_on == datetime.timedelta(days=180)


def test_public_stats_and_standings_selectors(a):
    confirm_and_apply(a, propose(a))
    propose(a)  # proposed only: not counted
    stats = selectors.public_enforcement_stats(program=a.program)
    assert stats["confirmed_violations"] == 1
    assert stats["violations_by_category"] == [
        {"category": "forced_labor", "label": "Forced labor or debt", "count": 1}
    ]
    assert stats["remediated_violations"] == 0
    standings = selectors.supplier_standings(program=a.program)
    assert standings[a.supplier.pk]["standing"] == Standing.SUSPENDED


def test_a_sanction_requiring_a_cap_opens_the_facilitys_cap_once(a):
    """Sanction.cap_required was written and never acted on (issue 15): applying a
    consequence that requires a corrective action plan opens the facility's CAP through
    audits' CAP service, as the enforcement system actor, in one audit event."""
    from audits.models import CorrectiveActionPlan

    assert not CorrectiveActionPlan.objects.filter(program=a.program).exists()
    first = confirm_and_apply(a, propose(a))
    assert first.cap_required
    cap = CorrectiveActionPlan.objects.get(program=a.program)
    assert cap.facility == a.facility and cap.opened_by is None
    opened = AuditEvent.objects.get(program=a.program, verb="cap.opened")
    assert opened.actor is None and opened.actor_label == "enforcement"
    assert opened.payload == {
        "facility": a.facility.pk,
        "sanction": first.pk,
        "violation": first.violation_id,
    }
    # The next sanction at the same facility finds its CAP open: one CAP per facility.
    confirm_and_apply(a, propose(a))
    assert CorrectiveActionPlan.objects.filter(program=a.program).count() == 1
    assert AuditEvent.objects.filter(program=a.program, verb="cap.opened").count() == 1


def test_a_sanction_without_a_facility_opens_a_cap_at_each_active_facility(a):
    from audits.models import CorrectiveActionPlan
    from programs import services as program_services
    from programs.models import FacilityStatus

    setup = SystemActor("test-setup")
    second = program_services.facility_create(
        actor=setup,
        program=a.program,
        supplier=a.supplier,
        name="Second packing shed",
        address="x",
        country="US",
    )
    closed = program_services.facility_create(
        actor=setup,
        program=a.program,
        supplier=a.supplier,
        name="Closed shed",
        address="x",
        country="US",
    )
    type(closed).objects.filter(pk=closed.pk).update(status=FacilityStatus.CLOSED)
    violation = services.violation_propose(
        actor=a.user("investigator"),
        program=a.program,
        provision=a.provision,
        facility=None,
        supplier=a.supplier,
        source_kind="manual",
        source_ref="no-facility",
        summary="The supplier withholds wages at every site.",
    )
    confirm_and_apply(a, violation)
    opened = set(
        CorrectiveActionPlan.objects.filter(program=a.program).values_list("facility", flat=True)
    )
    assert opened == {a.facility.pk, second.pk}


def test_a_sanction_not_requiring_a_cap_opens_none(a):
    from audits.models import CorrectiveActionPlan
    from enforcement.models import ConsequenceRule

    services.policy_ensure_default(actor=SystemActor("test-setup"), program=a.program)
    ConsequenceRule.objects.filter(program=a.program, severity="zero_tolerance").update(
        cap_required=False
    )
    sanction = confirm_and_apply(a, propose(a))
    assert sanction.action == "suspension" and not sanction.cap_required
    assert not CorrectiveActionPlan.objects.filter(program=a.program).exists()
