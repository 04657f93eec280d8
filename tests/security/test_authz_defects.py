"""The access defects of issue 14, each through the path a member would take.

The rules themselves live in ``core.authz.ACTIONS``; ``tests/security/test_permission_matrix.py``
walks them all. These are the cases a probe found, kept as named regressions.
"""

import datetime

import pytest
from django.urls import reverse

from audits import services as audit_services
from audits.models import CAPItem, Report
from complaints import services as complaint_services
from complaints.models import Case
from core.actors import SystemActor
from core.authz import Forbidden
from core.errors import DomainError
from core.roles import Role
from enforcement import services as enforcement_services
from enforcement.models import Violation, ViolationState
from enforcement.services.policy import require_role
from tests.complaints.conftest import submit, triaged
from tests.enforcement.conftest import propose

pytestmark = pytest.mark.django_db


def _api(world, path):
    return f"/api/v1/programs/{world.slug}/{path}"


# ---------------------------------------------------------------- confirm button


def test_staff_are_not_shown_confirm_violation_they_would_be_refused(personas, client_for):
    world = personas.a
    violation = propose(world)
    url = reverse(
        "enforcement:violation_detail", kwargs={"program": world.slug, "pk": violation.pk}
    )
    staff_page = client_for(world.user(Role.STAFF)).get(url).content.decode()
    # Staff may dismiss (the table says so) but not confirm (admin only by default).
    assert "Confirm violation" not in staff_page
    assert "Dismiss" in staff_page
    confirm = reverse(
        "enforcement:violation_confirm", kwargs={"program": world.slug, "pk": violation.pk}
    )
    client_for(world.user(Role.STAFF)).post(confirm, {"confirm": "on"})
    violation.refresh_from_db()
    assert violation.state == ViolationState.PROPOSED
    assert "Confirm violation" in client_for(world.user(Role.ADMIN)).get(url).content.decode()


def test_confirm_button_follows_the_programs_confirm_roles(personas, client_for):
    world = personas.a
    enforcement_services.enforcement_settings_update(
        actor=world.user(Role.ADMIN), program=world.program, confirm_roles=["staff"]
    )
    violation = propose(world)
    url = reverse(
        "enforcement:violation_detail", kwargs={"program": world.slug, "pk": violation.pk}
    )
    assert "Confirm violation" in client_for(world.user(Role.STAFF)).get(url).content.decode()


# ---------------------------------------------------------------- identity grant follows the flag


def _reveal(client, world, case):
    return client.post(_api(world, f"complaints/cases/{case.pk}/identity/"))


def _case_with_identity(world):
    case, _ = submit(world, identity={"name": "Rosa Díaz", "phone": "+1 555 0100"})
    return triaged(world, case)


@pytest.mark.parametrize("with_identity", [False, True])
def test_api_assignment_grants_identity_only_when_asked(personas, client_for, with_identity):
    world = personas.a
    case = _case_with_identity(world)
    investigator = world.user(Role.INVESTIGATOR)
    staff = client_for(world.user(Role.STAFF))
    response = staff.post(
        _api(world, f"complaints/cases/{case.pk}/assign/"),
        {"user": investigator.pk, "with_identity": with_identity},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    reveal = _reveal(client_for(investigator), world, case)
    if with_identity:
        assert reveal.status_code == 200
        assert "Rosa" in reveal.content.decode()
    else:
        assert reveal.status_code in (403, 404)
        assert "Rosa" not in reveal.content.decode()


def test_html_assignment_without_identity_grants_no_identity(personas, client_for):
    world = personas.a
    case = _case_with_identity(world)
    investigator = world.user(Role.INVESTIGATOR)
    url = reverse("complaints:case_assign", kwargs={"program": world.slug, "pk": case.pk})
    response = client_for(world.user(Role.STAFF)).post(url, {"investigator": investigator.pk})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).assigned_to == investigator
    assert _reveal(client_for(investigator), world, case).status_code in (403, 404)
    # With the box ticked, the grant follows.
    client_for(world.user(Role.STAFF)).post(
        url, {"investigator": investigator.pk, "with_identity": "on"}
    )
    assert _reveal(client_for(investigator), world, case).status_code == 200


