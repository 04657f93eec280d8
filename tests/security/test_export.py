"""The program export (/p/<program>/exports/, a background job): every tenant table, only this
program's rows, no secrets by default, admins only, one audit event per export."""

import csv
import io
import re
import tempfile
import zipfile

import pytest
from django.test import override_settings
from django.urls import reverse

from core.actors import PUBLIC, SystemActor
from core.models import AuditEvent, ExportJob, ProgramOwned
from core.roles import Role
from exports.services import csv_name, export_columns, exportable_models, is_secret_field
from programs import services as program_services

IDENTITY = {"name": "Marisol Quintero", "phone": "+1 239 555 0142", "email": "mq@example.net"}


def _url(world, **params):
    """The export's page (/p/<program>/exports/); ``identity=1`` asks for identities."""
    url = reverse("program-export-job", kwargs={"program": world.slug})
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


def _download(client, url):
    """Start the export job from its page, build it as the worker does (the Celery task
    calls ``jobs.job_run``; tests/security/test_export_jobs.py runs a real worker), and
    download the archive from the page's link."""
    from urllib.parse import parse_qs, urlsplit

    from exports import jobs

    parts = urlsplit(url)
    identity = parse_qs(parts.query).get("identity") == ["1"]
    started = client.post(parts.path, {"identity": "1"} if identity else {})
    assert started.status_code == 302, started.status_code
    job_id = parse_qs(urlsplit(started["Location"]).query)["job"][0]
    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        assert str(jobs.job_run(job_id=job_id)) == job_id
        page = client.get(started["Location"]).content.decode()
        link = re.search(r'href="([^"]*/exports/download/\?job=[^"]+)"', page).group(1)
        response = client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200, response.status_code
        assert response["Content-Type"] == "application/zip"
        assert "attachment" in response["Content-Disposition"]
        assert response["Cache-Control"] == "no-store"
        return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_old_address_sends_admins_to_the_job_page(personas, client_for):
    """/p/<program>/export.zip built the archive inside the request; now it is the way
    to the job's page (links and bookmarks keep working), and still admins only."""
    a = personas.a
    old = reverse("program-export", kwargs={"program": a.slug})
    response = client_for(a.user(Role.ADMIN)).get(old)
    assert response.status_code == 302 and response["Location"] == _url(a)
    assert client_for(a.user(Role.STAFF)).get(old).status_code == 403
    assert client_for(personas.b.user(Role.ADMIN)).get(old).status_code == 404
    assert not AuditEvent.objects.filter(verb="program.exported").exists()


def _rows(zf, name):
    with zf.open(name) as raw:
        return list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline="")))


def _file_a_complaint(world, narrative="The crew boss keeps our passports."):
    from complaints import services as complaint_services

    case, _code = complaint_services.complaint_submit(
        actor=PUBLIC,
        program=world.program,
        narrative=narrative,
        facility=world.facility,
        identity=IDENTITY,
    )
    return case


def test_discovers_every_program_owned_table():
    found = set(exportable_models())
    owned = {
        m
        for m in __import__("django.apps", fromlist=["apps"]).apps.get_models()
        if issubclass(m, ProgramOwned)
    }
    assert owned <= found, f"not exported: {sorted(m._meta.label for m in owned - found)}"
    assert AuditEvent in found
    # Every exported table has the program FK the export filters on.
    for model in found:
        assert model._meta.get_field("program").related_model._meta.label == "programs.Program"


def test_export_has_every_table_with_only_this_programs_rows(personas, client_for):
    a, b = personas.a, personas.b
    _file_a_complaint(a)
    _file_a_complaint(b, narrative="Bravo's own complaint, never in Alpha's export.")
    # Counted before the download. Starting the job adds its row and its request's audit
    # event before the archive is built; the export's own event comes after it.
    counts = {
        m: m._base_manager.filter(program_id=a.program.pk).count() for m in exportable_models()
    }
    counts[AuditEvent] += 1
    counts[ExportJob] += 1
    zf = _download(client_for(a.user(Role.ADMIN)), _url(a))
    names = set(zf.namelist())
    manifest = __import__("json").loads(zf.read("manifest.json"))
    for model in exportable_models():
        name = csv_name(model)
        assert name in names, f"{name} missing from the export"
        rows = _rows(zf, name)
        expected = counts[model]
        assert len(rows) == expected, f"{name}: {len(rows)} rows, {expected} in the database"
        assert manifest["tables"][name] == expected
        if rows:
            assert {r["program_id"] for r in rows} == {str(a.program.pk)}, name
            header = set(rows[0])
            assert {f.attname for f in export_columns(model)} == header
    program_rows = _rows(zf, "programs/program.csv")
    assert [r["slug"] for r in program_rows] == [a.slug]

    suppliers = {r["legal_name"] for r in _rows(zf, "programs/supplier.csv")}
    assert a.supplier.legal_name in suppliers
    assert b.supplier.legal_name not in suppliers
    blob = b"".join(zf.read(n) for n in names)
    assert b"Bravo" not in blob, "a row or value of program B leaked into A's export"
    # The audit log travels with the data, hash chain included, so it can be verified.
    audit = _rows(zf, "wsr/auditevent.csv")
    assert audit and {"hash", "prev_hash", "seq"} <= set(audit[0])


