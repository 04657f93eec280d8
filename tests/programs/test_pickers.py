"""Facility, supplier and buyer pickers (issue 16): no page lists every object of the
program; choices come from a scoped, paginated search endpoint; a submitted id is
validated against the program's own objects. The worker's public form narrows its list
with a GET search step that works without JavaScript."""

import itertools
import re

import pytest
from django.urls import reverse

from audits.forms import AuditForm
from complaints import services as complaint_services
from complaints.forms import PublicComplaintForm
from core.actors import PUBLIC, SystemActor
from core.roles import Role
from enforcement.forms import ViolationProposeForm
from programs import services
from programs.forms import SourcingForm
from programs.selectors import current_provisions
from tests.utils import assert_constant_queries, count_queries

SYSTEM = SystemActor("test-setup")

pytestmark = pytest.mark.django_db

_n = itertools.count()


def _facilities(world, n, *, name="Picker Mill", address="Calle 1, Oaxaca"):
    made = []
    for _ in range(n):
        i = next(_n)
        supplier = services.supplier_create(
            actor=SYSTEM, program=world.program, legal_name=f"Picker Supplier {i}", country="MX"
        )
        services.buyer_create(
            actor=SYSTEM, program=world.program, name=f"Picker Buyer {i}", headquarters_country="US"
        )
        made.append(
            services.facility_create(
                actor=SYSTEM,
                program=world.program,
                supplier=supplier,
                name=f"{name} {i}",
                address=address,
                country="MX",
            )
        )
    return made


def _staff_pages(world):
    case, _code = complaint_services.complaint_submit(
        actor=PUBLIC, program=world.program, narrative="No water.", facility=world.facility
    )
    slug = {"program": world.slug}
    return [
        (reverse("audits:audit_create", kwargs=slug), Role.STAFF),
        (reverse("audits:cap_item_create", kwargs=slug), Role.STAFF),
        (reverse("audits:education_create", kwargs=slug), Role.STAFF),
        (reverse("complaints:case_create", kwargs=slug), Role.STAFF),
        (reverse("complaints:case_detail", kwargs={**slug, "pk": case.pk}), Role.STAFF),
        (reverse("enforcement:violation_propose", kwargs=slug), Role.STAFF),
        (reverse("programs:facility_create", kwargs=slug), Role.STAFF),
        (reverse("programs:sourcing_create", kwargs=slug), Role.STAFF),
        (reverse("programs:agreement_create", kwargs=slug), Role.STAFF),
        (reverse("programs:member_invite", kwargs=slug), Role.ADMIN),
        (reverse("premiums:premium", kwargs=slug), Role.STAFF),
    ]


def test_staff_forms_list_no_objects_and_stay_flat(personas, client_for):
    """Before: every facility, supplier or buyer of the program was an <option>."""
    a = personas.a
    pages = _staff_pages(a)
    made = _facilities(a, 3)
    for url, role in pages:
        client = client_for(a.user(role))
        client.get(url)  # warm per-process caches
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "data-picker-url" in html, url
        for facility in made:
            assert facility.name not in html, url
            assert facility.supplier.legal_name not in html, url
        assert "Picker Buyer" not in html, url

        def grow(n):
            _facilities(a, n)

        before, first = count_queries(lambda: client.get(url))  # noqa: B023
        grow(10)
        after, second = count_queries(lambda: client.get(url))  # noqa: B023
        assert before == after, (url, before, after)
        assert len(second.content) - len(first.content) < 200, url


def test_picker_endpoint_is_scoped_searchable_and_paged(personas, client_for):
    a, b = personas.a, personas.b
    _facilities(a, 25, name="Tomato Shed")
    _facilities(b, 2, name="Tomato Shed Bravo")
    client = client_for(a.user(Role.VIEWER))
    url = reverse("picker-facilities", kwargs={"program": a.slug})

    first = client.get(url, {"q": "tomato"}).json()
    assert len(first["results"]) == 20 and first["more"] is True
    second = client.get(url, {"q": "tomato", "page": "2"}).json()
    assert len(second["results"]) == 5 and second["more"] is False
    names = [r["text"] for r in first["results"] + second["results"]]
    assert all(n.startswith("Tomato Shed ") and "Bravo" not in n for n in names)
    assert len({r["id"] for r in first["results"] + second["results"]}) == 25

    # by town (the address)
    town = client.get(url, {"q": "oaxaca"}).json()
    assert town["results"] and all("Oaxaca" in r["text"] for r in town["results"])

    suppliers = client.get(
        reverse("picker-suppliers", kwargs={"program": a.slug}), {"q": "Growers"}
    ).json()
    assert [r["text"] for r in suppliers["results"]] == [a.supplier.legal_name]
    buyers = client.get(reverse("picker-buyers", kwargs={"program": a.slug}), {"q": "Buyer One"})
    assert [r["text"] for r in buyers.json()["results"]] == [a.buyer.name]

    # another program's member, an outsider, anonymous: nothing
    assert client_for(b.user(Role.ADMIN)).get(url).status_code == 404
    assert client_for(personas.outsider).get(url).status_code == 404
    assert client_for(None).get(url).status_code in (302, 404)

    grow = lambda n: _facilities(a, n, name="Tomato Shed")  # noqa: E731
    assert_constant_queries(lambda: client.get(url, {"q": "tomato"}), grow)