def test_reassigning_or_resharing_without_identity_withdraws_it(personas, client_for):
    world = personas.a
    case = _case_with_identity(world)
    staff, investigator = world.user(Role.STAFF), world.user(Role.INVESTIGATOR)
    complaint_services.case_share(actor=staff, case=case, user=investigator, with_identity=True)
    assert _reveal(client_for(investigator), world, case).status_code == 200
    complaint_services.case_share(actor=staff, case=case, user=investigator, with_identity=False)
    assert _reveal(client_for(investigator), world, case).status_code in (403, 404)


# ---------------------------------------------------------------- roles the services now check


def test_cap_item_create_is_refused_to_roles_that_do_not_manage_caps(personas):
    world = personas.a
    for role in (Role.INVESTIGATOR, Role.VIEWER, Role.BUYER_OFFICER):
        with pytest.raises(Forbidden):
            audit_services.cap_item_create(
                actor=world.user(role),
                program=world.program,
                facility=world.facility,
                observation="Blocked fire exit",
                recommendation="Clear it",
                deadline=datetime.date(2026, 12, 31),
                responsible_party="Manager",
            )
    assert not CAPItem.objects.filter(program=world.program).exists()


def test_auditor_cap_item_via_api_needs_the_role_check(personas, client_for):
    """The role part of the CAP-item defect: a viewer or investigator through the API is
    403, and the service refuses them even when called directly (above)."""
    world = personas.a
    body = {
        "facility": world.facility.pk,
        "observation": "x",
        "recommendation": "y",
        "deadline": "2026-12-31",
        "responsible_party": "z",
    }
    for role in (Role.VIEWER, Role.INVESTIGATOR):
        r = client_for(world.user(role)).post(
            _api(world, "cap-items/"), body, content_type="application/json"
        )
        assert r.status_code == 403, (role, r.status_code)
    assert not CAPItem.objects.filter(program=world.program).exists()


def test_viewer_cannot_request_reports_through_the_api(personas, client_for):
    world = personas.a
    for role in (Role.VIEWER, Role.INVESTIGATOR, Role.AUDITOR):
        r = client_for(world.user(role)).post(
            _api(world, "audit-reports/"), {"kind": "cap_progress"}, content_type="application/json"
        )
        assert r.status_code == 403, (role, r.status_code, r.content)
    assert not Report.objects.filter(program=world.program).exists()


def test_viewers_and_auditors_cannot_log_complaints(personas, client_for):
    world = personas.a
    before = Case.objects.filter(program=world.program).count()
    for role in (Role.VIEWER, Role.AUDITOR, Role.INVESTIGATOR):
        with pytest.raises(Forbidden):
            complaint_services.complaint_submit(
                actor=world.user(role),
                program=world.program,
                narrative="Logged from the hotline.",
                channel="hotline",
                language="en",
                facility=world.facility,
            )
        r = client_for(world.user(role)).post(
            _api(world, "complaints/cases/"),
            {
                "narrative": "Logged",
                "channel": "hotline",
                "language": "en",
                "facility": world.facility.pk,
            },
            content_type="application/json",
        )
        assert r.status_code == 403, (role, r.status_code)
    assert Case.objects.filter(program=world.program).count() == before
    complaint_services.complaint_submit(
        actor=world.user(Role.STAFF),
        program=world.program,
        narrative="Logged from the hotline.",
        channel="hotline",
        language="en",
        facility=world.facility,
    )
    assert Case.objects.filter(program=world.program).count() == before + 1


