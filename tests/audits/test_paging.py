"""Lists paged before they aggregate (issue 16): the audits list, the audits and findings
API and the CAP list count findings/evidence/items for the rows shown only (a correlated
subquery evaluated after the page is cut), not with a GROUP BY over every row of the
program; grades are computed for a page of facilities and the history of one facility
without grading every facility; the admin's findings list has no N+1."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audits import selectors, services
from core.actors import PUBLIC, SystemActor
from core.roles import Role
from programs import services as program_services
from programs.models import Provision
from tests.audits.helpers import make_audit, make_cap_item, make_finding
from tests.conftest import make_user
from tests.utils import assert_constant_queries

SYSTEM = SystemActor("test-setup")

pytestmark = pytest.mark.django_db


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize(
    "name,table",
    [
        ("audits:audit_list", "audits_audit"),
        ("audits-api:audit-list", "audits_audit"),
        ("audits-api:finding-list", "audits_finding"),
        ("audits:cap_list", "audits_correctiveactionplan"),
        ("audits-api:cap-list", "audits_correctiveactionplan"),
    ],
)
def test_list_counts_are_not_grouped_over_every_row(name, table, personas, client_for):
    a = personas.a
    audit = make_audit(a)
    make_cap_item(a, finding=make_finding(a, audit))
    client = client_for(a.user(Role.STAFF))
    url = reverse(name, kwargs={"program": a.slug})
    client.get(url)
    listing = [
        sql
        for sql in _queries(client, url)
        if re.search(rf'FROM "{table}"', sql) and "LIMIT" in sql
    ]
    assert listing, "the page query"
    # Before: COUNT(DISTINCT ...) ... GROUP BY every column of every row of the program,
    # then the LIMIT; now COUNT(...) in a correlated subquery per row of the page.
    assert not any("COUNT(DISTINCT" in sql for sql in listing), listing


def _final_audit(world, facility, findings):
    audit = make_audit(world, facility=facility, workforce_size=10, workers_interviewed=10)
    for provision, severity in findings:
        make_finding(world, audit, provision=provision, severity=severity)
    for status in ("fieldwork", "draft_report", "final"):
        audit = services.audit_transition(actor=world.user(Role.STAFF), audit=audit, status=status)
    return audit


def _python_averages(program, sections):
    """The averages as facility_grades computed them before: every facility scored."""
    latest = list(selectors.latest_final_audits(program=program))
    penalties = selectors._penalties(program=program, audit_ids=[x.pk for x in latest])
    scores = [
        {s: max(0, 100 - penalties.get((x.facility_id, s), 0)) for s in sections} for x in latest
    ]
    return {s: (sum(f[s] for f in scores) / len(scores) if scores else None) for s in sections}


def test_grades_paged_and_averages_equal_every_facility_scored(personas, client_for):
    a = personas.a
    health = Provision.objects.get(version=a.version, number="2.1")
    sections = ["Health and safety", "Zero tolerance"]
    assert selectors.grade_averages(program=a.program, sections=sections) == {
        s: None for s in sections
    }
    plans = [
        [(health, "major"), (health, "major"), (a.provision, "zero_tolerance")],
        [(health, "minor")],
        [],
        [(a.provision, "zero_tolerance"), (a.provision, "zero_tolerance"), (health, "minor")],
    ]
    facilities = [a.facility]
    for i in range(len(plans) - 1):
        facilities.append(
            program_services.facility_create(
                actor=SYSTEM,
                program=a.program,
                supplier=a.supplier,
                name=f"Graded Farm {i}",
                address="x",
                country="US",
            )
        )
    _final_audit(a, a.facility, [(health, "minor"), (health, "minor"), (health, "minor")])
    for facility, plan in zip(facilities, plans, strict=True):
        _final_audit(a, facility, plan)  # the latest counts
    make_audit(a, facility=facilities[2])  # not final: ignored

    expected = _python_averages(a.program, sections)
    assert selectors.grade_averages(program=a.program, sections=sections) == expected
    rows, audit = selectors.facility_grade_rows(program=a.program, facility=facilities[0])
    assert rows == [
        {"section": "Health and safety", "score": 50, "program_average": expected[sections[0]]},
        {"section": "Zero tolerance", "score": 0, "program_average": expected[sections[1]]},
    ]
    assert audit.facility_id == facilities[0].pk

    client = client_for(a.user(Role.STAFF))
    html = client.get(reverse("audits:grades", kwargs={"program": a.slug})).content.decode()
    assert all(f.name in html for f in facilities)


def test_admin_findings_list_has_no_n_plus_one(personas, client_for):
    a = personas.a
    admin = make_user("root@example.org", is_staff=True, is_superuser=True)
    client = client_for(admin)
    audit = make_audit(a)
    make_finding(a, audit)
    url = reverse("admin:audits_finding_changelist")
    client.get(url)

    def grow(n):
        for i in range(n):
            facility = program_services.facility_create(
                actor=SYSTEM,
                program=a.program,
                supplier=a.supplier,
                name=f"Admin Farm {i}-{audit.pk}",
                address="x",
                country="US",
            )
            make_finding(a, make_audit(a, facility=facility))

    assert_constant_queries(lambda: client.get(url), grow)


def test_api_cases_deep_page_reads_ids_first(personas, client_for):
    """API cases, page 2015 of 100,000: before, a plain OFFSET joined and sorted every
    case; now the page's ids come first (index only), then 50 rows by id."""
    from complaints import services as complaint_services

    a = personas.a
    for i in range(55):
        complaint_services.complaint_submit(
            actor=PUBLIC,
            program=a.program,
            narrative=f"No water {i}.",
            facility_description="The packing house",
        )
    client = client_for(a.user(Role.STAFF))
    url = reverse("complaints-api:case-list", kwargs={"program": a.slug}) + "?page=2"
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200 and len(response.json()["results"]) == 5
    by_ids = [q["sql"] for q in ctx.captured_queries if '"complaints_case"."id" IN (' in q["sql"]]
    assert by_ids, "the page's rows are read by their ids"
    assert not any("OFFSET" in q["sql"] and "JOIN" in q["sql"] for q in ctx.captured_queries)


