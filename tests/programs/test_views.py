"""Workspace pages: forms call services, refusals show their message and keep the input."""

import datetime

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.roles import Role
from programs import services
from programs.models import Agreement, Buyer, CodeVersionStatus, Facility, Membership, Supplier
from tests.utils import drain_mail

from .conftest import PDF, events

pytestmark = pytest.mark.django_db


def url(name, world, **kwargs):
    return reverse(f"programs:{name}", kwargs={"program": world.slug, **kwargs})


def test_create_and_edit_parties(a, client_for):
    client = client_for(a.user(Role.STAFF))
    r = client.post(url("buyer_create", a), {"name": "Fresh Mart", "headquarters_country": "us"})
    buyer = Buyer.objects.get(name="Fresh Mart")
    assert r.status_code == 302 and r["Location"] == url("buyer_detail", a, pk=buyer.pk)
    r = client.post(
        url("buyer_edit", a, pk=buyer.pk),
        {"name": "Fresh Mart Inc", "headquarters_country": "US", "website": ""},
    )
    assert r.status_code == 302
    assert events(a.program, "buyer.updated").get().payload == {
        "name": ["Fresh Mart", "Fresh Mart Inc"]
    }
    r = client.post(
        url("sourcing_create", a),
        {"buyer": buyer.pk, "supplier": a.supplier.pk, "since": "2026-02-01"},
    )
    assert r.status_code == 302
    rel = a.supplier.sourcing.get(buyer=buyer)
    r = client.post(url("sourcing_end", a, pk=rel.pk), {"until": "2026-01-01"})
    assert r.status_code == 200  # until before since: the form explains
    assert "until" in r.content.decode().lower()
    r = client.post(url("sourcing_end", a, pk=rel.pk), {"until": "2026-08-01"})
    assert r.status_code == 302
    r = client.post(
        url("facility_edit", a, pk=a.facility.pk),
        {
            "supplier": a.supplier.pk,
            "name": a.facility.name,
            "address": a.facility.address,
            "country": "US",
            "latitude": "26.418800",
            "longitude": "-81.417300",
            "worker_count": 150,
            "os_id": "US2026ABC",
            "status": "active",
        },
    )
    assert r.status_code == 302
    assert Facility.objects.get(pk=a.facility.pk).worker_count == 150
    assert set(events(a.program, "facility.updated").get().payload) == {"worker_count", "os_id"}


def test_lists_search_and_filter(a, client_for):
    client = client_for(a.user(Role.VIEWER))
    r = client.get(url("facility_list", a), {"q": "Farm 1", "status": "active"})
    assert a.facility.name in r.content.decode()
    r = client.get(url("facility_list", a), {"status": "closed"})
    assert a.facility.name not in r.content.decode()
    r = client.get(url("buyer_list", a), {"q": "Two"})
    body = r.content.decode()
    assert a.other_buyer.name in body and a.buyer.name not in body
    r = client.get(url("sourcing_list", a), {"state": "ended"})
    assert a.buyer.name not in r.content.decode()
    r = client.get(url("agreement_list", a), {"status": "active"})
    assert a.agreement.title in r.content.decode()
    r = client.get(url("version_detail", a, pk=a.version.pk), {"severity": "major"})
    body = r.content.decode()
    assert "Shade and water" in body and "No forced labor" not in body
    # A viewer reads but does not see the buttons that write.
    assert "New buyer" not in client.get(url("buyer_list", a)).content.decode()
    assert client.post(url("buyer_create", a), {"name": "X"}).status_code == 403


def test_pagination_keeps_filters(a, client_for):
    for i in range(30):
        services.supplier_create(
            actor=a.user(Role.STAFF), program=a.program, legal_name=f"Mex {i:02}", country="MX"
        )
    r = client_for(a.user(Role.STAFF)).get(url("supplier_list", a), {"country": "MX"})
    body = r.content.decode()
    nav = body[body.index("pagination") :]
    assert "Page 1 of 2" in nav and "page=2" in nav and "country=MX" in nav, nav[:400]


def test_editing_a_ratified_version_shows_the_error_and_keeps_input(a, client_for):
    client = client_for(a.user(Role.STAFF))
    page = client.get(url("version_detail", a, pk=a.version.pk)).content.decode()
    assert "Read-only" in page and "Add provision" not in page
    data = {
        "number": "1.1",
        "section": "Zero tolerance",
        "title": "No forced labor, debt or document confiscation",
        "text": "Typed by the user and not to be lost.",
        "category": "forced_labor",
        "severity": "zero_tolerance",
    }
    r = client.post(url("provision_edit", a, pk=a.provision.pk), data)
    assert r.status_code == 200
    body = r.content.decode()
    assert "is ratified and can no longer change" in body
    assert "Typed by the user and not to be lost." in body
    a.provision.refresh_from_db()
    assert a.provision.title == "No forced labor"
    r = client.post(url("provision_add", a, pk=a.version.pk), {**data, "number": "7"})
    assert r.status_code == 200 and "can no longer change" in r.content.decode()
    r = client.post(url("provision_remove", a, pk=a.provision.pk), follow=True)
    assert "can no longer change" in r.content.decode()