def test_export_leaves_out_identity_and_receipt_hashes_by_default(personas, client_for):
    a = personas.a
    case = _file_a_complaint(a)
    zf = _download(client_for(a.user(Role.ADMIN)), _url(a))
    blob = b"".join(zf.read(n) for n in zf.namelist())
    for value in IDENTITY.values():
        assert value.encode() not in blob
    assert case.identity_ciphertext.encode() not in blob
    assert case.receipt_hash.encode() not in blob
    cases = _rows(zf, "complaints/case.csv")
    assert "identity_ciphertext" not in cases[0] and "receipt_hash" not in cases[0]
    assert "complaints/complainant_identities.csv" not in zf.namelist()
    event = AuditEvent.objects.filter(program=a.program, verb="program.exported").get()
    assert event.payload["identity_included"] is False


def test_admin_may_ask_for_identities_and_it_is_audited(personas, client_for):
    a = personas.a
    case = _file_a_complaint(a)
    zf = _download(client_for(a.user(Role.ADMIN)), _url(a, identity=1))
    rows = _rows(zf, "complaints/complainant_identities.csv")
    assert rows == [
        {
            "case_id": str(case.pk),
            "reference": case.reference,
            "name": IDENTITY["name"],
            "phone": "'" + IDENTITY["phone"],  # a leading + would start a formula
            "email": IDENTITY["email"],
            "other": "",
        }
    ]
    event = AuditEvent.objects.filter(program=a.program, verb="program.exported").get()
    assert event.payload["identity_included"] is True
    assert event.payload["identities"] == 1
    assert event.actor == a.user(Role.ADMIN)


def test_each_export_is_an_audit_event(personas, client_for):
    a = personas.a
    client = client_for(a.user(Role.ADMIN))
    for expected in (1, 2, 3):
        _download(client, _url(a))
        assert AuditEvent.objects.filter(program=a.program, verb="program.exported").count() == (
            expected
        )


def test_formula_cells_are_neutralized(personas, client_for):
    a = personas.a
    program_services.supplier_create(
        actor=SystemActor("test-setup"),
        program=a.program,
        legal_name='=HYPERLINK("http://x")',
        country="US",
    )
    zf = _download(client_for(a.user(Role.ADMIN)), _url(a))
    names = {r["legal_name"] for r in _rows(zf, "programs/supplier.csv")}
    assert '\'=HYPERLINK("http://x")' in names
    assert '=HYPERLINK("http://x")' not in names


@pytest.mark.parametrize(
    "role", [Role.STAFF, Role.INVESTIGATOR, Role.AUDITOR, Role.VIEWER, Role.BUYER_OFFICER]
)
def test_non_admin_members_are_refused(role, personas, client_for):
    a = personas.a
    response = client_for(a.user(role)).get(_url(a, identity=1))
    assert response.status_code in (403, 404)
    assert not AuditEvent.objects.filter(program=a.program, verb="program.exported").exists()


def test_other_program_admin_outsider_and_anonymous_are_refused(personas, client_for):
    a, b = personas.a, personas.b
    assert client_for(b.user(Role.ADMIN)).get(_url(a)).status_code == 404
    assert client_for(personas.outsider).get(_url(a)).status_code == 404
    anonymous = client_for(None).get(_url(a))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert not AuditEvent.objects.filter(verb="program.exported").exists()


def test_secret_field_rule():
    from complaints.models import Case

    assert is_secret_field(Case._meta.get_field("identity_ciphertext"))
    assert is_secret_field(Case._meta.get_field("receipt_hash"))
    assert not is_secret_field(AuditEvent._meta.get_field("hash"))
    assert not is_secret_field(AuditEvent._meta.get_field("prev_hash"))


def test_worker_channel_numbers_and_secrets_are_never_exported():
    from complaints.channels.models import ChannelConfig, ChannelContact, ChannelMessage

    assert is_secret_field(ChannelContact._meta.get_field("phone_hash"))
    assert is_secret_field(ChannelContact._meta.get_field("phone_ciphertext"))
    assert is_secret_field(ChannelContact._meta.get_field("draft_ciphertext"))
    assert is_secret_field(ChannelConfig._meta.get_field("secret_ciphertext"))
    assert is_secret_field(ChannelMessage._meta.get_field("body_ciphertext"))
