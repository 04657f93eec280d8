"""Complainant confidentiality in audit evidence: an auditor's photo of a workplace (it
may show workers, and the phone records where and when it was taken) is stored without
GPS, make/model/serial, owner, time, thumbnail or XMP; its recorded sha256 and size are
those of the stored bytes; a "photo" that cannot be parsed is refused and nothing kept."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audits import services
from audits.models import EvidenceFile
from core.errors import DomainError
from core.models import AuditEvent
from core.roles import Role
from tests.upload_metadata import (
    PHONE_HEIC,
    assert_clean,
    assert_same_picture,
    displayed,
    malformed_jpeg,
    phone_jpeg,
    phone_png,
)

from .helpers import make_audit, make_cap_item, make_finding

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def stored(evidence):
    with evidence.file.open("rb") as handle:
        data = handle.read()
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert evidence.size == len(data)
    return data


def media_files(settings):
    root = settings.MEDIA_ROOT
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_finding_evidence_form_strips_a_phone_jpeg(personas, client_for):
    a = personas.a
    finding = make_finding(a, make_audit(a, lead_role=None))
    original = phone_jpeg(orientation=6)
    response = client_for(a.user(Role.STAFF)).post(
        reverse("audits:finding_evidence", kwargs={"program": a.slug, "pk": finding.pk}),
        {"file": SimpleUploadedFile("IMG_0042.jpg", original, "image/jpeg"), "description": "shed"},
    )
    assert response.status_code == 302
    evidence = EvidenceFile.objects.get(finding=finding)
    data = stored(evidence)
    assert_clean(data)
    assert displayed(data).size == (48, 64)
    assert_same_picture(data, original, tolerance=3)
    event = AuditEvent.objects.get(verb="evidence.attached", object_id=str(evidence.pk))
    assert event.payload["sha256"] == evidence.sha256 and event.payload["size"] == evidence.size


def test_cap_item_evidence_strips_png_chunks_losslessly(personas):
    a = personas.a
    item = make_cap_item(a)
    original = phone_png(orientation=1)
    evidence = services.evidence_attach(
        actor=a.user(Role.STAFF),
        program=a.program,
        upload=SimpleUploadedFile("shade.png", original, "image/png"),
        cap_item=item,
    )
    data = stored(evidence)
    assert evidence.content_type == "image/png"
    assert_clean(data)
    assert_same_picture(data, original, tolerance=0)


def test_heic_evidence_is_stored_as_a_clean_jpeg(personas):
    a = personas.a
    finding = make_finding(a, make_audit(a))
    evidence = services.evidence_attach(
        actor=a.user(Role.STAFF),
        program=a.program,
        upload=SimpleUploadedFile("IMG_0001.HEIC", PHONE_HEIC, "image/heic"),
        finding=finding,
    )
    data = stored(evidence)
    assert evidence.content_type == "image/jpeg" and data[:3] == b"\xff\xd8\xff"
    assert evidence.original_name == "IMG_0001.jpg"  # the download says what it is
    assert_clean(data)
    assert displayed(data).size == (48, 64)


def test_malformed_jpeg_evidence_is_refused_and_nothing_stored(personas, client_for, settings):
    a = personas.a
    finding = make_finding(a, make_audit(a, lead_role=None))
    with pytest.raises(DomainError, match="could not be read"):
        services.evidence_attach(
            actor=a.user(Role.STAFF),
            program=a.program,
            upload=SimpleUploadedFile("p.jpg", malformed_jpeg(), "image/jpeg"),
            finding=finding,
        )
    response = client_for(a.user(Role.STAFF)).post(
        reverse("audits:finding_evidence", kwargs={"program": a.slug, "pk": finding.pk}),
        {"file": SimpleUploadedFile("p.jpg", malformed_jpeg(), "image/jpeg")},
        follow=True,
    )
    assert "could not be read" in response.content.decode()
    assert EvidenceFile.objects.count() == 0
    assert media_files(settings) == []