def test_draft_ratify_flow_and_refusals(a, client_for):
    staff, admin = client_for(a.user(Role.STAFF)), client_for(a.user(Role.ADMIN))
    r = staff.post(url("code_draft_create", a, pk=a.code.pk))
    draft = a.code.versions.get(status=CodeVersionStatus.DRAFT)
    assert r["Location"] == url("version_detail", a, pk=draft.pk)
    assert draft.provisions.count() == 2
    r = staff.post(url("code_draft_create", a, pk=a.code.pk), follow=True)
    assert "already has a draft" in r.content.decode()

    p = draft.provisions.get(number="2.1")
    r = staff.post(
        url("provision_edit", a, pk=p.pk),
        {
            "number": "2.1",
            "section": "Health and safety",
            "title": "Shade, water and rest",
            "text": "Free shade, water and rest breaks.",
            "category": "health_safety",
            "severity": "major",
            "title_es": "Sombra, agua y descanso",
            "text_es": "Sombra, agua y descansos gratuitos.",
        },
    )
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.title_in("es") == "Sombra, agua y descanso"

    # Staff are not shown the ratify form (only admins ratify: core.authz); a POST is 403.
    assert staff.get(url("version_ratify", a, pk=draft.pk)).status_code == 403
    r = staff.post(url("version_ratify", a, pk=draft.pk), {"effective_date": "2026-09-01"})
    assert r.status_code == 403
    r = admin.post(url("version_ratify", a, pk=draft.pk), {"effective_date": "2026-09-01"})
    assert r.status_code == 302
    draft.refresh_from_db()
    assert draft.status == CodeVersionStatus.RATIFIED
    r = admin.post(url("version_ratify", a, pk=draft.pk), {"effective_date": "2026-10-01"})
    assert r.status_code == 200
    assert "cannot go from &#x27;ratified&#x27; to &#x27;ratified&#x27;" in r.content.decode()


def test_agreement_lifecycle_in_html(a, client_for):
    client = client_for(a.user(Role.STAFF))
    base = {
        "buyer": a.other_buyer.pk,
        "title": "2027 Fair Food Agreement",
        "effective_from": "2027-01-01",
        "premium_rate": "0.01",
        "premium_currency": "USD",
        "premium_unit": "lb",
        "consequence_clause": "Suspend purchases from suspended growers for 90 days.",
    }
    bad = SimpleUploadedFile("signed.pdf", b"<html>not a pdf</html>", "application/pdf")
    r = client.post(url("agreement_create", a), {**base, "document": bad})
    assert r.status_code == 200
    body = r.content.decode()
    assert "must be a PDF" in body and "Suspend purchases from suspended growers" in body
    assert not Agreement.objects.filter(title=base["title"]).exists()

    good = SimpleUploadedFile("signed.pdf", PDF, "application/pdf")
    r = client.post(url("agreement_create", a), {**base, "document": good})
    agreement = Agreement.objects.get(title=base["title"])
    assert r["Location"] == url("agreement_detail", a, pk=agreement.pk)

    r = client.post(url("agreement_activate", a, pk=agreement.pk))
    assert r.status_code == 200 and "once it has a signed date" in r.content.decode()

    r = client.post(
        url("signatory_add", a, pk=agreement.pk),
        {"party": "buyer", "name": "Dana Ortiz", "title": "CEO", "signed_on": "2026-12-01"},
    )
    assert r.status_code == 302
    r = client.post(
        url("agreement_edit", a, pk=agreement.pk),
        {**base, "signed_date": "2026-12-01"},
    )
    assert r.status_code == 302
    # Only the buyer signed: refused with the reason in the form, nothing changes.
    r = client.post(url("agreement_activate", a, pk=agreement.pk))
    assert r.status_code == 200 and "both parties have signed" in r.content.decode()
    agreement.refresh_from_db()
    assert agreement.status == "draft"
    r = client.post(
        url("signatory_add", a, pk=agreement.pk),
        {"party": "worker_organization", "name": "Lupe Gonzalez", "signed_on": "2026-12-01"},
    )
    assert r.status_code == 302
    r = client.post(url("agreement_activate", a, pk=agreement.pk))
    assert r.status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == "active"

    # In force: the terms are frozen and the page says so.
    r = client.post(
        url("agreement_edit", a, pk=agreement.pk),
        {**base, "premium_rate": "0.05", "signed_date": "2026-12-01"},
    )
    assert r.status_code == 200 and "only its end date can change" in r.content.decode()

    r = client.post(url("agreement_terminate", a, pk=agreement.pk), {"reason": ""})
    assert r.status_code == 200 and "This field is required" in r.content.decode()
    r = client.post(
        url("agreement_terminate", a, pk=agreement.pk), {"reason": "Refused to suspend"}
    )
    assert r.status_code == 302
    page = client.get(url("agreement_detail", a, pk=agreement.pk)).content.decode()
    assert "Terminated" in page and "Refused to suspend" in page


