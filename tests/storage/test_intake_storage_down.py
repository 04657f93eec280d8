"""The complaint line with object storage down: a complaint with a file gets a clear
answer in the worker's language and nothing half-recorded; a complaint without one is
received as always. With storage up, the file is in the case's folder, encrypted."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from complaints.models import Case, Evidence
from core import filecrypt
from tests.complaints.test_public import PDF, extract_code, form_data, new_url

from .conftest import raw_object, s3_env

pytestmark = pytest.mark.django_db


@pytest.fixture
def storage_on_process(moto_process, settings, monkeypatch):
    from config.settings import base

    proc, endpoint, client = moto_process
    client.create_bucket(Bucket="wsr-intake")
    for key, value in s3_env(endpoint, "wsr-intake").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("S3_CONNECT_TIMEOUT", "1")
    monkeypatch.setenv("S3_READ_TIMEOUT", "1")
    settings.STORAGES = {**settings.STORAGES, "default": base.file_storage("s3")}
    return proc, client


def submit(world, **files):
    return Client().post(new_url(world, "es"), {**form_data(world), **files})


def test_with_storage_up_the_file_is_in_the_cases_folder_encrypted(personas, storage_on_process):
    _proc, client = storage_on_process
    world = personas.a
    response = submit(world, evidence=SimpleUploadedFile("scan.pdf", PDF, "application/pdf"))
    assert response.status_code == 200
    extract_code(response.content.decode())
    case = Case.objects.get()
    evidence = Evidence.objects.get(case=case)
    # The case's id was taken before the case was written, and the file stored under it.
    assert evidence.file.name.startswith(f"complaints/{world.program.pk}/{case.pk}/")
    raw = raw_object(client, "wsr-intake", evidence.file.name)
    assert raw.startswith(filecrypt.MAGIC) and b"%PDF" not in raw
    assert evidence.file.open().read() == PDF


def test_with_storage_down_the_line_still_takes_complaints(personas, storage_on_process):
    proc, _client = storage_on_process
    world = personas.a
    proc.kill()
    proc.wait(timeout=30)

    response = submit(world, evidence=SimpleUploadedFile("scan.pdf", PDF, "application/pdf"))
    assert response.status_code == 400
    assert "Su archivo no se pudo guardar en este momento" in response.content.decode()
    assert Case.objects.count() == 0 and Evidence.objects.count() == 0

    response = submit(world)
    assert response.status_code == 200
    assert extract_code(response.content.decode())
    assert Case.objects.count() == 1


def test_staff_uploads_with_storage_down_are_a_clear_503_and_nothing_recorded(
    personas, storage_on_process
):
    from rest_framework.test import APIClient

    from audits.models import EvidenceFile
    from core.roles import Role
    from tests.audits.helpers import PNG, make_audit, make_finding

    proc, _client = storage_on_process
    a = personas.a
    finding = make_finding(a, make_audit(a))
    proc.kill()
    proc.wait(timeout=30)
    client = APIClient()
    client.force_authenticate(a.user(Role.AUDITOR))
    response = client.post(
        reverse("audits-api:finding-evidence", kwargs={"program": a.slug, "pk": finding.pk}),
        {"file": SimpleUploadedFile("photo.png", PNG)},
        format="multipart",
    )
    assert response.status_code == 503, response.content
    assert response.json()["code"] == "storage_unavailable"
    assert response["Retry-After"] == "60"
    assert not EvidenceFile.objects.exists()