def test_browsable_api_form_lists_few_related_choices(personas, client_for):
    a = personas.a
    for i in range(60):
        program_services.facility_create(
            actor=SYSTEM,
            program=a.program,
            supplier=a.supplier,
            name=f"Browsable Farm {i}",
            address="x",
            country="US",
        )
    client = client_for(a.user(Role.STAFF))
    url = reverse("audits-api:audit-list", kwargs={"program": a.slug})
    html = client.get(url, HTTP_ACCEPT="text/html").content.decode()
    assert html.count("Browsable Farm") <= 50


def _grow_caps(world):
    """``n`` more facilities, each with a CAP of two items (one verified)."""

    def grow(n):
        for i in range(n):
            facility = program_services.facility_create(
                actor=SYSTEM,
                program=world.program,
                supplier=world.supplier,
                name=f"CAP Farm {i}-{world.facility.pk}",
                address="x",
                country="US",
            )
            make_cap_item(world, facility=facility)
            done = make_cap_item(world, facility=facility)
            for status in ("in_progress", "reported_done", "verified"):
                services.cap_item_transition(actor=world.user(Role.STAFF), item=done, status=status)

    return grow


@pytest.mark.parametrize("name", ["audits:cap_list", "audits-api:cap-list"])
def test_cap_list_is_paged_before_its_items_are_counted(name, personas, client_for):
    """The CAP list (page and API) cuts its page of CAPs first, then counts the items of
    those CAPs only: the same queries for 1 CAP or 30, and the counts are right."""
    a = personas.a
    make_cap_item(a)
    client = client_for(a.user(Role.STAFF))
    url = reverse(name, kwargs={"program": a.slug})
    client.get(url)
    assert_constant_queries(lambda: client.get(url), _grow_caps(a))
    queries = _queries(client, url)
    counted = [sql for sql in queries if 'FROM "audits_capitem"' in sql and "GROUP BY" in sql]
    assert len(counted) == 1 and '"audits_capitem"."cap_id" IN (' in counted[0], queries
    response = client.get(url)
    if name == "audits-api:cap-list":
        rows = {r["facility"]: r for r in response.json()["results"]}
        counts = [(r["item_count"], r["verified_count"]) for r in rows.values()]
        assert rows[a.facility.pk]["item_count"] == 1
    else:
        caps = response.context["caps"]
        counts = [(c.item_count, c.verified_count) for c in caps]
        assert next(c for c in caps if c.facility_id == a.facility.pk).item_count == 1
    assert counts.count((2, 1)) == 29


def test_cap_progress_api_rates_only_the_facilities_shown(personas, client_for):
    """The progress API computed a rate for every facility of the program; now for one
    page of the facilities with a CAP (or those asked for), in constant queries."""
    a = personas.a
    make_cap_item(a)
    client = client_for(a.user(Role.STAFF))
    url = reverse("audits-api:cap-progress", kwargs={"program": a.slug})
    client.get(url)
    assert_constant_queries(lambda: client.get(url), _grow_caps(a))
    with CaptureQueriesContext(connection) as ctx:
        data = client.get(url + "?page=1").json()
    rated = [q["sql"] for q in ctx.captured_queries if 'FROM "programs_facility"' in q["sql"]]
    assert len(rated) == 1 and '"programs_facility"."id" IN (' in rated[0]
    assert data["count"] == 30 and data["next"] is None and len(data["facilities"]) == 30
    assert data["facilities"][str(a.facility.pk)] == 0.0
    assert sorted(data["facilities"].values()).count(0.5) == 29

    small = client.get(url + f"?facility={a.facility.pk}")
    assert small.json()["facilities"] == {str(a.facility.pk): 0.0}
    assert small.json()["count"] == 1
    assert client.get(url + "?facility=x").status_code == 400
