"""Audit evidence through the REST API: multipart upload for a finding or a CAP item
through ``evidence_attach`` (so check_upload's size/type/metadata checks apply), the
record back with an access-checked download URL (never a media URL), the lists of a
finding's and an item's files, and who may do what."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from audits import services
from audits.models import EvidenceFile
from core.roles import Role
from tests.upload_metadata import assert_clean, phone_jpeg
from tests.utils import assert_constant_queries

from .helpers import PNG, make_audit, make_cap_item, make_finding

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def url(name, world, **kwargs):
    return reverse(name, kwargs={"program": world.slug, **kwargs})


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def upload(client, path, data, name="photo.png", **extra):
    return client.post(
        path,
        {"file": SimpleUploadedFile(name, data), **extra},
        format="multipart",
    )


def test_upload_to_a_finding_returns_the_record_and_downloads_through_the_checked_view(
    personas, client_for, settings
):
    a = personas.a
    audit = make_audit(a)  # led by the auditor
    finding = make_finding(a, audit)
    auditor = a.user(Role.AUDITOR)
    response = upload(
        api(auditor),
        url("audits-api:finding-evidence", a, pk=finding.pk),
        phone_jpeg(orientation=1),
        name="IMG_0042.jpg",
        description="Packing shed timesheets",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    evidence = EvidenceFile.objects.get(pk=body["id"])
    with evidence.file.open("rb") as handle:
        stored = handle.read()
    assert_clean(stored)  # photo metadata stripped by the service's check_upload
    assert body["finding"] == finding.pk and body["cap_item"] is None
    assert body["content_type"] == "image/jpeg"
    assert body["sha256"] == hashlib.sha256(stored).hexdigest() and body["size"] == len(stored)
    assert body["uploaded_by"] == auditor.username
    assert body["description"] == "Packing shed timesheets"
    download = url("audits:evidence_download", a, pk=evidence.pk)
    assert body["download_url"] == f"http://testserver{download}"
    assert settings.MEDIA_URL not in body["download_url"] and "file" not in body
    response = client_for(auditor).get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content) == stored

    listed = api(auditor).get(url("audits-api:finding-evidence", a, pk=finding.pk))
    assert listed.status_code == 200 and [r["id"] for r in listed.json()] == [evidence.pk]


def test_upload_is_refused_by_content_and_size(personas, settings):
    a = personas.a
    finding = make_finding(a, make_audit(a))
    client = api(a.user(Role.STAFF))
    path = url("audits-api:finding-evidence", a, pk=finding.pk)
    response = upload(client, path, b"<html><script>alert(1)</script>", name="photo.png")
    assert response.status_code == 400 and "Only PDF, image" in response.json()["detail"]
    settings.MAX_UPLOAD_BYTES = 100
    response = upload(client, path, b"%PDF-1.7" + b"x" * 200, name="big.pdf")
    assert response.status_code == 400 and "larger than" in response.json()["detail"]
    response = client.post(path, {"description": "no file"}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()
    response = client.post(path, {"file": "not a file"}, format="json")
    assert response.status_code == 415
    assert not EvidenceFile.objects.filter(finding=finding).exists()


def test_upload_to_a_cap_item_and_list_it(personas):
    a = personas.a
    item = make_cap_item(a)
    client = api(a.user(Role.AUDITOR))
    path = url("audits-api:cap-item-evidence", a, pk=item.pk)
    response = upload(client, path, PNG, description="Shade installed")
    assert response.status_code == 201, response.content
    assert response.json()["cap_item"] == item.pk and response.json()["finding"] is None
    listed = api(a.user(Role.VIEWER)).get(path)
    assert listed.status_code == 200
    assert [r["description"] for r in listed.json()] == ["Shade installed"]


def test_who_may_upload_and_list(personas):
    a, b = personas.a, personas.b
    finding = make_finding(a, make_audit(a, lead_role=None))  # no auditor on the team
    item = make_cap_item(a)
    f_path = url("audits-api:finding-evidence", a, pk=finding.pk)
    i_path = url("audits-api:cap-item-evidence", a, pk=item.pk)
    # An auditor not on the audit's team: the finding is not theirs (404 both ways).
    auditor = api(a.user(Role.AUDITOR))
    assert auditor.get(f_path).status_code == 404
    assert upload(auditor, f_path, PNG).status_code == 404
    # Viewers read, never write.
    viewer = api(a.user(Role.VIEWER))
    assert viewer.get(f_path).status_code == 200
    assert upload(viewer, f_path, PNG).status_code == 403
    assert upload(viewer, i_path, PNG).status_code == 403
    # Buyer officers, program B's staff, anonymous: nothing.
    for user in (a.user(Role.BUYER_OFFICER), b.user(Role.STAFF)):
        for path in (f_path, i_path):
            assert api(user).get(path).status_code in (403, 404)
            assert upload(api(user), path, PNG).status_code in (403, 404)
    assert APIClient().get(f_path).status_code in (401, 403)
    assert upload(APIClient(), i_path, PNG).status_code in (401, 403)
    # Program B's staff through B's URL asking for A's finding: 404.
    b_path = url("audits-api:finding-evidence", b, pk=finding.pk)
    assert upload(api(b.user(Role.STAFF)), b_path, PNG).status_code == 404
    assert not EvidenceFile.objects.exists()
    # Staff may attach to any finding of the program.
    assert upload(api(a.user(Role.STAFF)), f_path, PNG).status_code == 201


@pytest.mark.parametrize("parent", ["finding", "cap_item"])
def test_evidence_list_query_count_is_constant(parent, personas):
    a = personas.a
    staff = a.user(Role.STAFF)
    if parent == "finding":
        target = make_finding(a, make_audit(a))
        path = url("audits-api:finding-evidence", a, pk=target.pk)
    else:
        target = make_cap_item(a)
        path = url("audits-api:cap-item-evidence", a, pk=target.pk)
    client = api(staff)

    def grow(n):
        for _ in range(n):
            services.evidence_attach(
                actor=staff,
                program=a.program,
                upload=SimpleUploadedFile("p.png", PNG),
                **{parent: target},
            )

    grow(1)
    client.get(path)  # warm the content-type cache (guardian) before counting
    assert_constant_queries(lambda: client.get(path), grow)
    assert len(client.get(path).json()) == 30


def test_records_match_the_documented_schema(personas):
    """The fuzz test's world has no findings, so it never sees a 201 from these
    operations: the record's shape is checked against /api/schema/ here."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    documented = schema["components"]["schemas"]["AuditEvidence"]
    a = personas.a
    finding = make_finding(a, make_audit(a))
    path = url("audits-api:finding-evidence", a, pk=finding.pk)
    operation = schema["paths"]["/api/v1/programs/{program}/audit-findings/{id}/evidence/"]["post"]
    assert list(operation["requestBody"]["content"]) == ["multipart/form-data"]
    client = api(a.user(Role.STAFF))
    record = upload(client, path, PNG).json()
    assert set(record) == set(documented["properties"]) == set(documented["required"])
    for name, prop in documented["properties"].items():
        if record[name] is None:
            assert prop.get("nullable"), name
    assert client.get(path).json() == [record]
