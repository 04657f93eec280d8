"""Staff pages and the REST API: actions, errors kept on forms, exports, query counts."""

import datetime
import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.actors import SystemActor
from enforcement import services
from enforcement.models import Violation, ViolationState
from premiums import services as premiums_services
from programs import services as program_services
from tests.enforcement.conftest import add_buyer, propose
from tests.utils import assert_constant_queries


def url(name, world, **kw):
    return reverse(name, kwargs={"program": world.slug, **kw})


def apply(world, violation):
    services.violation_confirm(actor=world.user("admin"), violation=violation)
    return services.consequences_apply(violation=violation)


# ---------------------------------------------------------------- HTML


def test_admin_confirms_from_the_queue(a, client_for):
    v = propose(a)
    client = client_for(a.user("admin"))
    page = client.get(url("enforcement:violation_list", a))
    assert page.status_code == 200 and f"/violations/{v.pk}/" in page.content.decode()
    detail = client.get(url("enforcement:violation_detail", a, pk=v.pk))
    assert b"Confirm violation" in detail.content
    response = client.post(url("enforcement:violation_confirm", a, pk=v.pk))
    assert response.status_code == 302
    v.refresh_from_db()
    assert v.state == ViolationState.CONFIRMED


def test_staff_cannot_confirm_and_sees_why(a, client_for):
    # Staff are not shown the control (core.authz); a crafted POST is a 403.
    v = propose(a)
    client = client_for(a.user("staff"))
    detail = client.get(url("enforcement:violation_detail", a, pk=v.pk))
    assert b"Confirm violation" not in detail.content
    response = client.post(url("enforcement:violation_confirm", a, pk=v.pk))
    assert response.status_code == 403
    v.refresh_from_db()
    assert v.state == ViolationState.PROPOSED


def test_dismiss_without_reason_keeps_the_form_and_shows_the_error(a, client_for):
    v = propose(a)
    client = client_for(a.user("admin"))
    response = client.post(url("enforcement:violation_dismiss", a, pk=v.pk), {"reason": ""})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    response = client.post(
        url("enforcement:violation_dismiss", a, pk=v.pk), {"reason": "Duplicate of #3"}
    )
    assert response.status_code == 302
    v.refresh_from_db()
    assert v.state == ViolationState.DISMISSED and v.dismissal_reason == "Duplicate of #3"


def test_propose_page_creates_a_manual_violation(a, client_for):
    response = client_for(a.user("investigator")).post(
        url("enforcement:violation_propose", a),
        {
            "provision": a.provision.pk,
            "facility": a.facility.pk,
            "source_ref": "INV-2026-001",
            "summary": "Crew leader held workers' documents.",
        },
    )
    assert response.status_code == 302
    assert Violation.objects.get(source_ref="INV-2026-001").source_kind == "manual"


def test_premium_import_page_reports_the_bad_row_and_imports_nothing(a, client_for):
    content = (
        "buyer,supplier,period_start,period_end,volume,unit\n"
        f"{a.buyer.name},{a.supplier.legal_name},2026-01-01,2026-01-31,100,lb\n"
        f"{a.buyer.name},{a.supplier.legal_name},2026-02-01,2026-02-31,100,lb\n"
    )
    response = client_for(a.user("staff")).post(
        url("premiums:premium_import", a),
        {"kind": "purchase_reports", "file": SimpleUploadedFile("r.csv", content.encode())},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing was imported: row 3, column &#x27;period_end&#x27;" in body
    assert response.context["rows"].paginator.count == 0


def test_reconciliation_csv_export(a, client_for):
    premiums_services.purchase_report_record(
        actor=SystemActor("t"),
        program=a.program,
        buyer=a.buyer,
        supplier=a.supplier,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 1, 31),
        volume="2500",
    )
    response = client_for(a.user("viewer")).get(url("premiums:premium_csv", a))
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().splitlines()  # streamed
    assert lines[0].startswith("buyer,supplier,period_start,period_end")
    assert "25.00" in lines[1]


def test_dashboard_shows_the_enforcement_panel(a, client_for):
    apply(a, propose(a))
    response = client_for(a.user("staff")).get(reverse("programs:dashboard", args=[a.slug]))
    assert response.status_code == 200
    assert "suppliers suspended or terminated" in response.content.decode()


