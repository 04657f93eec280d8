"""Dead ends of the staff workspace (issue 17, defect 10): the invite form gives away no
role by default, and an agreement nobody signed cannot be put in force."""

import datetime
import re

import pytest
from django.urls import reverse

from core.errors import DomainError
from core.roles import Role
from programs import services
from programs.models import Agreement, Membership


def _url(name, world, **kw):
    return reverse(f"programs:{name}", kwargs={"program": world.slug, **kw})


def test_invite_form_has_no_role_chosen_in_advance(personas, client_for):
    a = personas.a
    admin = client_for(a.user(Role.ADMIN))
    page = admin.get(_url("member_invite", a)).content.decode()
    select = re.search(r'<select name="role"[^>]*>(.*?)</select>', page, re.S).group(1)
    options = re.findall(r"<option[^>]*>", select)
    assert options[0] == '<option value="" selected>'  # "Choose a role…"
    assert not any("selected" in o for o in options[1:])

    # Sent without choosing: refused, nobody invited.
    response = admin.post(_url("member_invite", a), {"email": "new@example.org", "role": ""})
    assert response.status_code == 200
    assert not Membership.objects.filter(user__email="new@example.org").exists()


def _draft(world):
    return services.agreement_create(
        actor=world.user(Role.STAFF),
        program=world.program,
        buyer=world.other_buyer,
        title="Unsigned agreement",
        signed_date=datetime.date(2026, 11, 1),
        effective_from=datetime.date(2026, 12, 1),
        consequence_clause="Suspend purchases.",
    )


def test_agreement_without_signatories_cannot_be_activated(personas):
    a = personas.a
    draft = _draft(a)
    with pytest.raises(DomainError, match="both parties have signed"):
        services.agreement_transition(actor=a.user(Role.STAFF), agreement=draft, status="active")
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_activate_form_shows_why_it_was_refused(personas, client_for):
    a = personas.a
    draft = _draft(a)
    response = client_for(a.user(Role.STAFF)).post(_url("agreement_activate", a, pk=draft.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert "both parties have signed" in page
    assert "Buyer" in page and "Worker organization" in page
    assert Agreement.objects.get(pk=draft.pk).status == "draft"


# ---------------------------------------------------------------- provision translations


def _provision_data(**extra):
    return {
        "number": "2.1",
        "section": "Health and safety",
        "title": "Shade and water",
        "text": "Free shade and water at every field.",
        "category": "health_safety",
        "severity": "major",
        **extra,
    }


def _draft_provision(world, client):
    client.post(
        reverse("programs:code_draft_create", kwargs={"program": world.slug, "pk": world.code.pk})
    )
    draft = world.code.versions.get(status="draft")
    return draft.provisions.get(number="2.1")


def test_provision_form_has_a_field_per_language_not_a_json_box(personas, client_for):
    a = personas.a
    staff = client_for(a.user(Role.STAFF))
    provision = _draft_provision(a, staff)
    page = staff.get(_url("provision_edit", a, pk=provision.pk)).content.decode()
    assert 'name="translations"' not in page and "JSON" not in page
    for lang, language in (("es", "Spanish"), ("ht", "Haitian Creole"), ("bn", "Bengali")):
        assert f'name="title_{lang}"' in page and f'name="text_{lang}"' in page
        assert f"Title in {language}" in page

    response = staff.post(
        _url("provision_edit", a, pk=provision.pk),
        _provision_data(
            title_es="Sombra y agua",
            text_es="Sombra y agua gratis en cada campo.",
            title_bn="ছায়া ও পানি",
            text_bn="প্রতিটি মাঠে বিনামূল্যে ছায়া ও পানি।",
        ),
    )
    assert response.status_code == 302
    provision.refresh_from_db()
    assert provision.translations == {
        "es": {"title": "Sombra y agua", "text": "Sombra y agua gratis en cada campo."},
        "bn": {"title": "ছায়া ও পানি", "text": "প্রতিটি মাঠে বিনামূল্যে ছায়া ও পানি।"},
    }
    # Shown again in the fields on the next visit.
    page = staff.get(_url("provision_edit", a, pk=provision.pk)).content.decode()
    assert 'value="Sombra y agua"' in page


def test_provision_translation_half_given_is_refused_and_nothing_changes(personas, client_for):
    a = personas.a
    staff = client_for(a.user(Role.STAFF))
    provision = _draft_provision(a, staff)
    response = staff.post(
        _url("provision_edit", a, pk=provision.pk), _provision_data(title_ht="Lonbraj ak dlo")
    )
    assert response.status_code == 200
    assert "Give the text in Haitian Creole too" in response.content.decode()
    provision.refresh_from_db()
    assert provision.translations == {}
