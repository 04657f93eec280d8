"""Audits: the coverage rule, transitions, grants and the audit log."""

import datetime

import pytest

from audits import selectors, services
from audits.models import AuditStatus
from core.errors import DomainError, IllegalTransition
from core.models import AuditEvent
from core.roles import Role

from .helpers import make_audit, make_finding

pytestmark = pytest.mark.django_db


def _to_draft(world, audit):
    actor = world.user(Role.AUDITOR)
    audit = services.audit_transition(actor=actor, audit=audit, status=AuditStatus.FIELDWORK)
    return services.audit_transition(actor=actor, audit=audit, status=AuditStatus.DRAFT_REPORT)


def test_finalizing_below_minimum_coverage_without_justification_is_refused(personas):
    a = personas.a
    audit = make_audit(a, workforce_size=120, workers_interviewed=40)  # 33% < 50%
    audit = _to_draft(a, audit)
    with pytest.raises(DomainError, match="below the program minimum") as excinfo:
        services.audit_transition(actor=a.user(Role.AUDITOR), audit=audit, status="final")
    assert excinfo.value.code == "coverage_below_minimum"
    audit.refresh_from_db()
    assert audit.status == AuditStatus.DRAFT_REPORT
    assert not AuditEvent.objects.filter(verb="audit.transitioned", payload__to="final").exists()

    # A blank justification is no justification.
    with pytest.raises(DomainError):
        services.audit_transition(
            actor=a.user(Role.AUDITOR), audit=audit, status="final", justification="   "
        )

    audit = services.audit_transition(
        actor=a.user(Role.AUDITOR),
        audit=audit,
        status="final",
        justification="Half the crew was moved to another farm the night before.",
    )
    assert audit.status == AuditStatus.FINAL and audit.finalized_at
    event = AuditEvent.objects.get(verb="audit.transitioned", payload__to="final")
    assert "Half the crew" in event.payload["justification"]
    assert "33%" in event.payload["coverage_shortfall"]


def test_finalizing_at_or_above_minimum_needs_no_justification(personas):
    a = personas.a
    audit = _to_draft(a, make_audit(a, workforce_size=120, workers_interviewed=60))
    audit = services.audit_transition(actor=a.user(Role.AUDITOR), audit=audit, status="final")
    assert audit.status == "final"


def test_program_minimum_comes_from_the_policy(personas):
    a = personas.a
    services.audit_policy_update(
        actor=a.user(Role.ADMIN), program=a.program, min_interview_coverage="0.750"
    )
    audit = _to_draft(a, make_audit(a, workforce_size=100, workers_interviewed=60))
    with pytest.raises(DomainError, match="75%"):
        services.audit_transition(actor=a.user(Role.AUDITOR), audit=audit, status="final")


def test_unknown_workforce_blocks_finalizing_without_justification(personas):
    a = personas.a
    audit = make_audit(a, workforce_size=None)
    services.audit_update(actor=a.user(Role.AUDITOR), audit=audit, workforce_size=None)
    audit = _to_draft(a, audit)
    with pytest.raises(DomainError, match="workforce size"):
        services.audit_transition(actor=a.user(Role.AUDITOR), audit=audit, status="final")


def test_illegal_transitions_are_clear(personas):
    a = personas.a
    audit = make_audit(a)
    with pytest.raises(IllegalTransition, match="cannot go from 'planned' to 'final'"):
        services.audit_transition(actor=a.user(Role.STAFF), audit=audit, status="final")
    audit = _to_draft(a, make_audit(a, workforce_size=10, workers_interviewed=10))
    audit = services.audit_transition(actor=a.user(Role.STAFF), audit=audit, status="final")
    with pytest.raises(IllegalTransition):
        services.audit_transition(actor=a.user(Role.STAFF), audit=audit, status="fieldwork")
    with pytest.raises(DomainError, match="final audit"):
        services.audit_update(actor=a.user(Role.STAFF), audit=audit, summary="rewrite history")


def test_every_change_writes_an_audit_event(personas):
    a = personas.a
    before = AuditEvent.objects.filter(program=a.program).count()
    audit = make_audit(a, workforce_size=100)
    services.audit_update(actor=a.user(Role.AUDITOR), audit=audit, workers_interviewed=70)
    make_finding(a, audit)
    _to_draft(a, audit)
    verbs = list(
        AuditEvent.objects.filter(program=a.program).order_by("seq").values_list("verb", flat=True)
    )[before:]
    assert verbs == [
        "audit.created",
        "audit.updated",
        "finding.created",
        "audit.transitioned",
        "audit.transitioned",
    ]


def test_auditors_see_only_assigned_audits(personas):
    a = personas.a
    mine = make_audit(a)  # lead: the auditor persona
    other = make_audit(a, lead_role=None)
    auditor = a.user(Role.AUDITOR)
    membership = auditor.memberships.get(program=a.program)
    visible = set(
        selectors.audit_list(program=a.program, user=auditor, membership=membership).values_list(
            "pk", flat=True
        )
    )
    assert visible == {mine.pk}
    staff = a.user(Role.STAFF)
    staff_m = staff.memberships.get(program=a.program)
    assert {mine.pk, other.pk} <= set(
        selectors.audit_list(program=a.program, user=staff, membership=staff_m).values_list(
            "pk", flat=True
        )
    )
    assert selectors.audit_can_edit(audit=mine, user=auditor, membership=membership)
    assert not selectors.audit_can_edit(audit=other, user=auditor, membership=membership)
    services.audit_team_add(actor=staff, audit=other, user=auditor)
    assert selectors.audit_can_edit(audit=other, user=auditor, membership=membership)


def test_findings_cite_current_provisions_of_the_same_program(personas):
    a, b = personas.a, personas.b
    audit = make_audit(a)
    with pytest.raises(DomainError):
        make_finding(a, audit, provision=b.provision)
    finding = make_finding(a, audit)
    assert finding.severity == a.provision.severity
    assert finding.facility_id == audit.facility_id


def test_team_members_must_be_auditors_or_staff(personas):
    a = personas.a
    with pytest.raises(DomainError, match="not an auditor"):
        services.audit_create(
            actor=a.user(Role.STAFF),
            program=a.program,
            facility=a.facility,
            audit_type="initial",
            scheduled_date=datetime.date(2026, 5, 1),
            lead_auditor=a.user(Role.VIEWER),
        )
    with pytest.raises(DomainError, match="not an auditor"):
        make_audit(a, lead_role=None, team=[personas.b.user(Role.AUDITOR)])
