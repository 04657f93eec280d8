"""Identity custody: with it on, a member other than an admin sees a complainant's
identity only after a custodian (another person, of this program) approved their request.
Request, approval/decline and reveal are each an audit event."""

import pytest
from django.urls import reverse

from complaints import custody
from complaints.models import IdentityRevealRequest, RevealStatus
from core.errors import DomainError
from core.models import AuditEvent
from core.roles import Role

from .conftest import assigned, submit, triaged

pytestmark = pytest.mark.django_db

IDENTITY = {"name": "Rosa Martínez", "phone": "+1 239 555 0101"}


def u(name, world, **kw):
    return reverse(f"complaints:{name}", kwargs={"program": world.slug, **kw})


@pytest.fixture
def world(personas):
    return personas.a


@pytest.fixture
def case(world):
    case, _ = submit(world, identity=IDENTITY)
    triaged(world, case)
    assigned(world, case)  # the investigator holds the identity grant
    return case


@pytest.fixture
def custody_on(world, client_for):
    admin = client_for(world.user(Role.ADMIN))
    response = admin.post(
        u("custody_settings", world),
        {"required": "on", "custodians": [world.user(Role.STAFF).pk, world.user(Role.VIEWER).pk]},
    )
    assert response.status_code == 302, response.content
    assert AuditEvent.objects.filter(
        program=world.program, verb="complaints.identity_custody_set"
    ).exists()


def test_reveal_needs_a_custodians_approval(world, case, custody_on, client_for):
    investigator = world.user(Role.INVESTIGATOR)
    inv = client_for(investigator)
    page = inv.get(u("case_detail", world, pk=case.pk)).content.decode()
    assert "Ask a custodian" in page and "Rosa" not in page
    refused = inv.post(u("case_identity", world, pk=case.pk), follow=True)
    assert (
        "Rosa" not in refused.content.decode()
        and "custodian must approve" in refused.content.decode()
    )
    api = reverse("complaints-api:case-identity", kwargs={"program": world.slug, "pk": case.pk})
    assert inv.post(api).status_code == 403
    assert not AuditEvent.objects.filter(verb="case.identity_revealed").exists()

    # An empty reason is refused and nothing is recorded.
    inv.post(u("identity_request", world, pk=case.pk), {"reason": " "})
    assert not IdentityRevealRequest.objects.exists()
    inv.post(
        u("identity_request", world, pk=case.pk),
        {"reason": "To call her back about the interview."},
    )
    request = IdentityRevealRequest.objects.get()
    assert request.requester == investigator and request.status == RevealStatus.PENDING
    assert (
        "waiting for a custodian" in inv.get(u("case_detail", world, pk=case.pk)).content.decode()
    )

    custodian = client_for(world.user(Role.STAFF))
    queue = custodian.get(u("identity_requests", world))
    assert queue.status_code == 200 and "To call her back" in queue.content.decode()
    decided = custodian.post(
        u("identity_request_decide", world, pk=request.pk),
        {"decision": "approve", "reason": "Needed to schedule the interview."},
    )
    assert decided.status_code == 302
    request.refresh_from_db()
    assert request.status == RevealStatus.APPROVED and request.decided_by == world.user(Role.STAFF)

    shown = inv.post(u("case_identity", world, pk=case.pk))
    assert shown.status_code == 200 and "Rosa Martínez" in shown.content.decode()
    assert inv.post(api).json()["name"] == "Rosa Martínez"
    verbs = list(
        AuditEvent.objects.filter(program=world.program, object_id=str(case.pk))
        .filter(verb__startswith="case.identity")
        .values_list("verb", "actor", "payload")
    )
    assert [(v, a) for v, a, _ in verbs] == [
        ("case.identity_reveal_requested", investigator.pk),
        ("case.identity_reveal_approved", world.user(Role.STAFF).pk),
        ("case.identity_revealed", investigator.pk),
        ("case.identity_revealed", investigator.pk),
    ]
    assert verbs[1][2]["reason"] == "Needed to schedule the interview."
    assert verbs[2][2]["approved_request"] == request.pk


def test_requester_cannot_approve_their_own_request(world, case, client_for):
    admin = world.user(Role.ADMIN)
    investigator = world.user(Role.INVESTIGATOR)
    custody.identity_custody_set(
        actor=admin, program=world.program, required=True, custodians=[investigator]
    )
    request = custody.identity_reveal_request(actor=investigator, case=case, reason="Callback.")
    response = client_for(investigator).post(
        u("identity_request_decide", world, pk=request.pk),
        {"decision": "approve", "reason": "I need it."},
        follow=True,
    )
    assert "cannot approve your own request" in response.content.decode()
    request.refresh_from_db()
    assert request.status == RevealStatus.PENDING
    with pytest.raises(DomainError):
        custody.identity_reveal_decide(
            actor=investigator, request=request, approve=True, reason="x"
        )
    assert not AuditEvent.objects.filter(verb="case.identity_reveal_approved").exists()