def test_obligation_board_lists_overdue_first(a, client_for):
    import time_machine

    from enforcement.tasks import mark_overdue_obligations

    with time_machine.travel(datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC)):
        first = apply(a, propose(a)).obligations.get()
    with time_machine.travel(datetime.datetime(2026, 3, 20, 12, tzinfo=datetime.UTC)):
        mark_overdue_obligations()
        apply(a, propose(a, provision=first.violation.provision))
    response = client_for(a.user("staff")).get(url("enforcement:obligation_board", a))
    obligations = list(response.context["obligations"])
    assert obligations[0].pk == first.pk and obligations[0].state == "overdue"
    assert 'class="overdue"' in response.content.decode()


# ---------------------------------------------------------------- API


def test_api_confirm_then_conflict(a, client_for):
    v = propose(a)
    client = client_for(a.user("admin"))
    response = client.post(url("enforcement-api:violation-confirm", a, pk=v.pk))
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "confirmed"
    again = client.post(url("enforcement-api:violation-confirm", a, pk=v.pk))
    assert again.status_code == 409


def test_api_propose_and_dismiss(a, client_for):
    client = client_for(a.user("investigator"))
    response = client.post(
        url("enforcement-api:violation-list", a),
        {
            "provision": a.provision.pk,
            "facility": a.facility.pk,
            "source_ref": "api-1",
            "summary": "From the API.",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    # Investigators may propose, not dismiss: refused before the body is read.
    assert client.post(url("enforcement-api:violation-dismiss", a, pk=pk), {}).status_code == 403
    admin = client_for(a.user("admin"))
    response = admin.post(
        url("enforcement-api:violation-dismiss", a, pk=pk),
        {"reason": "Not substantiated"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["state"] == "dismissed"


def test_api_waive_is_for_admins(a, client_for):
    obligation = apply(a, propose(a)).obligations.get()
    body = {"reason": "Supplier closed."}
    staff = client_for(a.user("staff")).post(
        url("enforcement-api:obligation-waive", a, pk=obligation.pk), body
    )
    assert staff.status_code == 403
    admin = client_for(a.user("admin")).post(
        url("enforcement-api:obligation-waive", a, pk=obligation.pk), body
    )
    assert admin.status_code == 200 and admin.json()["state"] == "waived"


def test_api_import_rejects_with_row_errors(a, client_for):
    content = (
        "buyer,supplier,period_start,period_end,volume,unit\nNobody,X,2026-01-01,2026-01-31,1,lb\n"
    )
    response = client_for(a.user("staff")).post(
        url("premiums-api:ledger-import-list", a),
        {"kind": "purchase_reports", "file": SimpleUploadedFile("r.csv", content.encode())},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "row": 2,
        "column": "buyer",
        "message": "no buyer 'Nobody' in this program",
    }


def test_buyer_officers_do_not_get_the_staff_api(a, client_for):
    apply(a, propose(a))
    response = client_for(a.user("buyer_officer")).get(url("enforcement-api:obligation-list", a))
    assert response.status_code == 403


def test_schema_documents_the_enforcement_api(client_for, a):
    response = client_for(a.user("admin")).get("/api/schema/")
    assert response.status_code == 200
    body = response.content.decode()
    for path in (
        "/violations/{id}/confirm/",
        "/violations/{id}/dismiss/",
        "/obligations/{id}/waive/",
        "/standings/{id}/history/",
        "/premium/reconciliation/",
        "/premium/imports/",
    ):
        assert path in body


# ---------------------------------------------------------------- query counts


_names = itertools.count()


def _grow_violations(world):
    def grow(n):
        for _ in range(n):
            propose(world)

    return grow


def _grow_applied(world):
    """n more suppliers, each sanctioned once (sanctions, standings, history rows)."""

    def grow(n):
        for _ in range(n):
            i = next(_names)
            supplier = program_services.supplier_create(
                actor=SystemActor("t"),
                program=world.program,
                legal_name=f"Grower {i}",
                country="US",
            )
            facility = program_services.facility_create(
                actor=SystemActor("t"),
                program=world.program,
                supplier=supplier,
                name=f"Farm {i}",
                address="Road",
                country="US",
            )
            apply(world, propose(world, facility=facility))

    return grow


def _grow_obligations(world):
    def grow(n):
        supplier = program_services.supplier_create(
            actor=SystemActor("t"),
            program=world.program,
            legal_name=f"Big Grower {next(_names)}",
            country="US",
        )
        facility = program_services.facility_create(
            actor=SystemActor("t"),
            program=world.program,
            supplier=supplier,
            name="Big",
            address="R",
            country="US",
        )
        for _i in range(n):
            add_buyer(world, f"Chain {next(_names)}", supplier=supplier)
        apply(world, propose(world, facility=facility))

    return grow


def _grow_ledger(world):
    def grow(n):
        for _ in range(n):
            start = datetime.date(2020, 1, 1) + datetime.timedelta(days=31 * next(_names))
            premiums_services.purchase_report_record(
                actor=SystemActor("t"),
                program=world.program,
                buyer=world.buyer,
                supplier=world.supplier,
                period_start=start,
                period_end=start + datetime.timedelta(days=27),
                volume="100",
            )
            premiums_services.premium_payment_record(
                actor=SystemActor("t"),
                program=world.program,
                buyer=world.buyer,
                supplier=world.supplier,
                period_start=start,
                period_end=start + datetime.timedelta(days=27),
                amount="1.00",
                paid_on=start,
            )
            premiums_services.payroll_distribution_record(
                actor=SystemActor("t"),
                program=world.program,
                supplier=world.supplier,
                period_start=start,
                period_end=start + datetime.timedelta(days=27),
                workers_paid=10,
                amount="1.00",
            )

    return grow


LISTS = [
    ("enforcement:violation_list", _grow_violations, "staff"),
    ("enforcement-api:violation-list", _grow_violations, "staff"),
    ("enforcement:standing_list", _grow_applied, "staff"),
    ("enforcement-api:standing-list", _grow_applied, "staff"),
    ("enforcement-api:sanction-list", _grow_applied, "staff"),
    ("enforcement:obligation_board", _grow_obligations, "staff"),
    ("enforcement-api:obligation-list", _grow_obligations, "staff"),
    ("premiums:premium", _grow_ledger, "staff"),
    ("premiums-api:reconciliation-list", _grow_ledger, "staff"),
    ("premiums-api:purchase-report-list", _grow_ledger, "staff"),
    ("premiums-api:premium-payment-list", _grow_ledger, "staff"),
    ("premiums-api:payroll-distribution-list", _grow_ledger, "staff"),
]


@pytest.mark.parametrize("name,grower,role", LISTS, ids=[n for n, _, _ in LISTS])
def test_lists_issue_constant_queries(name, grower, role, a, client_for):
    grower(a)(1)
    client = client_for(a.user(role))
    assert_constant_queries(lambda: client.get(url(name, a)), grower(a))


def test_standing_history_and_breach_list_constant_queries(a, client_for):
    import time_machine

    from enforcement.tasks import mark_overdue_obligations

    client = client_for(a.user("staff"))

    def grow_breaches(n):
        with time_machine.travel(datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC)):
            for _i in range(n):
                add_buyer(a, f"Late Buyer {next(_names)}")
            apply(a, propose(a))
        with time_machine.travel(datetime.datetime(2026, 5, 1, 12, tzinfo=datetime.UTC)):
            mark_overdue_obligations()

    grow_breaches(0)
    assert_constant_queries(lambda: client.get(url("enforcement:breach_list", a)), grow_breaches)
    assert_constant_queries(
        lambda: client.get(url("enforcement:standing_detail", a, supplier=a.supplier.pk)),
        lambda n: [
            services.escalation_advance(
                actor=SystemActor("t"),
                program=a.program,
                supplier=a.supplier,
                reason="r",
                source_kind="t",
                source_ref=str(next(_names)),
            )
            for _ in range(n)
        ],
    )
    assert_constant_queries(
        lambda: client.get(url("enforcement-api:breach-list", a)), grow_breaches
    )


def test_api_policy_versioning_and_settings(a, client_for):
    services.policy_ensure_default(actor=SystemActor("t"), program=a.program)
    admin = client_for(a.user("admin"))
    draft = admin.post(url("enforcement-api:policy-draft", a))
    assert draft.status_code == 201, draft.content
    pk = draft.json()["id"]
    rule = {
        "severity": "major",
        "repeat_count": 2,
        "window_days": 365,
        "supplier_action": "suspension",
        "suspension_days": 30,
        "escalation_stage": 2,
        "buyer_obligation": "suspend_purchases",
        "obligation_days": 10,
    }
    response = admin.post(url("enforcement-api:policy-rules", a, pk=pk), rule)
    assert response.status_code == 200, response.content
    ratified = admin.post(url("enforcement-api:policy-ratify", a, pk=pk), {})
    assert ratified.json()["status"] == "ratified"
    bound = admin.post(url("enforcement-api:policy-bind", a, pk=pk), {"agreement": a.agreement.pk})
    assert bound.status_code == 200
    assert a.agreement.enforcement_policy.policy_id == pk
    assert admin.post(url("enforcement-api:policy-rules", a, pk=pk), rule).status_code == 409
    staff = client_for(a.user("staff"))
    assert staff.post(url("enforcement-api:policy-draft", a)).status_code == 403
    response = admin.patch(
        url("enforcement-api:policy-settings", a),
        {"confirm_roles": ["staff"], "breach_grace_days": 7},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert services.settings_for(a.program).breach_grace_days == 7
    v = propose(a)
    assert staff.post(url("enforcement-api:violation-confirm", a, pk=v.pk)).status_code == 200


def test_admin_drafts_edits_and_ratifies_the_ladder_in_the_browser_forms(a, client_for):
    services.policy_ensure_default(actor=SystemActor("t"), program=a.program)
    admin = client_for(a.user("admin"))
    assert admin.post(url("enforcement:policy_draft", a)).status_code == 302
    draft = services.current_policy(a.program).__class__.objects.get(
        program=a.program, status="draft"
    )
    bad = admin.post(
        url("enforcement:policy_rule", a, pk=draft.pk),
        {
            "severity": "minor",
            "repeat_count": 1,
            "window_days": 365,
            "supplier_action": "suspension",
            "suspension_days": 0,
            "escalation_stage": 0,
            "buyer_obligation": "none",
            "obligation_days": 14,
        },
    )
    assert bad.status_code == 400 and "needs a number of days" in bad.content.decode()
    ok = admin.post(
        url("enforcement:policy_rule", a, pk=draft.pk),
        {
            "severity": "minor",
            "repeat_count": 1,
            "window_days": 365,
            "supplier_action": "probation",
            "suspension_days": 0,
            "escalation_stage": 1,
            "buyer_obligation": "notify",
            "obligation_days": 14,
        },
    )
    assert ok.status_code == 302
    assert admin.post(url("enforcement:policy_ratify", a, pk=draft.pk)).status_code == 302
    assert services.current_policy(a.program).pk == draft.pk
    staff = client_for(a.user("staff"))
    assert staff.post(url("enforcement:policy_draft", a)).status_code == 403
    response = admin.post(
        url("enforcement:settings", a),
        {
            "confirm_roles": ["staff"],
            "premium_tolerance_percent": "2.5",
            "premium_tolerance_amount": "10",
            "breach_grace_days": "21",
        },
    )
    assert response.status_code == 302
    assert services.settings_for(a.program).allowed_confirm_roles() == {"admin", "staff"}


def test_viewers_cannot_propose_or_decide(a, client_for):
    v = propose(a)
    viewer = client_for(a.user("viewer"))
    assert viewer.get(url("enforcement:violation_list", a)).status_code == 200
    assert viewer.post(url("enforcement:violation_confirm", a, pk=v.pk)).status_code == 403
    assert viewer.get(url("enforcement:violation_propose", a)).status_code == 403
    api = viewer.post(
        url("enforcement-api:violation-list", a),
        {"provision": a.provision.pk, "facility": a.facility.pk, "source_ref": "x", "summary": "y"},
    )
    assert api.status_code == 403