def test_chosen_id_is_validated_against_the_program(personas):
    a, b = personas.a, personas.b
    audit = AuditForm(
        data={"facility": b.facility.pk, "audit_type": "announced", "scheduled_date": "2026-05-01"},
        program=a.program,
    )
    assert not audit.is_valid() and "facility" in audit.errors
    ok = AuditForm(
        data={"facility": a.facility.pk, "audit_type": "announced", "scheduled_date": "2026-05-01"},
        program=a.program,
    )
    ok.is_valid()
    assert "facility" not in ok.errors
    assert ok.cleaned_data["facility"] == a.facility
    # the chosen object is rendered as the select's only non-empty option
    html = str(ok["facility"])
    assert html.count("<option") == 2 and a.facility.name in html and "selected" in html

    violation = ViolationProposeForm(
        data={"facility": b.facility.pk, "provision": a.provision.pk},
        program=a.program,
        provisions=current_provisions(program=a.program),
    )
    assert not violation.is_valid() and "facility" in violation.errors
    sourcing = SourcingForm(
        data={"buyer": b.buyer.pk, "supplier": b.supplier.pk, "since": "2026-01-01"},
        program=a.program,
    )
    assert not sourcing.is_valid()
    assert "buyer" in sourcing.errors and "supplier" in sourcing.errors


# ---------------------------------------------------------------- the worker's form


def _options(html):
    select = re.search(r'<select name="facility".*?</select>', html, re.S).group(0)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)


def test_public_form_small_program_lists_every_workplace(personas, client_for):
    a = personas.a
    _facilities(a, 3)
    url = reverse("complaints-public:new", kwargs={"program": a.slug})
    html = client_for(None).get(url).content.decode()
    assert len(_options(html)) == 1 + 4  # "not in the list" + every workplace
    assert 'name="q"' not in html  # nothing to search


def test_public_form_large_program_searches_without_javascript(personas, client_for, settings):
    a, b = personas.a, personas.b
    PublicComplaintForm.LISTED, listed = 5, PublicComplaintForm.LISTED
    try:
        _facilities(a, 8, name="Citrus Grove", address="Ruta 5, Arcelia")
        _facilities(b, 1, name="Citrus Grove Bravo")
        client = client_for(None)
        url = reverse("complaints-public:new", kwargs={"program": a.slug})

        html = client.get(url).content.decode()
        assert _options(html) == ["My workplace is not in the list"]
        assert 'type="search"' in html and 'name="q"' in html
        assert 'for="workplace-q"' in html

        # a search narrows the list (name, town or employer); the hidden q keeps it
        html = client.get(url, {"q": "farm"}).content.decode()
        assert _options(html)[1:] == [f"{a.facility.name} — {a.facility.address}"]
        assert 'name="q" value="farm"' in html
        assert len(_options(client.get(url, {"q": "arcelia"}).content.decode())) == 1 + 5
        assert "More than 5" in client.get(url, {"q": "citrus"}).content.decode()
        html = client.get(url, {"q": "zzz-nothing"}).content.decode()
        assert "No workplace matches" in html

        # translated
        html = client.get(url, {"q": "farm", "lang": "es"}).content.decode()
        assert "Encuentre su lugar de trabajo" in html and "Busque de nuevo" in html

        # submit the chosen workplace; another program's id is a form error
        post = {
            "facility": a.facility.pk,
            "category": "health_safety",
            "narrative": "No water",
            "stay_anonymous": "on",
            "q": "farm",
            "lang": "en",
        }
        assert client.post(url, post).status_code == 200
        bad = client.post(url, {**post, "facility": b.facility.pk})
        assert bad.status_code == 400
        assert "Please choose a workplace from the list." in bad.content.decode()
        # the error page keeps the worker's search results
        assert _options(bad.content.decode())[1:] == [f"{a.facility.name} — {a.facility.address}"]

        # flat: the page is the same size and the same queries for 9 or 39 workplaces
        before, first = count_queries(lambda: client.get(url))
        _facilities(a, 30, name="Citrus Grove")
        after, second = count_queries(lambda: client.get(url))
        assert before == after
        assert len(second.content) == len(first.content)
    finally:
        PublicComplaintForm.LISTED = listed
