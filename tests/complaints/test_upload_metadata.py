"""Complainant confidentiality: a worker's photo loses its GPS position, phone make,
model and serial, owner name, time, thumbnail and XMP before it is stored or hashed, on
every way into a case: the public form, the public API, the receipt-code thread, and
evidence logged by staff (workspace form and API). The picture itself is kept (turned
upright), the recorded sha256 and size are those of the stored bytes, and a "photo"
that cannot be parsed is refused with a message and nothing stored."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from complaints import crypto
from complaints.models import Case, Evidence
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

from .conftest import investigating, submit
from .test_public import form_data, media_files, new_url, status_url

pytestmark = pytest.mark.django_db


def stored(evidence):
    with evidence.file.open("rb") as handle:
        data = handle.read()
    # What the row records is what is on disk.
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert evidence.size == len(data)
    return data


def test_public_form_strips_a_phone_jpeg_and_turns_it_upright(personas):
    world = personas.a
    original = phone_jpeg(orientation=6)  # 64x48 stored, shown 48x64
    upload = SimpleUploadedFile("IMG_0042.jpg", original, content_type="image/jpeg")
    response = Client().post(new_url(world), {**form_data(world), "evidence": upload})
    assert response.status_code == 200, response.content.decode()[:500]
    evidence = Evidence.objects.get()
    data = stored(evidence)
    assert_clean(data)
    assert displayed(data).size == (48, 64)
    assert_same_picture(data, original, tolerance=3)
    assert evidence.content_type == "image/jpeg" and evidence.file.name.endswith(".jpg")
    assert evidence.sha256 != hashlib.sha256(original).hexdigest()


def test_public_api_strips_an_upright_jpeg_losslessly(personas):
    world = personas.a
    original = phone_jpeg(orientation=1)
    url = reverse("complaints-public-api:submit", kwargs={"program": world.slug})
    response = Client().post(
        url,
        {
            "narrative": "Photo of the locked gate.",
            "facility": world.facility.pk,
            "category": "health_safety",
            "evidence": SimpleUploadedFile("gate.jpg", original, content_type="image/jpeg"),
        },
    )
    assert response.status_code == 201, response.content
    data = stored(Evidence.objects.get())
    assert_clean(data)
    # No orientation to apply: the compressed picture is copied, pixel for pixel.
    assert_same_picture(data, original, tolerance=0)
    assert len(data) < len(original)


def test_public_form_strips_png_text_exif_and_xmp_chunks(personas):
    world = personas.a
    original = phone_png(orientation=1)
    upload = SimpleUploadedFile("screen.png", original, content_type="image/png")
    response = Client().post(new_url(world), {**form_data(world), "evidence": upload})
    assert response.status_code == 200
    data = stored(Evidence.objects.get())
    assert_clean(data)
    assert_same_picture(data, original, tolerance=0)


def test_worker_reply_heic_is_stored_as_a_clean_jpeg(personas):
    world = personas.a
    case, code = submit(world)
    response = Client().post(
        status_url(world),
        {
            "receipt_code": crypto.format_receipt_code(code),
            "body": "Foto del campo.",
            "attachment": SimpleUploadedFile("IMG_0001.HEIC", PHONE_HEIC, "image/heic"),
        },
    )
    assert response.status_code == 200
    evidence = Evidence.objects.get(case=case)
    data = stored(evidence)
    assert data[:3] == b"\xff\xd8\xff"
    assert evidence.content_type == "image/jpeg" and evidence.file.name.endswith(".jpg")
    assert_clean(data)
    assert displayed(data).size == (48, 64)  # the HEIC's rotation applied


def test_malformed_jpeg_is_refused_on_the_public_form_and_api(personas):
    world = personas.a
    upload = SimpleUploadedFile("photo.jpg", malformed_jpeg(), content_type="image/jpeg")
    response = Client().post(new_url(world), {**form_data(world), "evidence": upload})
    assert response.status_code == 400
    assert "could not be read" in response.content.decode()
    url = reverse("complaints-public-api:submit", kwargs={"program": world.slug})
    response = Client().post(
        url,
        {
            "narrative": "x",
            "facility": world.facility.pk,
            "evidence": SimpleUploadedFile("p.jpg", malformed_jpeg(), "image/jpeg"),
        },
    )
    assert response.status_code == 400
    assert "could not be read" in str(response.json()["evidence"])
    assert Case.objects.count() == 0 and Evidence.objects.count() == 0
    assert media_files() == []


def test_truncated_jpeg_is_refused(personas):
    world = personas.a
    cut = phone_jpeg(orientation=1)[:-150]  # the EXIF is whole, the picture is not
    upload = SimpleUploadedFile("photo.jpg", cut, content_type="image/jpeg")
    response = Client().post(new_url(world), {**form_data(world), "evidence": upload})
    assert response.status_code == 400
    assert Evidence.objects.count() == 0 and media_files() == []


def test_staff_evidence_form_and_api_strip_metadata(personas, client_for):
    world = personas.a
    case = investigating(world)
    inv = client_for(world.user(Role.INVESTIGATOR))
    original = phone_jpeg(orientation=6)
    response = inv.post(
        reverse("complaints:evidence_add", kwargs={"program": world.slug, "pk": case.pk}),
        {"file": SimpleUploadedFile("IMG_7.jpg", original, "image/jpeg")},
    )
    assert response.status_code == 302
    response = inv.post(
        reverse(
            "complaints-api:case-evidence-list", kwargs={"program": world.slug, "case_pk": case.pk}
        ),
        {"file": SimpleUploadedFile("chat.png", phone_png(orientation=6), "image/png")},
    )
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == "image/png"
    by_type = {e.content_type: e for e in Evidence.objects.filter(case=case)}
    jpeg, png = stored(by_type["image/jpeg"]), stored(by_type["image/png"])
    for data in (jpeg, png):
        assert_clean(data)
        assert displayed(data).size == (48, 64)
    assert_same_picture(jpeg, original, tolerance=3)
    assert_same_picture(png, phone_png(orientation=6), tolerance=0)
    # The audit log's hash is of the stored file too.
    logged = AuditEvent.objects.filter(verb="evidence.added").values_list("payload", flat=True)
    assert {p["sha256"] for p in logged} == {e.sha256 for e in by_type.values()}


def test_staff_api_refuses_a_malformed_jpeg(personas, client_for):
    world = personas.a
    case = investigating(world)
    inv = client_for(world.user(Role.INVESTIGATOR))
    response = inv.post(
        reverse(
            "complaints-api:case-evidence-list", kwargs={"program": world.slug, "case_pk": case.pk}
        ),
        {"file": SimpleUploadedFile("x.jpg", malformed_jpeg(), "image/jpeg")},
    )
    assert response.status_code == 400 and "could not be read" in str(response.json())
    assert Evidence.objects.count() == 0


def test_upload_spooled_to_disk_is_stripped_too(personas, settings):
    # Django writes larger uploads to a temporary file; that file is rewritten in place.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100
    world = personas.a
    upload = SimpleUploadedFile("IMG.jpg", phone_jpeg(orientation=1), content_type="image/jpeg")
    response = Client().post(new_url(world), {**form_data(world), "evidence": upload})
    assert response.status_code == 200
    assert_clean(stored(Evidence.objects.get()))


def test_a_photo_too_large_to_check_is_refused_as_too_large_in_the_workers_language(personas):
    from tests.test_upload_strip import _png_claiming

    world = personas.a
    huge = SimpleUploadedFile("photo.png", _png_claiming(10_000, 10_000), "image/png")
    response = Client().post(new_url(world, "es"), {**form_data(world), "evidence": huge})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Esta foto es demasiado grande para revisarla." in page
    assert "could not be read" not in page and "no se pudo" not in page.lower()
    assert Case.objects.count() == 0 and Evidence.objects.count() == 0