def test_require_role_refuses_a_bare_string_actor(personas):
    world = personas.a
    violation = propose(world)
    for actor in ("enforcement", "system", "admin"):
        with pytest.raises(DomainError) as exc:
            enforcement_services.violation_confirm(actor=actor, violation=violation)
        assert exc.value.code == "forbidden"
    assert Violation.objects.get(pk=violation.pk).state == ViolationState.PROPOSED
    with pytest.raises(DomainError):
        require_role("seed", world.program, {Role.ADMIN})
    # The explicit system actor is what tasks and setup use; the log records its name.
    confirmed = enforcement_services.violation_confirm(
        actor=SystemActor("beat"), violation=violation
    )
    assert confirmed.state != ViolationState.PROPOSED


def test_programs_services_check_the_role(personas):
    world = personas.a
    for role in (Role.INVESTIGATOR, Role.AUDITOR, Role.VIEWER, Role.BUYER_OFFICER):
        with pytest.raises(Forbidden):
            from programs import services as program_services

            program_services.supplier_create(
                actor=world.user(role), program=world.program, legal_name="X", country="US"
            )


# ---------------------------------------------------------------- the Members link


def test_members_link_shows_only_to_those_who_may_open_it(personas, client_for):
    world = personas.a
    dashboard = reverse("programs:dashboard", kwargs={"program": world.slug})
    members = reverse("programs:member_list", kwargs={"program": world.slug})
    for role in (Role.ADMIN, Role.STAFF, Role.INVESTIGATOR, Role.AUDITOR, Role.VIEWER):
        client = client_for(world.user(role))
        page = client.get(dashboard).content.decode()
        shown = f'href="{members}"' in page
        opened = client.get(members).status_code == 200
        assert shown == opened, (role, shown, opened)
        assert shown == (role in (Role.ADMIN, Role.STAFF)), role


# ---------------------------------------------------------------- auditors where they audit


def _cap_item_elsewhere(world):
    """A CAP item at a facility none of the auditor's audits is at."""
    from programs import services as program_services

    staff = world.user(Role.STAFF)
    facility = program_services.facility_create(
        actor=staff,
        program=world.program,
        supplier=world.supplier,
        name="Far Farm",
        address="9 Far Road",
        country="US",
    )
    return audit_services.cap_item_create(
        actor=staff,
        program=world.program,
        facility=facility,
        observation="No shade",
        recommendation="Build shade",
        deadline=datetime.date(2026, 12, 31),
        responsible_party="Manager",
    )


def _audit_at(world, facility, auditor):
    return audit_services.audit_create(
        actor=world.user(Role.STAFF),
        program=world.program,
        facility=facility,
        audit_type="periodic",
        scheduled_date=datetime.date(2026, 3, 2),
        lead_auditor=auditor,
    )


def test_auditor_cannot_follow_up_cap_items_where_they_do_not_audit(personas, client_for):
    from audits.models import CAPItemComment, EvidenceFile

    world = personas.a
    auditor = world.user(Role.AUDITOR)
    item = _cap_item_elsewhere(world)
    client = client_for(auditor)
    comment = client.post(
        _api(world, f"cap-items/{item.pk}/comment/"),
        {"body": "Looks fixed"},
        content_type="application/json",
    )
    transition = client.post(
        _api(world, f"cap-items/{item.pk}/transition/"),
        {"status": "in_progress"},
        content_type="application/json",
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.audits.route_samples import PNG

    evidence = client.post(
        _api(world, f"cap-items/{item.pk}/evidence/"),
        {"file": SimpleUploadedFile("p.png", PNG, content_type="image/png")},
    )
    assert (comment.status_code, transition.status_code, evidence.status_code) == (403,) * 3
    assert not CAPItemComment.objects.filter(item=item).exists()
    assert not EvidenceFile.objects.filter(cap_item=item).exists()
    item.refresh_from_db()
    assert item.status == "open"
    # Once on an audit at that facility, the same auditor may.
    _audit_at(world, item.facility, auditor)
    again = client.post(
        _api(world, f"cap-items/{item.pk}/comment/"),
        {"body": "Looks fixed"},
        content_type="application/json",
    )
    assert again.status_code == 201