def test_signed_document_is_served_only_through_the_checked_view(a, b, client_for):
    draft = services.agreement_create(
        actor=a.user(Role.STAFF),
        program=a.program,
        buyer=a.buyer,
        title="Draft",
        effective_from=datetime.date(2027, 1, 1),
        consequence_clause="x",
        document=SimpleUploadedFile("signed.pdf", PDF, "application/pdf"),
    )
    doc_url = url("agreement_document", a, pk=draft.pk)
    r = client_for(a.user(Role.VIEWER)).get(doc_url)
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert b"".join(r.streaming_content) == PDF
    assert "no-store" in r["Cache-Control"] and "attachment" in r["Content-Disposition"]
    # Roles that do not see drafts, other programs, anonymous: no file.
    assert client_for(a.user(Role.INVESTIGATOR)).get(doc_url).status_code == 404
    assert client_for(b.user(Role.ADMIN)).get(doc_url).status_code == 404
    assert client_for(None).get(doc_url).status_code == 302
    # No media URL serves it.
    assert client_for(a.user(Role.ADMIN)).get("/media/" + draft.document.name).status_code == 404
    assert (
        client_for(a.user(Role.ADMIN)).get("/media-not-served/" + draft.document.name).status_code
        == 404
    )


def test_members_admin_only(a, client_for, django_capture_on_commit_callbacks):
    admin, staff = client_for(a.user(Role.ADMIN)), client_for(a.user(Role.STAFF))
    assert staff.get(url("member_list", a)).status_code == 200
    assert staff.get(url("member_invite", a)).status_code == 403
    assert client_for(a.user(Role.VIEWER)).get(url("member_list", a)).status_code == 403

    r = admin.post(
        url("member_invite", a), {"email": "officer2@buyer.example", "role": "buyer_officer"}
    )
    assert r.status_code == 200 and "Choose the buyer" in r.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        r = admin.post(
            url("member_invite", a),
            {"email": "officer2@buyer.example", "role": "buyer_officer", "buyer": a.other_buyer.pk},
        )
    assert r.status_code == 302
    m = Membership.objects.get(user__email="officer2@buyer.example")
    assert m.buyer == a.other_buyer and m.role == "buyer_officer"
    drain_mail()
    assert mail.outbox and "/accounts/reset/" in mail.outbox[-1].body
    assert mail.outbox[-1].to == ["officer2@buyer.example"]

    r = admin.post(url("member_edit", a, pk=m.pk), {"role": "viewer", "buyer": "", "is_active": ""})
    assert r.status_code == 302
    m.refresh_from_db()
    assert (m.role, m.buyer, m.is_active) == ("viewer", None, False)

    own = Membership.objects.get(user=a.user(Role.ADMIN), program=a.program)
    r = admin.post(url("member_edit", a, pk=own.pk), {"role": "staff", "is_active": "on"})
    assert r.status_code == 200 and "at least one active admin" in r.content.decode()


def test_dashboard(a, client_for):
    body = client_for(a.user(Role.STAFF)).get(url("dashboard", a)).content.decode()
    assert "version 1" in body and "Recent activity" in body and "Agreement: put in force" in body
    body = client_for(a.user(Role.VIEWER)).get(url("dashboard", a)).content.decode()
    assert "Recent activity" not in body


def test_api_token_page_moved_to_the_account(a, client_for):
    # The workspace link still works; tokens are managed on /accounts/tokens/
    # (tests/accounts/test_tokens.py).
    client = client_for(a.user(Role.VIEWER))
    response = client.get(url("api_token", a))
    assert response.status_code == 302 and response["Location"] == "/accounts/tokens/"


def test_supplier_create_keeps_input_on_duplicate(a, client_for):
    client = client_for(a.user(Role.STAFF))
    r = client.post(
        url("supplier_create", a), {"legal_name": a.supplier.legal_name, "country": "US"}
    )
    assert r.status_code == 200
    assert a.supplier.legal_name in r.content.decode()
    assert Supplier.objects.filter(legal_name=a.supplier.legal_name).count() == 1