def test_another_programs_custodian_cannot_decide(personas, world, case, custody_on, client_for):
    b = personas.b
    b_staff = b.user(Role.STAFF)
    custody.identity_custody_set(
        actor=b.user(Role.ADMIN), program=b.program, required=True, custodians=[b_staff]
    )
    request = custody.identity_reveal_request(
        actor=world.user(Role.INVESTIGATOR), case=case, reason="Callback."
    )
    other = client_for(b_staff)
    data = {"decision": "approve", "reason": "ok"}
    assert other.post(u("identity_request_decide", world, pk=request.pk), data).status_code == 404
    assert other.get(u("identity_requests", world)).status_code == 404
    via_b = reverse(
        "complaints:identity_request_decide", kwargs={"program": b.slug, "pk": request.pk}
    )
    assert other.post(via_b, data).status_code == 404
    with pytest.raises(DomainError):
        custody.identity_reveal_decide(actor=b_staff, request=request, approve=True, reason="ok")
    request.refresh_from_db()
    assert request.status == RevealStatus.PENDING
    # Nor can a member of this program who is not a custodian.
    not_custodian = client_for(world.user(Role.AUDITOR))
    assert not_custodian.get(u("identity_requests", world)).status_code == 403
    assert (
        not_custodian.post(u("identity_request_decide", world, pk=request.pk), data).status_code
        == 403
    )


def test_declined_request_keeps_the_identity_hidden(world, case, custody_on, client_for):
    investigator = world.user(Role.INVESTIGATOR)
    request = custody.identity_reveal_request(actor=investigator, case=case, reason="Curious.")
    custodian = client_for(world.user(Role.VIEWER))
    # A decision needs a reason.
    custodian.post(u("identity_request_decide", world, pk=request.pk), {"decision": "decline"})
    request.refresh_from_db()
    assert request.status == RevealStatus.PENDING
    custodian.post(
        u("identity_request_decide", world, pk=request.pk),
        {"decision": "decline", "reason": "Not needed for the investigation."},
    )
    request.refresh_from_db()
    assert request.status == RevealStatus.DECLINED
    assert AuditEvent.objects.filter(verb="case.identity_reveal_declined").count() == 1
    with pytest.raises(DomainError):
        custody.identity_reveal_decide(
            actor=world.user(Role.STAFF), request=request, approve=True, reason="Changed mind."
        )
    inv = client_for(investigator)
    assert (
        "Rosa" not in inv.post(u("case_identity", world, pk=case.pk), follow=True).content.decode()
    )
    pdf = inv.get(u("case_pdf", world, pk=case.pk))
    assert pdf.status_code == 200
    assert not AuditEvent.objects.filter(verb="case.identity_revealed").exists()


def test_admins_are_not_held_and_only_admins_set_custody(
    personas, world, case, custody_on, client_for
):
    admin = client_for(world.user(Role.ADMIN))
    shown = admin.post(u("case_identity", world, pk=case.pk))
    assert "Rosa Martínez" in shown.content.decode()
    staff = client_for(world.user(Role.STAFF))
    assert staff.post(u("custody_settings", world), {"required": ""}).status_code == 403
    # Custodians must be members of this program.
    response = admin.post(
        u("custody_settings", world),
        {"required": "on", "custodians": [personas.b.user(Role.STAFF).pk]},
    )
    assert response.status_code == 400
    with pytest.raises(DomainError):
        custody.identity_custody_set(
            actor=world.user(Role.ADMIN),
            program=world.program,
            required=True,
            custodians=[personas.b.user(Role.STAFF)],
        )


def test_the_authorization_table_answers_custody(world, case, custody_on):
    """``core.authz.can`` asks the custody gate (registered by the complaints app), so
    every caller (service, view, the permission walk) gets one answer."""
    from core import authz

    investigator = world.user(Role.INVESTIGATOR)
    assert not authz.can(investigator, world.program, "case.identity", case)
    with pytest.raises(authz.Forbidden, match="custodian must approve"):
        authz.require_member(investigator, world.program, "case.identity", case)
    assert authz.can(world.user(Role.ADMIN), world.program, "case.identity", case)
    request = custody.identity_reveal_request(actor=investigator, case=case, reason="A call.")
    custody.identity_reveal_decide(
        actor=world.user(Role.STAFF), request=request, approve=True, reason="Fine."
    )
    assert authz.can(investigator, world.program, "case.identity", case)
