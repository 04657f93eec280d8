"""Moving a CAP item's deadline from the workspace: admin/staff only, a reason required,
no date in the past, what was typed kept on a refusal, and the move in the audit log and
on the item's page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audits import services
from audits.models import CAPItem
from core.models import AuditEvent
from core.roles import Role

from .helpers import make_cap_item

pytestmark = pytest.mark.django_db


def url(name, world, **kwargs):
    return reverse(name, kwargs={"program": world.slug, **kwargs})


def later(days):
    return timezone.localdate() + datetime.timedelta(days=days)


def deadline_events(item):
    return list(
        AuditEvent.objects.filter(
            object_type="audits.capitem", object_id=str(item.pk), verb="cap_item.updated"
        ).order_by("seq")
    )


def test_staff_moves_the_deadline_with_a_reason(personas, client_for):
    a = personas.a
    item = make_cap_item(a, deadline=later(5))
    client = client_for(a.user(Role.STAFF))
    page = url("audits:cap_item_deadline", a, pk=item.pk)
    # Linked from the item's page and from its CAP's page.
    assert page in client.get(url("audits:cap_item_detail", a, pk=item.pk)).content.decode()
    assert page in client.get(url("audits:cap_detail", a, pk=item.cap_id)).content.decode()
    form = client.get(page)
    assert form.status_code == 200 and str(later(5)) in form.content.decode()

    response = client.post(
        page, {"deadline": later(40).isoformat(), "reason": "Roof contractor booked for May."}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.deadline == later(40)
    [event] = deadline_events(item)
    assert event.actor_id == a.user(Role.STAFF).pk
    assert event.payload == {
        "deadline": [str(later(5)), str(later(40))],
        "reason": "Roof contractor booked for May.",
    }
    detail = client.get(url("audits:cap_item_detail", a, pk=item.pk)).content.decode()
    assert "Deadline changes" in detail and "Roof contractor booked for May." in detail


def test_missing_reason_and_past_date_are_refused_and_the_input_kept(personas, client_for):
    a = personas.a
    item = make_cap_item(a, deadline=later(5))
    client = client_for(a.user(Role.ADMIN))
    page = url("audits:cap_item_deadline", a, pk=item.pk)

    response = client.post(page, {"deadline": later(30).isoformat(), "reason": "  "})
    body = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in body
    assert f'value="{later(30).isoformat()}"' in body  # the date typed is still there

    response = client.post(
        page, {"deadline": later(-3).isoformat(), "reason": "Backdating to escalate."}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "The new deadline is in the past." in body
    assert "Backdating to escalate." in body and f'value="{later(-3).isoformat()}"' in body

    response = client.post(page, {"deadline": later(5).isoformat(), "reason": "No change."})
    assert "That is already the deadline." in response.content.decode()

    item.refresh_from_db()
    assert item.deadline == later(5)
    assert deadline_events(item) == []


def test_a_verified_item_is_closed(personas, client_for):
    a = personas.a
    item = make_cap_item(a, deadline=later(5))
    staff = a.user(Role.STAFF)
    for status in ("reported_done", "verified"):
        services.cap_item_transition(actor=staff, item=item, status=status)
    client = client_for(staff)
    assert (
        "Change deadline"
        not in client.get(url("audits:cap_item_detail", a, pk=item.pk)).content.decode()
    )
    response = client.post(
        url("audits:cap_item_deadline", a, pk=item.pk),
        {"deadline": later(30).isoformat(), "reason": "Too late."},
    )
    assert "A verified item is closed." in response.content.decode()
    assert CAPItem.objects.get(pk=item.pk).deadline == later(5)


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.VIEWER, Role.INVESTIGATOR])
def test_other_roles_cannot_move_a_deadline(role, personas, client_for):
    a = personas.a
    item = make_cap_item(a, deadline=later(5))
    client = client_for(a.user(role))
    page = url("audits:cap_item_deadline", a, pk=item.pk)
    assert client.get(page).status_code == 403
    response = client.post(page, {"deadline": later(30).isoformat(), "reason": "Mine."})
    assert response.status_code == 403
    assert page not in client.get(url("audits:cap_item_detail", a, pk=item.pk)).content.decode()
    assert CAPItem.objects.get(pk=item.pk).deadline == later(5)


def test_the_service_needs_a_reason_for_a_deadline_but_not_for_other_terms(personas):
    a = personas.a
    item = make_cap_item(a, deadline=later(5))
    staff = a.user(Role.STAFF)
    from core.errors import DomainError

    with pytest.raises(DomainError, match="reason"):
        services.cap_item_update(actor=staff, item=item, deadline=later(9))
    services.cap_item_update(actor=staff, item=item, responsible_party="Safety committee")
    assert CAPItem.objects.get(pk=item.pk).responsible_party == "Safety committee"


def test_an_extension_brings_an_overdue_item_back_in_progress(personas):
    from audits.models import CAPItemStatus, CAPItemStatusChange

    a = personas.a
    staff = a.user(Role.STAFF)
    item = make_cap_item(a, deadline=later(5))
    CAPItem.objects.filter(pk=item.pk).update(
        status=CAPItemStatus.OVERDUE, deadline=later(-3)
    )  # as the overdue job leaves it
    item.refresh_from_db()
    services.cap_item_update(actor=staff, item=item, deadline=later(30), reason="Rain delays.")
    item.refresh_from_db()
    assert item.status == CAPItemStatus.IN_PROGRESS and item.deadline == later(30)
    change = CAPItemStatusChange.objects.filter(item=item).latest("at")
    assert (change.from_status, change.to_status) == (
        CAPItemStatus.OVERDUE,
        CAPItemStatus.IN_PROGRESS,
    )
    assert change.note == "deadline extended" and change.actor_id == staff.pk


def test_every_deadline_move_stays_on_the_page_however_long_the_thread(personas, client_for):
    a = personas.a
    staff = a.user(Role.STAFF)
    item = make_cap_item(a, deadline=later(5))
    services.cap_item_update(actor=staff, item=item, deadline=later(10), reason="First move.")
    for i in range(60):  # more events on the item than the generic history shows
        services.cap_item_comment(actor=staff, item=item, body=f"Update {i}")
    services.cap_item_update(actor=staff, item=item, deadline=later(20), reason="Second move.")
    detail = client_for(staff).get(url("audits:cap_item_detail", a, pk=item.pk))
    page = detail.content.decode()
    assert "First move." in page and "Second move." in page
    assert page.index("Second move.") < page.index("First move.")  # newest first
