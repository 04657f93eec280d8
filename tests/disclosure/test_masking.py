"""Every public field comes from the masking policy: the words of a complaint, who filed
it, who investigates it, internal notes and case facts never reach a public page, file,
API response or the report — while the public figures still count them."""

import datetime

import pytest

from complaints import services as complaint_services
from core.actors import PUBLIC
from enforcement import services as enforcement_services
from enforcement.selectors import supplier_standings

from .conftest import body_of, public_urls, report_text

SECRETS = {
    "identity name": "Marisol Oyelaran-Secretname",
    "identity phone": "+1 239 555 0199",
    "identity email": "marisol.secret@example.org",
    "identity other": "lives in trailer 14B",
    "narrative": "Ramiro Vexwell locked the bunkhouse door at night",
    "workplace description": "behind packing shed 7Q",
    "occurred": "last Tuesday at the Quonset hut",
    "confidential note": "Confidential: witness Zelda Brightwater saw it",
    "message to worker": "Please call Officer Pennywhistle back",
    "message from worker": "I am scared of Ramiro's cousin Dorwin",
    "interview summary": "Interviewed crew member Ottoline Fairweather",
    "resolution summary": "withdrawn after Thaddeus Mossgrove intervened",
    "finding facts": "Foreman Balthazar Quimby confiscated passports",
    "investigator first name": "Ignatius",
    "investigator last name": "Quillfeather",
}


@pytest.fixture
def sensitive_world(personas):
    a = personas.a
    admin, investigator = a.user("admin"), a.user("investigator")
    investigator.first_name = SECRETS["investigator first name"]
    investigator.last_name = SECRETS["investigator last name"]
    investigator.save()

    # 1. An open case with the complainant's identity, an internal note, messages and
    #    an interview: nothing of it is public but its existence in the counts.
    open_case, receipt = complaint_services.complaint_submit(
        actor=PUBLIC,
        program=a.program,
        narrative=SECRETS["narrative"],
        category="forced_labor",
        facility=a.facility,
        facility_description=SECRETS["workplace description"],
        occurred=SECRETS["occurred"],
        identity={
            "name": SECRETS["identity name"],
            "phone": SECRETS["identity phone"],
            "email": SECRETS["identity email"],
            "other": SECRETS["identity other"],
        },
    )
    complaint_services.case_triage(
        actor=admin, case=open_case, category="forced_labor", priority="high"
    )
    complaint_services.case_assign(actor=admin, case=open_case, investigator=investigator)
    complaint_services.case_start_investigation(actor=investigator, case=open_case)
    complaint_services.note_add(
        actor=investigator, case=open_case, body=SECRETS["confidential note"]
    )
    complaint_services.message_send(
        actor=investigator, case=open_case, body=SECRETS["message to worker"]
    )
    complaint_services.message_receive(case=open_case, body=SECRETS["message from worker"])
    complaint_services.interview_record(
        actor=investigator,
        case=open_case,
        kind="witness",
        conducted_on=datetime.date.today(),
        summary=SECRETS["interview summary"],
    )

    # 2. A withdrawn case with a resolution summary.
    withdrawn, _ = complaint_services.complaint_submit(
        actor=PUBLIC,
        program=a.program,
        narrative="Second complaint text that stays private",
        category="wages",
        facility=a.facility,
    )
    complaint_services.case_resolve(
        actor=admin, case=withdrawn, outcome="withdrawn", summary=SECRETS["resolution summary"]
    )

    # 3. A substantiated case whose finding becomes a confirmed violation and a sanction:
    #    the supplier's standing is public as a category with dates, the facts are not.
    proven, _ = complaint_services.complaint_submit(
        actor=PUBLIC,
        program=a.program,
        narrative="Third complaint text that stays private",
        category="forced_labor",
        facility=a.facility,
    )
    complaint_services.case_triage(
        actor=admin, case=proven, category="forced_labor", priority="high"
    )
    complaint_services.case_assign(actor=admin, case=proven, investigator=investigator)
    complaint_services.case_start_investigation(actor=investigator, case=proven)
    finding = complaint_services.finding_add(
        actor=investigator,
        case=proven,
        provision=a.provision,
        facts=SECRETS["finding facts"],
        facility=a.facility,
    )
    complaint_services.case_resolve(actor=admin, case=proven, outcome="substantiated")
    # Referred to enforcement: the violation's summary carries the case facts.
    finding = complaint_services.finding_refer(actor=admin, finding=finding)
    from enforcement.models import Violation

    violation = Violation.objects.get(pk=finding.violation_id)
    enforcement_services.violation_confirm(actor=admin, violation=violation)
    enforcement_services.consequences_apply(violation=violation)
    return a, receipt, open_case, withdrawn, proven


