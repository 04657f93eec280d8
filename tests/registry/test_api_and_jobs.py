"""The import through the API (the JSON of rows, a file), and a large file's preview and
apply as background jobs with progress."""

import pytest

from programs.models import Facility
from registry import services, tasks
from registry.models import ImportBatch, ImportStatus

from .conftest import HEADER, csv_bytes

pytestmark = pytest.mark.django_db


def test_api_json_rows_preview_and_apply(a, client_for):
    client = client_for(a.user("staff"))
    url = f"/api/v1/programs/{a.slug}/imports/"
    rows = {
        "rows": [
            {
                "supplier_name": "Api Growers",
                "name": "Api Farm",
                "address": "1 Rd",
                "country": "US",
            },
            {
                "supplier_name": "Api Growers",
                "name": "Bad Farm",
                "address": "2 Rd",
                "country": "USA",
            },
        ]
    }
    response = client.post(url, rows, content_type="application/json")
    assert response.status_code == 201, response.content
    batch = response.json()
    assert batch["status"] == "preview"
    assert batch["summary"]["create"] == 1 and batch["summary"]["refused"] == 1
    assert "not a two-letter ISO country code" in batch["preview"][1]["errors"][0]
    response = client.post(f"{url}{batch['id']}/apply/")
    assert response.status_code == 200, response.content
    assert response.json()["report"]["facilities_created"] == 1
    assert Facility.objects.filter(program=a.program, name="Api Farm").exists()
    # Applied once: a second apply is refused.
    assert client.post(f"{url}{batch['id']}/apply/").status_code in (400, 409)


def test_api_refuses_viewer_and_hides_batches_from_other_programs(a, b, client_for):
    url = f"/api/v1/programs/{a.slug}/imports/"
    assert client_for(a.user("viewer")).post(url, {"file": _file()}).status_code == 403
    response = client_for(a.user("staff")).post(url, {"file": _file()})
    assert response.status_code == 201
    batch_id = response.json()["id"]
    other = client_for(b.user("admin"))
    assert other.get(f"{url}{batch_id}/").status_code == 404
    assert other.get(f"/api/v1/programs/{b.slug}/imports/{batch_id}/").status_code == 404


def _file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = csv_bytes([HEADER, ["S", "F", "1 Rd", "BD", "", "", "", "", "", ""]])
    return SimpleUploadedFile("list.csv", data, "text/csv")


def test_a_large_file_runs_as_jobs(a, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(services, "SYNC_ROWS", 2)
    queued = []
    monkeypatch.setattr(tasks.import_analyse_task, "delay", lambda *args: queued.append(args))
    monkeypatch.setattr(tasks.import_apply_task, "delay", lambda *args: queued.append(args))
    rows = [[f"S{i}", f"F{i}", f"{i} Rd", "BD", "", "", "", "", "", ""] for i in range(5)]
    staff = a.user("staff")
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.import_upload(
            actor=staff, program=a.program, filename="big.csv", data=csv_bytes([HEADER, *rows])
        )
        services.import_preview_start(batch)
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.ANALYSING
    assert queued == [(str(batch.pk), a.program.pk)]
    assert tasks.import_analyse_task(*queued.pop()) == ImportStatus.PREVIEW
    # Scope re-checked: another program's id finds nothing.
    assert tasks.import_analyse_task(str(batch.pk), a.program.pk + 999) is None

    batch = ImportBatch.objects.get(pk=batch.pk)
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.import_apply_start(actor=staff, batch=batch)
    assert batch.status == ImportStatus.APPLYING
    assert tasks.import_apply_task(*queued.pop()) == ImportStatus.APPLIED
    # Redelivered: the batch is applied, nothing happens twice.
    assert tasks.import_apply_task(str(batch.pk), a.program.pk, staff.pk) is None
    assert Facility.objects.filter(program=a.program, name__startswith="F").count() == 5
    assert services.batch_progress(ImportBatch.objects.get(pk=batch.pk)) == 100


@pytest.mark.parametrize(
    "name,data",
    [
        ("list.csv", b"supplier_name,name\nS\x00,F\n"),
        ("rows.json", b'[{"supplier_name": "S\\u0000", "name": "F"}]'),
        ("rows.json", b'[{"supplier\\u0000name": "S", "name": "F"}]'),
        # Not CSV at all: a PNG (the csv module's "new-line character seen in unquoted
        # field" was a 500).
        ("file.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"),
    ],
    ids=["csv", "json-value", "json-key", "png"],
)
def test_api_a_file_that_is_not_text_is_refused(a, client_for, name, data):
    """A NUL in an uploaded file's text (the request guard reads form fields and JSON
    bodies, not files) reached PostgreSQL's jsonb as a 500, and a file the csv module
    cannot read raised its error as a 500; both are a clear 400 now."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = f"/api/v1/programs/{a.slug}/imports/"
    before = ImportBatch.objects.count()
    response = client_for(a.user("staff")).post(url, {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 400, response.content
    assert "could not be read" in response.json()["detail"]
    assert ImportBatch.objects.count() == before


@pytest.mark.parametrize("body", [[{"mapping": {}}], "text", {"mapping": "name"}])
def test_api_a_mapping_that_is_not_an_object_is_refused(a, client_for, body):
    """A list or a string for the body was a 500 (read with .get()); a 400 now, and the
    batch's mapping is unchanged."""
    client = client_for(a.user("staff"))
    url = f"/api/v1/programs/{a.slug}/imports/"
    batch_id = client.post(url, {"file": _file()}).json()["id"]
    before = ImportBatch.objects.get(pk=batch_id).mapping
    response = client.post(f"{url}{batch_id}/mapping/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert ImportBatch.objects.get(pk=batch_id).mapping == before
