"""REST API /api/v1/programs/<program>/: scoped reads, writes through services, domain
refusals as 400/409 with a message, token authentication."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from core.roles import Role
from programs import services
from programs.models import Agreement, CodeVersionStatus, Membership, Provision

from .conftest import PDF, events

pytestmark = pytest.mark.django_db


def api(world, path):
    return f"/api/v1/programs/{world.slug}/{path}"


def client(user=None):
    c = APIClient()
    if user is not None:
        c.force_authenticate(user)
    return c


def test_token_auth(a, b):
    from accounts.services import api_token_create

    viewer = a.user(Role.VIEWER)
    _, secret = api_token_create(actor=viewer, user=viewer, name="test")
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    r = c.get(api(a, "suppliers/"))
    assert r.status_code == 200 and r.json()["count"] == 1
    assert c.get(api(b, "suppliers/")).status_code == 404
    c.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert c.get(api(a, "suppliers/")).status_code in (401, 403)


def test_parties_crud_and_filters(a):
    staff = client(a.user(Role.STAFF))
    r = staff.post(api(a, "buyers/"), {"name": "Green Grocer", "headquarters_country": "ca"})
    assert r.status_code == 201 and r.json()["headquarters_country"] == "CA"
    buyer_id = r.json()["id"]
    r = staff.patch(api(a, f"buyers/{buyer_id}/"), {"website": "https://gg.example"}, format="json")
    assert r.status_code == 200
    assert events(a.program, "buyer.updated").get().payload["website"][1] == "https://gg.example"
    r = staff.get(api(a, "buyers/"), {"search": "green"})
    assert [x["name"] for x in r.json()["results"]] == ["Green Grocer"]
    r = staff.get(api(a, "buyers/"), {"headquarters_country": "US"})
    assert [x["name"] for x in r.json()["results"]] == [a.buyer.name]
    assert r.json()["results"][0]["active_agreement_count"] == 1

    r = staff.post(
        api(a, "sourcing/"), {"buyer": buyer_id, "supplier": a.supplier.pk, "since": "2026-01-01"}
    )
    assert r.status_code == 201
    rel = r.json()["id"]
    r = staff.post(api(a, f"sourcing/{rel}/end/"), {"until": "2026-03-01"})
    assert r.status_code == 200 and r.json()["until"] == "2026-03-01"
    r = staff.post(api(a, f"sourcing/{rel}/end/"), {"until": "2026-04-01"})
    assert r.status_code == 409 and "already ended" in r.json()["detail"]
    r = staff.get(api(a, "sourcing/"), {"ongoing": "true"})
    assert [x["id"] for x in r.json()["results"]] == [a.sourcing.pk]

    r = staff.post(
        api(a, "facilities/"),
        {
            "supplier": a.supplier.pk,
            "name": "Packhouse",
            "address": "2 Road",
            "country": "US",
            "latitude": "95",
        },
    )
    assert r.status_code == 400 and "latitude" in str(r.json())


def test_cross_program_references_are_refused(a, b):
    staff = client(a.user(Role.STAFF))
    r = staff.post(
        api(a, "facilities/"),
        {"supplier": b.supplier.pk, "name": "X", "address": "Y", "country": "US"},
    )
    assert r.status_code == 400 and "supplier" in r.json()
    r = staff.post(
        api(a, "agreements/"),
        {
            "buyer": b.buyer.pk,
            "title": "X",
            "effective_from": "2026-01-01",
            "consequence_clause": "x",
        },
    )
    assert r.status_code == 400 and "buyer" in r.json()
    assert staff.get(api(a, f"agreements/{b.agreement.pk}/")).status_code == 404


def test_agreement_api_lifecycle(a):
    staff = client(a.user(Role.STAFF))
    r = staff.post(
        api(a, "agreements/"),
        {
            "buyer": a.other_buyer.pk,
            "title": "Draft",
            "effective_from": "2027-01-01",
            "consequence_clause": "Suspend purchases.",
            "document": SimpleUploadedFile("s.pdf", PDF, "application/pdf"),
        },
        format="multipart",
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["status"] == "draft" and body["has_document"] and len(body["document_sha256"]) == 64
    pk = body["id"]

    r = staff.post(api(a, f"agreements/{pk}/activate/"))
    assert r.status_code == 400 and "signed date" in r.json()["detail"]
    r = staff.post(api(a, f"agreements/{pk}/signatories/"), {"party": "buyer", "name": "Dana"})
    assert r.status_code == 201
    assert len(staff.get(api(a, f"agreements/{pk}/signatories/")).json()) == 1
    r = staff.patch(api(a, f"agreements/{pk}/"), {"signed_date": "2026-12-01"}, format="json")
    assert r.status_code == 200
    # Signed by the buyer only: refused, and the answer says whose signature is missing.
    r = staff.post(api(a, f"agreements/{pk}/activate/"))
    assert r.status_code == 400 and "Worker organization" in r.json()["detail"]
    r = staff.post(
        api(a, f"agreements/{pk}/signatories/"), {"party": "worker_organization", "name": "Lupe"}
    )
    assert r.status_code == 201
    r = staff.post(api(a, f"agreements/{pk}/activate/"))
    assert r.status_code == 200 and r.json()["status"] == "active"
    r = staff.post(api(a, f"agreements/{pk}/activate/"))
    assert r.status_code == 409 and "from 'active' to 'active'" in r.json()["detail"]
    r = staff.patch(api(a, f"agreements/{pk}/"), {"premium_rate": "0.5"}, format="json")
    assert r.status_code == 409 and "only its end date" in r.json()["detail"]
    r = staff.patch(api(a, f"agreements/{pk}/"), {"effective_to": "2028-12-31"}, format="json")
    assert r.status_code == 200
    r = staff.post(api(a, f"agreements/{pk}/terminate/"), {})
    assert r.status_code == 400 and "reason" in r.json()
    r = staff.post(api(a, f"agreements/{pk}/terminate/"), {"reason": "Breach"})
    assert r.status_code == 200 and r.json()["status"] == "terminated"

    bad = SimpleUploadedFile("s.pdf", b"GIF89a....", "application/pdf")
    r = staff.post(
        api(a, "agreements/"),
        {
            "buyer": a.buyer.pk,
            "title": "X",
            "effective_from": "2027-01-01",
            "consequence_clause": "x",
            "document": bad,
        },
        format="multipart",
    )
    assert r.status_code == 400 and "PDF" in str(r.json())

    # Viewers read, do not write.
    assert client(a.user(Role.VIEWER)).post(api(a, f"agreements/{pk}/activate/")).status_code == 403


def test_agreement_visibility_and_share_api(a):
    draft = services.agreement_create(
        actor=a.user(Role.STAFF),
        program=a.program,
        buyer=a.buyer,
        title="Draft",
        effective_from=datetime.date(2027, 1, 1),
        consequence_clause="x",
    )
    officer = client(a.user(Role.BUYER_OFFICER))
    ids = [x["id"] for x in officer.get(api(a, "agreements/")).json()["results"]]
    assert ids == [a.agreement.pk]
    staff = client(a.user(Role.STAFF))
    r = staff.post(api(a, f"agreements/{draft.pk}/share/"), {"user": a.user(Role.BUYER_OFFICER).pk})
    assert r.status_code == 204
    ids = {x["id"] for x in officer.get(api(a, "agreements/")).json()["results"]}
    assert ids == {a.agreement.pk, draft.pk}
    r = staff.post(api(a, f"agreements/{draft.pk}/share/"), {"user": a.user(Role.VIEWER).pk})
    assert r.status_code == 400 and "already sees every agreement" in r.json()["detail"]
    r = staff.post(
        api(a, f"agreements/{draft.pk}/unshare/"), {"user": a.user(Role.BUYER_OFFICER).pk}
    )
    assert r.status_code == 204
    assert officer.get(api(a, f"agreements/{draft.pk}/")).status_code == 404


def test_code_api(a):
    staff, admin = client(a.user(Role.STAFF)), client(a.user(Role.ADMIN))
    r = staff.post(api(a, f"codes/{a.code.pk}/draft/"))
    assert r.status_code == 201
    draft_id = r.json()["id"]
    assert r.json()["status"] == "draft"
    r = staff.post(api(a, f"codes/{a.code.pk}/draft/"))
    assert r.status_code == 409 and "already has a draft" in r.json()["detail"]

    # Provisions: edits on the ratified version are refused; on the draft allowed.
    r = staff.patch(api(a, f"provisions/{a.provision.pk}/"), {"title": "X"}, format="json")
    assert r.status_code == 409 and "can no longer change" in r.json()["detail"]
    assert staff.delete(api(a, f"provisions/{a.provision.pk}/")).status_code == 409
    r = staff.post(
        api(a, "provisions/"),
        {
            "version": draft_id,
            "number": "3.1",
            "section": "Rest",
            "title": "Weekly rest",
            "text": "24 hours.",
            "severity": "major",
            "category": "hours",
        },
        format="json",
    )
    assert r.status_code == 201
    new_id = r.json()["id"]
    r = staff.get(api(a, "provisions/"), {"version": draft_id})
    assert r.json()["count"] == 3
    assert staff.delete(api(a, f"provisions/{new_id}/")).status_code == 204
    assert not Provision.objects.filter(pk=new_id).exists()

    r = staff.post(api(a, f"code-versions/{draft_id}/ratify/"), {"effective_date": "2026-10-01"})
    assert r.status_code == 403 and "Only admins may" in r.json()["detail"]
    r = admin.post(api(a, f"code-versions/{draft_id}/ratify/"), {})
    assert r.status_code == 400 and "effective_date" in r.json()
    r = admin.post(api(a, f"code-versions/{draft_id}/ratify/"), {"effective_date": "2026-10-01"})
    assert r.status_code == 200 and r.json()["status"] == "ratified"
    assert r.json()["ratified_by"] == a.user(Role.ADMIN).username
    r = admin.post(api(a, f"code-versions/{draft_id}/ratify/"), {"effective_date": "2026-10-01"})
    assert r.status_code == 409
    r = staff.get(api(a, "code-versions/"), {"status": CodeVersionStatus.SUPERSEDED})
    assert [x["id"] for x in r.json()["results"]] == [a.version.pk]

    r = staff.post(api(a, "codes/"), {"name": "Housing Standard"})
    assert r.status_code == 201 and r.json()["version_count"] == 1


def test_members_api_admin_only(a):
    admin = client(a.user(Role.ADMIN))
    # Staff see who is on the program (as on the Members page); only admins change it.
    assert client(a.user(Role.STAFF)).get(api(a, "members/")).status_code == 200
    r = client(a.user(Role.STAFF)).post(api(a, "members/"), {"email": "x@example.org"})
    assert r.status_code == 403
    r = admin.get(api(a, "members/"), {"role": "auditor"})
    assert [x["email"] for x in r.json()["results"]] == [a.user(Role.AUDITOR).email]
    r = admin.post(api(a, "members/"), {"email": "new@example.org", "role": "buyer_officer"})
    assert r.status_code == 400 and "bound to a buyer" in r.json()["detail"]
    r = admin.post(
        api(a, "members/"),
        {"email": "new@example.org", "role": "buyer_officer", "buyer": a.buyer.pk},
    )
    assert r.status_code == 201 and r.json()["buyer"] == a.buyer.pk
    m = r.json()["id"]
    r = admin.patch(api(a, f"members/{m}/"), {"is_active": False}, format="json")
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert not Membership.objects.get(pk=m).is_active
    own = Membership.objects.get(user=a.user(Role.ADMIN), program=a.program)
    r = admin.patch(api(a, f"members/{own.pk}/"), {"role": "viewer"}, format="json")
    assert r.status_code == 400 and "at least one active admin" in r.json()["detail"]


def test_agreement_count_unchanged_by_refusals(a):
    before = Agreement.objects.count()
    client(a.user(Role.STAFF)).post(api(a, "agreements/"), {"title": "no buyer"})
    assert Agreement.objects.count() == before