def _secret_hits(text, extra=()):
    found = [label for label, secret in SECRETS.items() if secret.lower() in text.lower()]
    found += [s for s in extra if s.lower() in text.lower()]
    return found


def test_no_private_text_in_any_public_output(sensitive_world, client_for):
    a, receipt, open_case, _withdrawn, _proven = sensitive_world
    investigator = a.user("investigator")
    extra = [receipt, investigator.get_username(), investigator.email]
    client = client_for(None)
    seen = 0
    for url in public_urls(a.slug):
        response = client.get(url)
        assert response.status_code == 200, url
        text = body_of(response)
        assert not _secret_hits(text, extra), f"{url} leaks {_secret_hits(text, extra)}"
        seen += 1
    # Paginated API pages and filtered pages go through the same policy.
    for url in (
        f"/api/v1/public/{a.slug}/suppliers/?page_size=1",
        f"/public/{a.slug}/?q=Farm&standing=suspended",
    ):
        text = body_of(client.get(url))
        assert not _secret_hits(text, extra), url
    report = report_text(a.program)
    assert a.supplier.legal_name in report  # the extraction works: a control
    assert not _secret_hits(report, extra), "report.pdf leaks"
    assert seen >= 11


def test_public_figures_still_count_the_cases(sensitive_world, client_for):
    a, _receipt, open_case, withdrawn, proven = sensitive_world
    # Every count published (small-number suppression has its own tests:
    # tests/disclosure/test_small_numbers.py).
    from complaints.models import ComplaintPolicy

    ComplaintPolicy.objects.update_or_create(
        program=a.program, defaults={"public_count_threshold": 1}
    )
    stats = client_for(None).get(f"/api/v1/public/{a.slug}/stats/").json()
    assert stats["complaints"]["total_received"] == 3
    assert stats["complaints"]["open_cases"] == 1
    assert stats["complaints"]["total_resolved"] == 2
    assert stats["enforcement"]["violations_by_category"] == [
        {"category": "forced_labor", "label": "Forced labor or debt", "count": 1}
    ]

    # The complaint log lists every case, but an open case without facility or outcome.
    log = {row["reference"]: row for row in stats["complaint_log"]}
    assert set(log) == {open_case.reference, withdrawn.reference, proven.reference}
    assert log[open_case.reference]["status"] == "investigating"
    assert log[open_case.reference]["facility"] is None
    assert log[open_case.reference]["outcome"] is None
    assert log[withdrawn.reference]["outcome"] == "withdrawn"
    assert log[proven.reference]["outcome"] == "substantiated"
    assert log[proven.reference]["facility"] == a.facility.name
    assert set(log[open_case.reference]) == {
        "reference",
        "received",
        "category",
        "category_label",
        "status",
        "status_label",
        "facility",
        "outcome",
        "outcome_label",
    }


def test_sanction_is_public_as_category_and_dates_only(sensitive_world, client_for):
    a, *_ = sensitive_world
    raw = supplier_standings(program=a.program)[a.supplier.pk]
    assert raw["standing"] != "good"  # zero tolerance: the ladder sanctioned the supplier
    record = client_for(None).get(f"/api/v1/public/{a.slug}/suppliers/").json()["results"][0]
    assert record["standing"] == raw["standing"]
    assert record["escalation_stage"] == raw["stage"]
    expected_until = raw["suspended_until"].isoformat() if raw["suspended_until"] else None
    assert record["suspended_until"] == expected_until
    assert set(record) == {
        "id",
        "name",
        "country",
        "standing",
        "escalation_stage",
        "suspended_until",
        "buyer_count",
        "facilities",
    }
    page = body_of(client_for(None).get(f"/public/{a.slug}/"))
    assert "badge-bad" in page or "badge-warn" in page
