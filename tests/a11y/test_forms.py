"""The form partial (templates/partials/form_fields.html), read as a screen reader would
(issue 23 items 1-3): help and error texts carry the ids aria-describedby names, each form
on a page has ids of its own, and a failed submit shows one error summary at the top."""

import re

import pytest
from django.urls import reverse

from core.roles import Role
from tests.complaints.conftest import investigating, submit

from .html import Page

pytestmark = pytest.mark.django_db


def references_resolve(page):
    """[problem] for each aria-describedby / label for that does not name exactly one
    element, or a label naming a control of another form."""
    problems = []
    for element in page.elements:
        for ident in element.attrs.get("aria-describedby", "").split():
            if len(page.by_id(ident)) != 1:
                problems.append(f"{element.tag} aria-describedby={ident}")
        if element.tag == "label" and "for" in element.attrs:
            targets = page.by_id(element.attrs["for"])
            if len(targets) != 1:
                problems.append(f"label {element.label!r} for={element.attrs['for']}")
            elif targets[0].form != element.form:
                problems.append(f"label {element.label!r} names a control of another form")
    return problems


def test_case_page_labels_name_the_control_of_their_own_form(personas, client_for):
    world = personas.a
    case, _ = submit(world)
    investigating(world, case)
    url = reverse("complaints:case_detail", kwargs={"program": world.slug, "pk": case.pk})
    page = Page(client_for(world.user(Role.ADMIN)).get(url).content.decode())

    assert not references_resolve(page)
    ids = [e.attrs["id"] for e in page.elements if "id" in e.attrs]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    # Clicking "Internal note" puts the cursor in the note, never in the worker's message.
    (note_label,) = [e for e in page.find("label") if e.label.startswith("Internal note")]
    (note_box,) = page.by_id(note_label.attrs["for"])
    assert page.forms[note_box.form]["action"].endswith("/notes/")
    (message_label,) = [e for e in page.find("label") if e.label.startswith("Message to the")]
    (message_box,) = page.by_id(message_label.attrs["for"])
    assert page.forms[message_box.form]["action"].endswith("/messages/")
    assert note_box is not message_box


def test_failed_submit_shows_an_error_summary_linking_to_each_field(personas, client_for):
    world = personas.a
    url = f"/public/{world.slug}/complaints/new/?lang=es"
    response = client_for(None).post(url, {"lang": "es", "category": "", "narrative": ""})
    assert response.status_code == 400  # refused, the form shown again with its errors
    html = response.content.decode()
    page = Page(html)

    assert not references_resolve(page)
    # The help text under "What happened?" and the error are there, with their ids.
    (narrative,) = page.find("textarea", name="narrative")
    described = narrative.attrs["aria-describedby"].split()
    assert described == ["id_narrative_helptext", "id_narrative_error"]
    assert "Cuéntenos" in page.by_id("id_narrative_helptext")[0].label
    assert page.by_id("id_narrative_error")[0].label  # the reason, not only "invalid"
    assert narrative.attrs.get("aria-invalid") == "true"

    # One summary at the top of the form, focused on load, linking to each field in error.
    (summary,) = [e for e in page.elements if "data-error-summary" in e.attrs]
    assert "autofocus" in summary.attrs and summary.attrs["tabindex"] == "-1"
    assert page.elements.index(summary) < page.elements.index(narrative)
    links = [a.attrs["href"] for a in page.find("a") if a.attrs.get("href", "").startswith("#id_")]
    assert "#id_narrative" in links and "#id_category" in links
    for href in links:
        assert len(page.by_id(href[1:])) == 1
    # Inline errors are not each an alert (the summary is the one announcement).
    assert len(re.findall(r'role="alert"', html)) == 1
