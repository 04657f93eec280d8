"""The case page as a timeline (issue 17): messages, notes, status changes, evidence,
interviews and findings in time order; action panels collapsed (<details>), the one with
an error open; the query count does not grow with the case's history."""

import datetime
import os
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from complaints import services
from core.roles import Role
from tests.conftest import ARTIFACTS, browser_login
from tests.utils import assert_constant_queries

from .conftest import investigating

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def url(world, case):
    return reverse("complaints:case_detail", kwargs={"program": world.slug, "pk": case.pk})


def add_history(world, case, n):
    inv = world.user(Role.INVESTIGATOR)
    for i in range(n):
        services.note_add(actor=inv, case=case, body=f"note {i}")
        services.message_send(actor=inv, case=case, body=f"message {i}")
        services.evidence_add(
            actor=inv,
            case=case,
            upload=SimpleUploadedFile(f"e{i}.pdf", PDF, "application/pdf"),
            description=f"evidence {i}",
        )
        services.interview_record(
            actor=inv,
            case=case,
            kind="witness",
            conducted_on=datetime.date(2026, 3, 1),
            summary=f"interview {i}",
        )
        services.finding_add(
            actor=inv, case=case, provision=world.provision, facts=f"finding {i}", severity=None
        )


@pytest.mark.django_db
def test_timeline_in_time_order_with_every_kind(personas, client_for):
    world = personas.a
    start = datetime.datetime(2026, 3, 1, 9, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        case = investigating(world)
    inv = world.user(Role.INVESTIGATOR)
    with time_machine.travel(start + datetime.timedelta(hours=1), tick=False):
        services.message_send(actor=inv, case=case, body="First question to the worker.")
    with time_machine.travel(start + datetime.timedelta(hours=2), tick=False):
        services.note_add(actor=inv, case=case, body="Crew 4 bus is blue.")
    with time_machine.travel(start + datetime.timedelta(hours=3), tick=False):
        services.finding_add(
            actor=inv, case=case, provision=world.provision, facts="Wages withheld.", severity=None
        )
    response = client_for(inv).get(url(world, case))
    kinds = [e.kind for e in response.context["timeline"]]
    assert kinds[0] == "received"
    assert {"status", "message", "note", "finding"} <= set(kinds)
    assert kinds.index("message") < kinds.index("note") < kinds.index("finding")
    times = [e.at for e in response.context["timeline"]]
    assert times == sorted(times)
    labels = [e.label for e in response.context["timeline"] if e.kind == "status"]
    assert "Investigation started" in labels and "Assigned" in labels
    html = response.content.decode()
    # Panels are collapsed, except the reply to the worker.
    panels = re.findall(r'<details class="panel" id="(panel-[a-z]+)"( open)?', html)
    assert ("panel-message", " open") in panels
    assert [p for p, is_open in panels if is_open and p != "panel-message"] == []
    assert {"panel-note", "panel-status", "panel-finding", "panel-evidence"} <= {
        p for p, _ in panels
    }


@pytest.mark.django_db
def test_a_failed_action_reopens_its_panel(personas, client_for):
    world = personas.a
    case = investigating(world)
    client = client_for(world.user(Role.INVESTIGATOR))
    response = client.post(
        reverse("complaints:note_add", kwargs={"program": world.slug, "pk": case.pk}),
        {"body": ""},
    )
    assert response.status_code == 400
    assert '<details class="panel" id="panel-note" open>' in response.content.decode()


@pytest.mark.django_db
def test_case_page_query_count_constant(personas, client_for):
    world = personas.a
    case = investigating(world)
    add_history(world, case, 1)  # one of each (a prefetch over no rows is skipped)
    client = client_for(world.user(Role.ADMIN))
    client.get(url(world, case))  # warm caches (content types, guardian)
    assert_constant_queries(
        lambda: client.get(url(world, case)),
        lambda n: add_history(world, case, n),
        extra_rows=5,
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_case_timeline_screenshots(personas, browser_page):
    world = personas.a
    case = investigating(world)
    add_history(world, case, 2)
    page = browser_page
    browser_login(page, world.user(Role.ADMIN))
    page.goto(url(world, case))
    assert page.locator("#timeline li").count() >= 10
    # Without a click the note form is hidden; the summary opens it (no JavaScript needed).
    assert not page.locator("#panel-note textarea").is_visible()
    page.locator("#panel-note summary").click()
    assert page.locator("#panel-note textarea").is_visible()
    os.makedirs(ARTIFACTS, exist_ok=True)
    for name, size in (("phone", (390, 844)), ("desktop", (1280, 800))):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        page.screenshot(path=os.path.join(ARTIFACTS, f"case-timeline-{name}.png"), full_page=True)
