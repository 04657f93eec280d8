"""Every case state transition, legal and illegal, through the services and the API."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from complaints import services
from complaints.models import CaseStatus, Outcome
from core.errors import DomainError, IllegalTransition
from core.models import AuditEvent
from core.roles import Role

from .conftest import assigned, investigating, submit, triaged

pytestmark = pytest.mark.django_db


def _case_in(world, status):
    """A case brought to ``status`` through the services."""
    case, _ = submit(world)
    if status == CaseStatus.RECEIVED:
        return case
    triaged(world, case)
    assigned(world, case)
    if status == CaseStatus.TRIAGED:
        return case
    inv = world.user(Role.INVESTIGATOR)
    services.case_start_investigation(actor=inv, case=case)
    if status == CaseStatus.INVESTIGATING:
        return case
    services.case_resolve(actor=inv, case=case, outcome=Outcome.NOT_SUBSTANTIATED, summary="x")
    if status == CaseStatus.RESOLVED:
        return case
    services.case_close(actor=world.user(Role.STAFF), case=case)
    return case


def _go(world, case, target):
    staff = world.user(Role.STAFF)
    if target == CaseStatus.TRIAGED:
        return services.case_triage(
            actor=staff, case=case, category=case.category, priority="normal"
        )
    outcome = (
        Outcome.WITHDRAWN
        if case.status in (CaseStatus.RECEIVED, CaseStatus.TRIAGED)
        else Outcome.NOT_SUBSTANTIATED
    )
    return services.case_transition(
        actor=staff, case=case, status=target, outcome=outcome, reason="new evidence"
    )


RECEIVED, TRIAGED, INVESTIGATING, RESOLVED, CLOSED = (
    CaseStatus.RECEIVED,
    CaseStatus.TRIAGED,
    CaseStatus.INVESTIGATING,
    CaseStatus.RESOLVED,
    CaseStatus.CLOSED,
)
# The lifecycle, written out here rather than read from complaints.models: a change to
# CASE_TRANSITIONS must change this table too, on purpose. Every other pair is illegal.
LEGAL = {
    (RECEIVED, TRIAGED),
    (RECEIVED, RESOLVED),  # withdrawn or referred before any investigation
    (TRIAGED, INVESTIGATING),
    (TRIAGED, RESOLVED),
    (INVESTIGATING, RESOLVED),
    (RESOLVED, CLOSED),
    (RESOLVED, INVESTIGATING),  # reopened
    (CLOSED, INVESTIGATING),  # reopened
}
ALL = [RECEIVED, TRIAGED, INVESTIGATING, RESOLVED, CLOSED]
PAIRS = [(a, b) for a in ALL for b in ALL]


def test_the_table_covers_every_status():
    assert set(ALL) == set(CaseStatus)


@pytest.mark.parametrize("source,target", PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_transition_table(personas, source, target):
    world = personas.a
    case = _case_in(world, source)
    case.refresh_from_db()
    legal = (source, target) in LEGAL
    if target == CaseStatus.TRIAGED and source in (CaseStatus.TRIAGED, CaseStatus.INVESTIGATING):
        # Re-triage updates category/priority of an open case; the status does not move.
        result = _go(world, case, target)
        result.refresh_from_db()
        assert result.status == source
        return
    before = AuditEvent.objects.filter(program=world.program).count()
    if legal:
        result = _go(world, case, target)
        result.refresh_from_db()
        assert result.status == target
        assert AuditEvent.objects.filter(program=world.program).count() > before
    else:
        with pytest.raises(DomainError):
            _go(world, case, target)
        case.refresh_from_db()
        assert case.status == source
        assert AuditEvent.objects.filter(program=world.program).count() == before


def test_every_transition_writes_named_audit_events(personas):
    world = personas.a
    case = _case_in(world, CaseStatus.CLOSED)
    services.case_reopen(actor=world.user(Role.STAFF), case=case, reason="worker wrote again")
    verbs = list(
        AuditEvent.objects.filter(
            program=world.program, object_type="complaints.case", object_id=str(case.pk)
        )
        .order_by("seq")
        .values_list("verb", flat=True)
    )
    assert verbs == [
        "case.received",
        "case.triaged",
        "case.assigned",
        "case.investigation_started",
        "case.resolved",
        "case.closed",
        "case.reopened",
    ]


def test_reopen_needs_a_reason_and_restarts_the_clock(personas):
    world = personas.a
    case = _case_in(world, CaseStatus.RESOLVED)
    with pytest.raises(ValidationError, match="reason"):
        services.case_reopen(actor=world.user(Role.STAFF), case=case, reason="  ")
    case = services.case_reopen(actor=world.user(Role.STAFF), case=case, reason="new facts")
    assert case.status == CaseStatus.INVESTIGATING
    assert case.outcome == "" and case.resolved_at is None
    assert case.resolution_due > case.received_at


def test_substantiated_needs_a_finding(personas):
    world = personas.a
    case = investigating(world)
    inv = world.user(Role.INVESTIGATOR)
    with pytest.raises(DomainError, match="finding"):
        services.case_resolve(actor=inv, case=case, outcome=Outcome.SUBSTANTIATED)
    services.finding_add(actor=inv, case=case, provision=world.provision, facts="Confirmed.")
    case = services.case_resolve(actor=inv, case=case, outcome=Outcome.SUBSTANTIATED)
    assert case.outcome == Outcome.SUBSTANTIATED


def test_uninvestigated_case_can_only_be_withdrawn_or_referred(personas):
    world = personas.a
    case, _ = submit(world)
    with pytest.raises(IllegalTransition):
        services.case_resolve(
            actor=world.user(Role.STAFF), case=case, outcome=Outcome.NOT_SUBSTANTIATED
        )
    case = services.case_resolve(
        actor=world.user(Role.STAFF), case=case, outcome=Outcome.REFERRED, summary="labor board"
    )
    assert case.status == CaseStatus.RESOLVED


def test_investigation_needs_an_assignee(personas):
    world = personas.a
    case, _ = submit(world)
    triaged(world, case)
    with pytest.raises(DomainError, match="Assign"):
        services.case_start_investigation(actor=world.user(Role.STAFF), case=case)


def test_findings_only_while_investigating(personas):
    world = personas.a
    case, _ = submit(world)
    with pytest.raises(IllegalTransition):
        services.finding_add(
            actor=world.user(Role.STAFF), case=case, provision=world.provision, facts="x"
        )


def test_illegal_transition_via_api_is_409_and_via_html_is_400(personas, client_for):
    world = personas.a
    case = _case_in(world, CaseStatus.RECEIVED)
    staff = client_for(world.user(Role.STAFF))
    url = reverse("complaints-api:case-transition", kwargs={"program": world.slug, "pk": case.pk})
    response = staff.post(url, {"status": "closed"}, content_type="application/json")
    assert response.status_code == 409
    assert "cannot go from 'received' to 'closed'" in response.json()["detail"]

    html = reverse("complaints:case_transition", kwargs={"program": world.slug, "pk": case.pk})
    response = staff.post(html, {"status": "closed"})
    assert response.status_code == 400
    assert b"cannot go from" in response.content
    case.refresh_from_db()
    assert case.status == CaseStatus.RECEIVED


def test_retaliation_links_and_makes_urgent(personas):
    world = personas.a
    original, _ = submit(world)
    later, _ = submit(world, category="wages")
    assert later.priority == "normal"
    later = services.case_flag_retaliation(
        actor=world.user(Role.STAFF), case=later, original=original, note="fired after"
    )
    assert later.is_retaliation and later.retaliation_of == original
    assert later.priority == "urgent"
    assert AuditEvent.objects.filter(
        verb="case.retaliation_flagged", object_id=str(later.pk)
    ).exists()
    with pytest.raises(DomainError):
        services.case_flag_retaliation(actor=world.user(Role.STAFF), case=later, original=later)
    other_program_case, _ = submit(personas.b)
    with pytest.raises(DomainError):
        services.case_flag_retaliation(
            actor=world.user(Role.STAFF), case=later, original=other_program_case
        )


def test_zero_tolerance_provision_makes_triage_urgent(personas):
    world = personas.a
    case, _ = submit(world)
    case = services.case_triage(
        actor=world.user(Role.STAFF),
        case=case,
        category="health_safety",
        priority="normal",
        provisions=[world.provision],  # zero tolerance
    )
    assert case.priority == "urgent"


def test_investigator_cannot_triage_or_close(personas):
    world = personas.a
    case = investigating(world)
    inv = world.user(Role.INVESTIGATOR)
    with pytest.raises(DomainError):
        services.case_triage(actor=inv, case=case, category="wages", priority="normal")
    services.case_resolve(actor=inv, case=case, outcome=Outcome.NOT_SUBSTANTIATED)
    with pytest.raises(DomainError):
        services.case_close(actor=inv, case=case)
