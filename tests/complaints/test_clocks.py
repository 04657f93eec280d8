"""Clocks (acknowledge, triage, resolve) per program and priority, with frozen time."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from complaints import dashboard, selectors, services, tasks
from complaints.models import ComplaintPolicy
from core.errors import DomainError
from core.roles import Role
from programs.models import Membership
from tests.utils import drain_mail

from .conftest import assigned, submit, triaged

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 5, 4, 8, 0, tzinfo=datetime.UTC)
H = datetime.timedelta(hours=1)


def flags(world, case, user=None):
    user = user or world.user(Role.STAFF)
    membership = Membership.objects.get(user=user, program=world.program)
    c = selectors.case_get(program=world.program, user=user, membership=membership, pk=case.pk)
    return c.ack_overdue, c.triage_overdue, c.resolution_overdue


def test_deadlines_follow_priority_and_program_policy(personas):
    world = personas.a
    with time_machine.travel(T0, tick=False):
        normal, _ = submit(world, category="wages")
        urgent, _ = submit(world, category="forced_labor")
    assert urgent.priority == "urgent" and normal.priority == "normal"
    assert normal.ack_due == T0 + 72 * H
    assert normal.triage_due == T0 + 168 * H
    assert normal.resolution_due == T0 + datetime.timedelta(days=60)
    assert urgent.ack_due == T0 + 24 * H
    assert urgent.resolution_due == T0 + datetime.timedelta(days=14)

    services.complaint_policy_set(
        actor=world.user(Role.ADMIN),
        program=world.program,
        clocks={"normal": {"ack_hours": 12, "resolution_days": 30}},
    )
    with time_machine.travel(T0, tick=False):
        custom, _ = submit(world, category="wages")
    assert custom.ack_due == T0 + 12 * H
    assert custom.triage_due == T0 + 168 * H  # not overridden: the default stays
    assert custom.resolution_due == T0 + datetime.timedelta(days=30)
    # Program B keeps the defaults.
    with time_machine.travel(T0, tick=False):
        b_case, _ = submit(personas.b, category="wages")
    assert b_case.ack_due == T0 + 72 * H
    with pytest.raises(ValidationError, match="positive"):
        services.complaint_policy_set(
            actor=world.user(Role.ADMIN), program=world.program, clocks={"urgent": {"ack_hours": 0}}
        )
    with pytest.raises(DomainError, match="admins and staff"):
        services.complaint_policy_set(
            actor=world.user(Role.INVESTIGATOR), program=world.program, identity_retention_days=5
        )
    assert ComplaintPolicy.objects.get(program=world.program).clocks["normal"]["ack_hours"] == 12


def test_overdue_flags_with_frozen_time(personas):
    world = personas.a
    with time_machine.travel(T0, tick=False):
        case, _ = submit(world, category="forced_labor")  # urgent: 24h / 48h / 14d
    with time_machine.travel(T0 + 23 * H, tick=False):
        assert flags(world, case) == (False, False, False)
    with time_machine.travel(T0 + 25 * H, tick=False):
        assert flags(world, case) == (True, False, False)
    with time_machine.travel(T0 + 49 * H, tick=False):
        assert flags(world, case) == (True, True, False)
        triaged(world, case)  # triage acknowledges too
        assert flags(world, case) == (False, False, False)
    with time_machine.travel(T0 + datetime.timedelta(days=14, hours=1), tick=False):
        assert flags(world, case) == (False, False, True)
        listed = selectors.case_list(
            program=world.program,
            user=world.user(Role.STAFF),
            membership=Membership.objects.get(user=world.user(Role.STAFF), program=world.program),
            overdue=True,
        )
        assert [c.pk for c in listed] == [case.pk]


def test_first_message_acknowledges(personas):
    world = personas.a
    with time_machine.travel(T0, tick=False):
        case, _ = submit(world)
    assert case.acknowledged_at is None
    with time_machine.travel(T0 + 2 * H, tick=False):
        triaged(world, case)
        assigned(world, case)
        case.refresh_from_db()
        assert case.acknowledged_at == T0 + 2 * H


def test_overdue_cases_on_the_dashboard_and_the_list(personas, client_for):
    world = personas.a
    with time_machine.travel(T0, tick=False):
        late, _ = submit(world, category="violence")
        mine, _ = submit(world, category="violence")
        triaged(world, mine)
        assigned(world, mine)
    with time_machine.travel(T0 + datetime.timedelta(days=15), tick=False):
        staff_membership = Membership.objects.get(
            user=world.user(Role.STAFF), program=world.program
        )
        [panel] = dashboard.panels(program=world.program, membership=staff_membership)
        assert {c.pk for c in panel["cases"]} == {late.pk, mine.pk}
        assert panel["counts"]["resolution"] == 2 and panel["counts"]["triage"] == 1
        inv_membership = Membership.objects.get(
            user=world.user(Role.INVESTIGATOR), program=world.program
        )
        [panel] = dashboard.panels(program=world.program, membership=inv_membership)
        assert [c.pk for c in panel["cases"]] == [mine.pk]  # investigators: their own
        buyer = Membership.objects.get(user=world.user(Role.BUYER_OFFICER), program=world.program)
        assert dashboard.panels(program=world.program, membership=buyer) == []

        page = client_for(world.user(Role.STAFF)).get(
            reverse("programs:dashboard", kwargs={"program": world.slug})
        )
        html = page.content.decode()
        assert late.reference in html and "resolution overdue" in html
        listing = client_for(world.user(Role.STAFF)).get(
            reverse("complaints:case_list", kwargs={"program": world.slug}) + "?overdue=1"
        )
        assert late.reference in listing.content.decode()
        assert 'class="overdue"' in listing.content.decode()


def test_reminder_job_sends_once_per_day(personas, django_capture_on_commit_callbacks):
    world = personas.a
    with time_machine.travel(T0, tick=False):
        case, _ = submit(world, category="violence")
    mail.outbox.clear()
    with time_machine.travel(T0 + 2 * H, tick=False):
        assert tasks.send_clock_reminders() == 0  # nothing overdue yet
    with (
        time_machine.travel(T0 + 25 * H, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert tasks.send_clock_reminders() == 1
        assert tasks.send_clock_reminders() == 0  # redelivery: no second mail
    with time_machine.travel(T0 + 30 * H, tick=False):
        assert tasks.send_clock_reminders() == 0
    with (
        time_machine.travel(T0 + 50 * H, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert tasks.send_clock_reminders() == 1
    drain_mail()
    to_staff = [m for m in mail.outbox if m.to == [world.user(Role.STAFF).email]]
    assert len(to_staff) == 2
    message = to_staff[0]
    assert case.reference in message.subject
    assert "acknowledgement" in message.body
    assert case.narrative not in message.body  # no narrative in mail
    assert len([m for m in mail.outbox if m.to == [world.user(Role.ADMIN).email]]) == 2
