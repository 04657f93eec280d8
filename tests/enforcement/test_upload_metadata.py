"""Confidentiality in a buyer's attestation evidence: a photo (of held goods, of a site;
it may show workers, and the phone records where it was taken) is stored without GPS,
make/model/serial, owner, time, thumbnail or XMP, through the buyer portal's form and
API; the recorded sha256 is that of the stored bytes; a "photo" that cannot be parsed is
refused with a message and nothing stored."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.errors import DomainError
from core.models import AuditEvent
from core.roles import Role
from enforcement import services
from enforcement.models import ObligationState
from tests.buyer.helpers import make_obligation
from tests.upload_metadata import (
    PHONE_HEIC,
    assert_clean,
    assert_same_picture,
    displayed,
    malformed_jpeg,
    phone_jpeg,
    phone_png,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def stored(obligation):
    obligation.refresh_from_db()
    with obligation.evidence.open("rb") as handle:
        data = handle.read()
    assert obligation.evidence_sha256 == hashlib.sha256(data).hexdigest()
    event = AuditEvent.objects.get(verb="obligation.attested", object_id=str(obligation.pk))
    assert event.payload["evidence_sha256"] == obligation.evidence_sha256
    return data


def media_files(settings):
    root = settings.MEDIA_ROOT
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_attestation_form_strips_a_phone_jpeg(personas, client_for, settings):
    # A small in-memory limit: the upload is spooled to a temporary file, which storage
    # moves into place by its path; that file must hold the stripped bytes.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100
    a = personas.a
    obligation = make_obligation(a)
    original = phone_jpeg(orientation=6)
    response = client_for(a.user(Role.BUYER_OFFICER)).post(
        reverse("buyer:obligation_attest", kwargs={"pk": obligation.pk}),
        {
            "note": "Orders on hold; photo of the held pallets.",
            "evidence": SimpleUploadedFile("IMG_9.jpg", original, "image/jpeg"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:1000]
    data = stored(obligation)
    assert_clean(data)
    assert displayed(data).size == (48, 64)
    assert_same_picture(data, original, tolerance=3)


def test_attestation_api_strips_png_chunks(personas, client_for):
    a = personas.a
    obligation = make_obligation(a)
    original = phone_png(orientation=1)
    response = client_for(a.user(Role.BUYER_OFFICER)).post(
        reverse("buyer-api:obligation-attest", kwargs={"pk": obligation.pk}),
        {
            "note": "Orders suspended.",
            "evidence": SimpleUploadedFile("po.png", original, "image/png"),
        },
    )
    assert response.status_code == 200, response.content
    data = stored(obligation)
    assert_clean(data)
    assert_same_picture(data, original, tolerance=0)


def test_attestation_heic_is_stored_as_a_clean_jpeg(personas):
    a = personas.a
    obligation = make_obligation(a)
    services.obligation_attest(
        actor=a.user(Role.BUYER_OFFICER),
        obligation=obligation,
        note="Held stock.",
        evidence=SimpleUploadedFile("IMG_0001.HEIC", PHONE_HEIC, "image/heic"),
    )
    data = stored(obligation)
    assert data[:3] == b"\xff\xd8\xff" and obligation.evidence_name == "IMG_0001.jpg"
    assert_clean(data)
    assert displayed(data).size == (48, 64)


def test_malformed_jpeg_attestation_evidence_is_refused(personas, client_for, settings):
    a = personas.a
    obligation = make_obligation(a)
    client = client_for(a.user(Role.BUYER_OFFICER))
    response = client.post(
        reverse("buyer:obligation_attest", kwargs={"pk": obligation.pk}),
        {
            "note": "My note",
            "evidence": SimpleUploadedFile("p.jpg", malformed_jpeg(), "image/jpeg"),
        },
    )
    assert response.status_code == 400 and "could not be read" in response.content.decode()
    response = client.post(
        reverse("buyer-api:obligation-attest", kwargs={"pk": obligation.pk}),
        {"note": "n", "evidence": SimpleUploadedFile("p.jpg", malformed_jpeg(), "image/jpeg")},
    )
    assert response.status_code == 400 and "could not be read" in str(response.json())
    with pytest.raises(DomainError, match="could not be read"):
        services.obligation_attest(
            actor=a.user(Role.BUYER_OFFICER),
            obligation=obligation,
            note="n",
            evidence=SimpleUploadedFile("p.jpg", malformed_jpeg(), "image/jpeg"),
        )
    obligation.refresh_from_db()
    assert obligation.state != ObligationState.FULFILLED and not obligation.evidence
    assert media_files(settings) == []
