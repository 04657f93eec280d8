"""The buyer compliance officer's portal: isolation between buyers and programs, the
acknowledge → attest flow, exports, and constant query counts."""

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from pypdf import PdfReader

from buyers import selectors as portal_selectors
from core.errors import DomainError
from core.models import AuditEvent, ExportJob, ExportJobKind, ExportJobStatus
from core.roles import Role
from enforcement import selectors as enforcement_selectors
from enforcement import services as enforcement_services
from enforcement.models import BuyerObligation, ObligationState
from exports import jobs as export_jobs
from premiums.services import premium_payment_record, purchase_report_record
from programs import services as program_services
from programs.models import Agreement
from tests.utils import assert_constant_queries, count_queries, sign_agreement

from .helpers import (
    SECRET_SUMMARY,
    SYSTEM,
    add_officer_membership,
    bind_other_buyer,
    make_obligation,
    make_violation_obligations,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf_upload(name="po-hold.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def two_program_world(personas):
    """Program A's officer is also the officer of program B's buyer. Both programs'
    other buyers have agreements, sourcing and obligations of their own."""
    a, b = personas.a, personas.b
    officer = a.user(Role.BUYER_OFFICER)
    add_officer_membership(officer, b)
    bind_other_buyer(a)
    bind_other_buyer(b)
    in_a = make_violation_obligations(a)
    in_b = make_violation_obligations(b)
    return {
        "officer": officer,
        "mine": [in_a[a.buyer.pk], in_b[b.buyer.pk]],
        "theirs": [in_a[a.other_buyer.pk], in_b[b.other_buyer.pk]],
        "a": a,
        "b": b,
    }


def _ids_in_api(client, url):
    data = client.get(url).json()
    rows = data["results"] if isinstance(data, dict) and "results" in data else data
    return {row["id"] for row in rows}


# ---------------------------------------------------------------- isolation


def test_officer_in_two_programs_sees_both_and_nothing_of_other_buyers(
    two_program_world, client_for
):
    w = two_program_world
    client = client_for(w["officer"])
    mine = {o.pk for o in w["mine"]}
    theirs = {o.pk for o in w["theirs"]}

    page = client.get(reverse("buyer:obligation_list") + "?status=all")
    assert page.status_code == 200
    shown = {o.pk for o in page.context["obligations"]}
    assert shown == mine

    home = client.get(reverse("buyer:portal"))
    assert {o.pk for o in home.context["open_obligations"]} == mine
    assert home.context["counts"]["open"] == 2
    html = home.content.decode()
    assert w["a"].program.name in html and w["b"].program.name in html
    assert w["a"].other_buyer.name not in html and w["b"].other_buyer.name not in html

    assert _ids_in_api(client, reverse("buyer-api:obligation-list")) == mine
    # Filtering by program narrows to that program, and never widens.
    narrowed = _ids_in_api(client, reverse("buyer-api:obligation-list") + "?program=bravo")
    assert narrowed == {w["mine"][1].pk}

    for obligation in w["theirs"]:
        for name in ("buyer:obligation_detail", "buyer:obligation_attest"):
            assert client.get(reverse(name, kwargs={"pk": obligation.pk})).status_code == 404
        api = reverse("buyer-api:obligation-detail", kwargs={"pk": obligation.pk})
        assert client.get(api).status_code == 404
    assert theirs.isdisjoint(shown)


def test_agreements_only_own_buyer_and_never_drafts(two_program_world, client_for):
    w = two_program_world
    a, b = w["a"], w["b"]
    draft = program_services.agreement_create(
        actor=SYSTEM,
        program=a.program,
        buyer=a.buyer,
        title="Renewal under negotiation",
        effective_from=datetime.date(2027, 1, 1),
        consequence_clause="DRAFT-CLAUSE",
    )
    client = client_for(w["officer"])
    page = client.get(reverse("buyer:agreement_list"))
    ids = {ag.pk for ag in page.context["agreements"]}
    assert ids == {a.agreement.pk, b.agreement.pk}
    assert "OTHER-BUYER-CLAUSE" not in page.content.decode()
    api_ids = _ids_in_api(client, reverse("buyer-api:agreement-list"))
    assert api_ids == ids
    for agreement in Agreement.objects.filter(buyer__in=[a.other_buyer, b.other_buyer]):
        for name in ("buyer:agreement_detail", "buyer:agreement_document"):
            assert client.get(reverse(name, kwargs={"pk": agreement.pk})).status_code == 404
        api = reverse("buyer-api:agreement-detail", kwargs={"pk": agreement.pk})
        assert client.get(api).status_code == 404
    assert client.get(reverse("buyer:agreement_detail", kwargs={"pk": draft.pk})).status_code == 404


def test_agreement_document_download_is_access_checked(personas, client_for):
    a = personas.a
    bind_other_buyer(a)
    own = program_services.agreement_create(
        actor=SYSTEM,
        program=a.program,
        buyer=a.buyer,
        title="Signed",
        signed_date=datetime.date(2025, 6, 1),
        effective_from=datetime.date(2025, 7, 1),
        consequence_clause="c",
        document=pdf_upload("signed.pdf"),
    )
    theirs = program_services.agreement_create(
        actor=SYSTEM,
        program=a.program,
        buyer=a.other_buyer,
        title="Their signed",
        signed_date=datetime.date(2025, 6, 1),
        effective_from=datetime.date(2025, 7, 1),
        consequence_clause="c",
        document=pdf_upload("theirs.pdf"),
    )
    for agreement in (own, theirs):
        sign_agreement(agreement)
        program_services.agreement_transition(actor=SYSTEM, agreement=agreement, status="active")
    officer = client_for(a.user(Role.BUYER_OFFICER))
    response = officer.get(reverse("buyer:agreement_document", kwargs={"pk": own.pk}))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert "no-store" in response["Cache-Control"]
    assert (
        officer.get(reverse("buyer:agreement_document", kwargs={"pk": theirs.pk})).status_code
        == 404
    )
    assert (
        officer.get(reverse("buyer-api:agreement-document", kwargs={"pk": theirs.pk})).status_code
        == 404
    )
    # An officer of program B (another buyer entirely) gets nothing either.
    other = client_for(personas.b.user(Role.BUYER_OFFICER))
    assert other.get(reverse("buyer:agreement_document", kwargs={"pk": own.pk})).status_code == 404


def test_deactivated_membership_loses_access(personas, client_for):
    a = personas.a
    obligation = make_obligation(a)
    officer = a.user(Role.BUYER_OFFICER)
    membership = officer.memberships.get(program=a.program)
    program_services.membership_change(
        actor=a.user(Role.ADMIN), membership=membership, is_active=False
    )
    client = client_for(officer)
    assert client.get(reverse("buyer:portal")).status_code == 403
    url = reverse("buyer:obligation_detail", kwargs={"pk": obligation.pk})
    assert client.get(url).status_code == 403
    api = reverse("buyer-api:obligation-detail", kwargs={"pk": obligation.pk})
    assert client.get(api).status_code == 403


def test_staff_are_not_officers(personas, client_for):
    staff = client_for(personas.a.user(Role.STAFF))
    assert staff.get(reverse("buyer:portal")).status_code == 403
    assert staff.get(reverse("buyer-api:obligation-list")).status_code == 403


def test_officer_login_lands_on_portal(personas, client_for):
    response = client_for(personas.a.user(Role.BUYER_OFFICER)).get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("buyer:portal")


def test_nothing_of_the_complaint_reaches_the_officer(personas, client_for):
    a = personas.a
    obligation = make_obligation(a)
    client = client_for(a.user(Role.BUYER_OFFICER))
    urls = [
        reverse("buyer:portal"),
        reverse("buyer:obligation_list"),
        reverse("buyer:obligation_detail", kwargs={"pk": obligation.pk}),
        reverse("buyer:obligations_csv"),
        reverse("buyer-api:obligation-list"),
        reverse("buyer-api:obligation-detail", kwargs={"pk": obligation.pk}),
    ]
    for url in urls:
        body = client.get(url).content.decode()
        assert "Maria" not in body and "Jorge" not in body, url
        assert SECRET_SUMMARY not in body
        assert f"test-{a.slug}-" not in body  # the finding reference
    detail = client.get(urls[2]).content.decode()
    assert "Forced labor" in detail  # the provision's category is what they may know
    assert a.supplier.legal_name in detail
    data = client.get(urls[5]).json()
    assert data["provision_category"] == "forced_labor"
    assert "violation" not in data and "summary" not in data


# ---------------------------------------------------------------- acknowledge, attest


def test_acknowledge_attest_then_staff_verify_it_fulfilled(personas, client_for):
    a = personas.a
    obligation = make_obligation(a)
    officer = client_for(a.user(Role.BUYER_OFFICER))

    response = officer.post(reverse("buyer:obligation_acknowledge", kwargs={"pk": obligation.pk}))
    assert response.status_code == 302
    obligation.refresh_from_db()
    assert obligation.state == ObligationState.ACKNOWLEDGED

    response = officer.post(
        reverse("buyer:obligation_attest", kwargs={"pk": obligation.pk}),
        {"note": "POs 4411-4420 on hold since 3 March.", "evidence": pdf_upload()},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    obligation.refresh_from_db()
    # The buyer's word alone: attested, waiting for the worker organization (defect 6).
    assert obligation.state == ObligationState.ATTESTED
    assert obligation.evidence_sha256
    verbs = set(
        AuditEvent.objects.filter(
            program=a.program,
            object_type="enforcement.buyerobligation",
            object_id=str(obligation.pk),
        ).values_list("verb", flat=True)
    )
    assert {"obligation.acknowledged", "obligation.attested"} <= verbs

    # Program staff see it in their queue of attestations to verify, and verify it.
    staff = client_for(a.user(Role.STAFF))
    dashboard = staff.get(reverse("programs:dashboard", kwargs={"program": a.slug}))
    assert "<strong>1</strong> attestations to verify" in dashboard.content.decode()
    board = staff.get(
        reverse("enforcement:obligation_board", kwargs={"program": a.slug}) + "?state=attested"
    )
    assert board.status_code == 200
    assert [o.pk for o in board.context["obligations"]] == [obligation.pk]
    detail_url = reverse(
        "enforcement:obligation_detail", kwargs={"program": a.slug, "pk": obligation.pk}
    )
    detail = staff.get(detail_url)
    assert detail.status_code == 200
    assert "Attested, awaiting verification" in detail.content.decode()
    assert "POs 4411-4420" in detail.content.decode()
    history = officer.get(reverse("buyer:obligation_list") + "?status=closed")
    assert obligation.pk not in {o.pk for o in history.context["obligations"]}
    verified = staff.post(
        reverse("enforcement:obligation_verify", kwargs={"program": a.slug, "pk": obligation.pk}),
        {"note": "Checked the held POs."},
    )
    assert verified.status_code == 302
    assert "Fulfilled" in staff.get(detail_url).content.decode()
    fulfilled = enforcement_selectors.obligation_list(
        program=a.program, state=ObligationState.FULFILLED
    )
    assert obligation.pk in {o.pk for o in fulfilled}

    # The officer can fetch their own evidence back; the history shows it.
    evidence = officer.get(reverse("buyer:obligation_evidence", kwargs={"pk": obligation.pk}))
    assert evidence.status_code == 200
    assert b"".join(evidence.streaming_content) == PDF
    history = officer.get(reverse("buyer:obligation_list") + "?status=closed")
    assert obligation.pk in {o.pk for o in history.context["obligations"]}


def test_acknowledge_and_attest_through_the_api(personas, client_for):
    a = personas.a
    obligation = make_obligation(a)
    client = client_for(a.user(Role.BUYER_OFFICER))
    ack = client.post(reverse("buyer-api:obligation-acknowledge", kwargs={"pk": obligation.pk}))
    assert ack.status_code == 200, ack.content
    assert ack.json()["state"] == "acknowledged"
    again = client.post(reverse("buyer-api:obligation-acknowledge", kwargs={"pk": obligation.pk}))
    assert again.status_code == 409
    attest = client.post(
        reverse("buyer-api:obligation-attest", kwargs={"pk": obligation.pk}),
        {"note": "Orders suspended.", "evidence": pdf_upload()},
        format="multipart",
    )
    assert attest.status_code == 200, attest.content
    assert attest.json()["state"] == "attested"
    twice = client.post(
        reverse("buyer-api:obligation-attest", kwargs={"pk": obligation.pk}),
        {"note": "Again."},
    )
    assert twice.status_code == 409


def test_attesting_another_buyers_obligation_is_refused(personas, client_for):
    a = personas.a
    bind_other_buyer(a)
    theirs = make_obligation(a, buyer=a.other_buyer)
    officer_user = a.user(Role.BUYER_OFFICER)
    client = client_for(officer_user)

    html = client.post(
        reverse("buyer:obligation_attest", kwargs={"pk": theirs.pk}),
        {"note": "Trying.", "evidence": pdf_upload()},
    )
    assert html.status_code == 404
    ack = client.post(reverse("buyer:obligation_acknowledge", kwargs={"pk": theirs.pk}))
    assert ack.status_code == 404
    api = client.post(
        reverse("buyer-api:obligation-attest", kwargs={"pk": theirs.pk}), {"note": "Trying."}
    )
    assert api.status_code == 404
    # Program B's officer, too.
    b_client = client_for(personas.b.user(Role.BUYER_OFFICER))
    assert (
        b_client.post(
            reverse("buyer-api:obligation-attest", kwargs={"pk": theirs.pk}), {"note": "x"}
        ).status_code
        == 404
    )
    # And the service itself refuses, whatever view calls it.
    with pytest.raises(DomainError) as exc:
        enforcement_services.obligation_attest(actor=officer_user, obligation=theirs, note="x")
    assert exc.value.code == "forbidden"
    theirs.refresh_from_db()
    assert theirs.state == ObligationState.PENDING
    assert not theirs.attestation_note


def test_attest_refuses_a_file_that_is_not_evidence(personas, client_for):
    a = personas.a
    obligation = make_obligation(a)
    client = client_for(a.user(Role.BUYER_OFFICER))
    url = reverse("buyer:obligation_attest", kwargs={"pk": obligation.pk})
    exe = SimpleUploadedFile("po.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "application/pdf")
    response = client.post(url, {"note": "My careful note", "evidence": exe})
    assert response.status_code == 400
    body = response.content.decode()
    assert "not accepted" in body
    assert "My careful note" in body  # what they typed is kept
    obligation.refresh_from_db()
    assert obligation.state == ObligationState.PENDING

    api = client.post(
        reverse("buyer-api:obligation-attest", kwargs={"pk": obligation.pk}),
        {"note": "x", "evidence": SimpleUploadedFile("a.png", b"\x00\x01\x02\x03" * 10)},
    )
    assert api.status_code == 400


@override_settings(MAX_UPLOAD_BYTES=64)
def test_attest_refuses_a_file_too_large(personas, client_for):
    a = personas.a
    obligation = make_obligation(a)
    client = client_for(a.user(Role.BUYER_OFFICER))
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * 100, "application/pdf")
    response = client.post(
        reverse("buyer:obligation_attest", kwargs={"pk": obligation.pk}),
        {"note": "n", "evidence": big},
    )
    assert response.status_code == 400
    assert "too large" in response.content.decode()


def test_overdue_obligation_is_counted_and_highlighted(personas, client_for, time_machine):
    a = personas.a
    time_machine.move_to(datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC), tick=False)
    obligation = make_obligation(a)
    time_machine.move_to(obligation.due_date + datetime.timedelta(days=2), tick=False)
    enforcement_services.obligation_mark_overdue(obligation_id=obligation.pk)
    fresh = make_obligation(a)  # due in the future
    client = client_for(a.user(Role.BUYER_OFFICER))
    response = client.get(reverse("buyer:portal"))
    assert response.context["counts"]["overdue"] == 1
    assert response.context["counts"]["open"] == 2
    rows = response.context["open_obligations"]
    assert [o.pk for o in rows] == [obligation.pk, fresh.pk]  # by due date
    html = response.content.decode()
    assert f'class="overdue" data-obligation="{obligation.pk}"' in html
    assert f'class="" data-obligation="{fresh.pk}"' in html


# ---------------------------------------------------------------- do-not-source, premium


def test_do_not_source_list_and_csv(two_program_world, client_for):
    w = two_program_world
    client = client_for(w["officer"])
    page = client.get(reverse("buyer:do_not_source"))
    rows = page.context["rows"]
    assert {(r.program.slug, r.supplier.legal_name) for r in rows} == {
        ("alpha", w["a"].supplier.legal_name),
        ("bravo", w["b"].supplier.legal_name),
    }
    assert all(r.standing == "suspended" and r.sourced_by_you for r in rows)

    response = client.get(reverse("buyer:do_not_source_csv") + "?program=alpha")
    assert response["Content-Type"].startswith("text/csv")
    parsed = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["supplier"] for r in parsed] == [w["a"].supplier.legal_name]
    assert parsed[0]["standing"] == "suspended" and parsed[0]["sourced_by_you"] == "yes"


def test_do_not_source_api_with_token(two_program_world, client_for):
    from django.test import Client

    w = two_program_world
    session = client_for(w["officer"])
    page = session.post(reverse("buyer:api_access"), {"action": "rotate"})
    token = page.context["new_token"]
    assert token and "no-store" in page["Cache-Control"]
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    response = api.get(reverse("buyer-api:do-not-source-list"))
    assert response.status_code == 200
    data = response.json()
    assert {(r["program"], r["supplier"]) for r in data} == {
        ("alpha", w["a"].supplier.legal_name),
        ("bravo", w["b"].supplier.legal_name),
    }
    assert data[0]["standing"] == "suspended"
    # Rotating revokes the old key at once.
    session.post(reverse("buyer:api_access"), {"action": "rotate"})
    assert api.get(reverse("buyer-api:do-not-source-list")).status_code in (401, 403)
    # A staff member's token reaches nothing here.
    from accounts.services import api_token_create

    staff_user = w["a"].user(Role.STAFF)
    _, staff_token = api_token_create(actor=staff_user, user=staff_user, name="test")
    staff = Client(HTTP_AUTHORIZATION=f"Token {staff_token}")
    assert staff.get(reverse("buyer-api:do-not-source-list")).status_code == 403
    assert Client().get(reverse("buyer-api:do-not-source-list")).status_code in (401, 403)


def test_openapi_schema_documents_the_buyer_api(db, client_for):
    response = client_for(None).get(reverse("api-schema") + "?format=json")
    assert response.status_code == 200
    schema = response.json()
    path = schema["paths"]["/api/v1/buyer/do-not-source/"]["get"]
    examples = path["responses"]["200"]["content"]["application/json"]["examples"]
    assert any("suspended" in str(e["value"]) for e in examples.values())
    assert "/api/v1/buyer/obligations/{id}/attest/" in schema["paths"]
    assert "tokenAuth" in str(schema["components"].get("securitySchemes", {}))


def test_premium_owed_and_paid_per_period_only_own_buyer(two_program_world, client_for):
    w = two_program_world
    a = w["a"]
    admin = a.user(Role.ADMIN)
    start, end = datetime.date(2026, 1, 1), datetime.date(2026, 1, 31)
    for buyer, volume, paid in ((a.buyer, "10000", "60.00"), (a.other_buyer, "77777", "999.00")):
        purchase_report_record(
            actor=admin,
            program=a.program,
            buyer=buyer,
            supplier=a.supplier,
            period_start=start,
            period_end=end,
            volume=volume,
        )
        premium_payment_record(
            actor=admin,
            program=a.program,
            buyer=buyer,
            supplier=a.supplier,
            period_start=start,
            period_end=end,
            amount=paid,
            paid_on=datetime.date(2026, 2, 10),
        )
    client = client_for(w["officer"])
    page = client.get(reverse("buyer:premium"))
    periods = page.context["periods"]
    assert len(periods) == 1
    row = periods[0]
    assert row["owed"] == 100 and row["paid"] == 60 and row["payment_gap"] == 40
    html = page.content.decode()
    assert "999" not in html and "77777" not in html and "1555" not in html
    api = client.get(reverse("buyer-api:premium-list")).json()
    assert [p["owed"] for p in api["periods"]] == ["100.00"]


# ---------------------------------------------------------------- exports


def test_obligations_csv_neutralises_formulas(personas, client_for):
    a = personas.a
    obligation = make_obligation(a)
    enforcement_services.obligation_attest(
        actor=a.user(Role.BUYER_OFFICER), obligation=obligation, note='=HYPERLINK("x")'
    )
    response = client_for(a.user(Role.BUYER_OFFICER)).get(reverse("buyer:obligations_csv"))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 1
    assert rows[0]["attestation_note"].startswith("'=")
    assert rows[0]["supplier"] == a.supplier.legal_name
    assert rows[0]["state"] == "Attested, awaiting verification"


def _statement_job(client, url=None):
    """Ask for the statement from its page; return the job's status page address."""
    started = client.post(url or reverse("buyer:statement"))
    assert started.status_code == 302, started.status_code
    return started["Location"]


def _job_id(status_url):
    return status_url.split("job=", 1)[1]


def test_obligations_statement_is_a_background_job(
    two_program_world, client_for, personas, settings, tmp_path
):
    """obligations.pdf was rendered inside the web request (9 s for 1,202 obligations at
    the bench's large scale); now a worker builds it (exports' job machinery) and the
    officer downloads it from the job's page when ready."""
    settings.MEDIA_ROOT = tmp_path / "media"
    w = two_program_world
    client = client_for(w["officer"])
    # The old address (links, bookmarks) leads to the job's page, keeping ?program=.
    old = client.get(reverse("buyer:obligations_pdf") + f"?program={w['b'].slug}")
    assert old.status_code == 302
    assert old["Location"] == reverse("buyer:statement") + f"?program={w['b'].slug}"
    assert client.get(reverse("buyer:statement")).status_code == 200

    status_url = _statement_job(client)
    job = ExportJob.objects.get(pk=_job_id(status_url))
    assert job.kind == ExportJobKind.OBLIGATIONS_STATEMENT and job.program is None
    assert job.status == ExportJobStatus.QUEUED
    waiting = client.get(status_url)
    assert waiting.context["running"] and "Preparing the statement" in waiting.content.decode()
    download = reverse("buyer:statement_download") + f"?job={job.pk}"
    assert client.get(download).status_code == 404  # not ready yet

    assert str(export_jobs.job_run(job_id=job.pk)) == str(job.pk)  # the worker's call
    page = client.get(status_url)
    assert page["Cache-Control"] == "private, no-store"
    assert download.replace("&", "&amp;") in page.content.decode()
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    pdf = b"".join(response.streaming_content)
    pages = PdfReader(io.BytesIO(pdf)).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    assert "Obligations statement" in text
    assert w["a"].supplier.legal_name in text and w["b"].supplier.legal_name in text
    assert w["a"].other_buyer.name not in text

    # Another officer (of the same program's other buyer) cannot see or download it.
    other = personas.b.user(Role.BUYER_OFFICER)
    assert client_for(other).get(download).status_code == 404
    assert client_for(other).get(status_url).status_code == 404
    assert client.get(reverse("buyer:statement_download") + "?job=nope").status_code == 404


def test_statement_for_one_program_and_not_after_the_membership_ends(
    two_program_world, client_for, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    w = two_program_world
    a, b = w["a"], w["b"]
    client = client_for(w["officer"])
    status_url = _statement_job(client, reverse("buyer:statement") + f"?program={b.slug}")
    job = ExportJob.objects.get(pk=_job_id(status_url))
    assert job.params["pairs"] == [[b.program.pk, b.buyer.pk]]
    export_jobs.job_run(job_id=job.pk)
    download = reverse("buyer:statement_download") + f"?job={job.pk}"
    pdf = b"".join(client.get(download).streaming_content)
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert b.supplier.legal_name in text and a.program.name not in text

    # The officer's membership in B ends: the statement of B is no longer theirs, and a
    # job queued before the end fails instead of building it.
    queued = ExportJob.objects.get(
        pk=_job_id(_statement_job(client, reverse("buyer:statement") + f"?program={b.slug}"))
    )
    b.program.memberships.filter(user=w["officer"]).update(is_active=False)
    assert client.get(download).status_code == 404
    assert export_jobs.job_run(job_id=queued.pk) is None
    queued.refresh_from_db()
    assert queued.status == ExportJobStatus.FAILED and not queued.file
    assert (
        "no longer" in client.get(f"{reverse('buyer:statement')}?job={queued.pk}").content.decode()
    )


# ---------------------------------------------------------------- query counts


def warm_up(client, url):
    """One request first: process-wide caches (ContentType, used by guardian's grant
    lookup) fill once per process, which is not a per-row query."""
    assert client.get(url).status_code == 200


def _grow_obligations(world):
    def grow(n):
        for _ in range(n):
            make_obligation(world)

    return grow


@pytest.mark.parametrize(
    "name",
    [
        "buyer:portal",
        "buyer:obligation_list",
        "buyer:obligations_csv",
        "buyer-api:obligation-list",
        "buyer:do_not_source",
        "buyer-api:do-not-source-list",
    ],
)
def test_query_count_constant(personas, client_for, name):
    a = personas.a
    make_obligation(a)
    client = client_for(a.user(Role.BUYER_OFFICER))
    url = reverse(name) + ("?status=all" if name == "buyer:obligation_list" else "")
    warm_up(client, url)
    assert_constant_queries(lambda: client.get(url), _grow_obligations(a))


def test_selector_query_counts_do_not_grow_with_memberships(two_program_world):
    officer = two_program_world["officer"]
    memberships = portal_selectors.officer_memberships(user=officer)
    assert len(memberships) == 2
    n, rows = count_queries(
        lambda: list(portal_selectors.obligation_list(memberships=memberships, status="open"))
    )
    assert n == 1 and len(rows) == 2
    n, _ = count_queries(lambda: portal_selectors.obligation_counts(memberships=memberships))
    assert n == 1
    n, _ = count_queries(lambda: portal_selectors.do_not_source_list(memberships=memberships))
    assert n == 2


def test_obligation_rows_are_attached_to_their_own_program(two_program_world):
    """Guard for the (program, buyer) pairing: an officer of buyer X in A and buyer Y in B
    must not see Y's obligations in A even if buyer ids were swapped between programs."""
    w = two_program_world
    memberships = portal_selectors.officer_memberships(user=w["officer"])
    pairs = {(m.program_id, m.buyer_id) for m in memberships}
    for o in BuyerObligation.objects.all():
        visible = portal_selectors.obligation_list(memberships=memberships).filter(pk=o.pk)
        assert visible.exists() == ((o.program_id, o.buyer_id) in pairs)


@pytest.mark.parametrize(
    "name", ["buyer:agreement_list", "buyer-api:agreement-list", "buyer:portal"]
)
def test_agreement_query_count_constant(personas, client_for, name):
    a = personas.a
    client = client_for(a.user(Role.BUYER_OFFICER))

    def grow(n):
        for i in range(n):
            agreement = program_services.agreement_create(
                actor=SYSTEM,
                program=a.program,
                buyer=a.buyer,
                title=f"Addendum {i}",
                signed_date=datetime.date(2025, 6, 1),
                effective_from=datetime.date(2025, 7, 1),
                consequence_clause="c",
            )
            program_services.signatory_add(
                actor=SYSTEM, agreement=agreement, party="buyer", name=f"Signer {i}"
            )
            sign_agreement(agreement)
            program_services.agreement_transition(
                actor=SYSTEM, agreement=agreement, status="active"
            )

    warm_up(client, reverse(name))
    assert_constant_queries(lambda: client.get(reverse(name)), grow)


@pytest.mark.parametrize("name", ["buyer:premium", "buyer-api:premium-list", "buyer:portal"])
def test_premium_query_count_constant(personas, client_for, name):
    a = personas.a
    admin = a.user(Role.ADMIN)
    client = client_for(a.user(Role.BUYER_OFFICER))
    weeks = iter(range(100))

    def grow(n):
        for _ in range(n):
            start = datetime.date(2026, 1, 5) + datetime.timedelta(weeks=next(weeks))
            end = start + datetime.timedelta(days=6)
            purchase_report_record(
                actor=admin,
                program=a.program,
                buyer=a.buyer,
                supplier=a.supplier,
                period_start=start,
                period_end=end,
                volume="1000",
            )
            premium_payment_record(
                actor=admin,
                program=a.program,
                buyer=a.buyer,
                supplier=a.supplier,
                period_start=start,
                period_end=end,
                amount="5.00",
                paid_on=end,
            )

    grow(1)
    warm_up(client, reverse(name))
    assert_constant_queries(lambda: client.get(reverse(name)), grow)


def test_attest_accepts_utf8_csv_cut_mid_character_and_refuses_html(personas, client_for):
    """Text evidence: a UTF-8 CSV whose 4096-byte sample ends inside a character is
    accepted; an HTML page named .csv is refused and the obligation stays pending."""
    a = personas.a
    obligation = make_obligation(a)
    client = client_for(a.user(Role.BUYER_OFFICER))
    url = reverse("buyer:obligation_attest", kwargs={"pk": obligation.pk})
    html = SimpleUploadedFile("po.csv", b"  <html><script>alert(1)</script></html>", "text/csv")
    response = client.post(url, {"note": "held", "evidence": html})
    assert response.status_code == 400
    assert "markup" in response.content.decode()
    obligation.refresh_from_db()
    assert obligation.state == ObligationState.PENDING

    row = "order,supplier\n" + "4411,Señora Café\n" * 400
    data = row.encode()
    # Make byte 4095 the first byte of a two-byte character.
    pad = 4095 - data.index("ñ".encode())
    data = b"x" * pad + data
    assert data[4095:4097] == "ñ".encode()
    csv = SimpleUploadedFile("po.csv", data, "text/csv")
    response = client.post(url, {"note": "held", "evidence": csv})
    assert response.status_code in (302, 200), response.content[:300]
    obligation.refresh_from_db()
    assert obligation.state == ObligationState.ATTESTED
