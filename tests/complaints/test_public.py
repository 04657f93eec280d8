"""The public complaint line: intake, receipt codes, status thread, bad input, privacy."""

import re

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from complaints import crypto, services
from complaints.models import Case, Evidence, Message
from core.models import AuditEvent
from core.roles import Role

from .conftest import submit

pytestmark = pytest.mark.django_db

# A real 1x1 PNG without metadata (uploads are decoded: a signature alone is refused).
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc8!'\x07\x00\x02\xb6\x01\x054\xa6u\xaa\x00\x00\x00\x00"
    b"IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n"


def new_url(world, lang=None):
    url = reverse("complaints-public:new", kwargs={"program": world.slug})
    return f"{url}?lang={lang}" if lang else url


def status_url(world):
    return reverse("complaints-public:status", kwargs={"program": world.slug})


def form_data(world, **extra):
    data = {
        "facility": str(world.facility.pk),
        "facility_description": "",
        "category": "health_safety",
        "narrative": "No hay agua en el campo desde el lunes.",
        "occurred": "la semana pasada",
        "stay_anonymous": "on",
    }
    data.update(extra)
    return data


def extract_code(html):
    match = re.search(r'id="receipt-code"[^>]*>([\d ]+)<', html)
    assert match, html
    return match.group(1)


def media_files():
    root = settings.MEDIA_ROOT / "complaints"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# ---------------------------------------------------------------- intake


def test_anonymous_submission_returns_code_once_and_stores_only_its_hash(personas):
    world = personas.a
    client = Client()
    response = client.post(new_url(world, "es"), form_data(world))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Recibimos su queja" in html
    code = extract_code(html)
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", code)
    digits = code.replace(" ", "")
    case = Case.objects.get(program=world.program)
    assert case.receipt_hash == crypto.receipt_hash(digits)
    assert digits not in case.receipt_hash
    assert case.is_anonymous and case.identity_ciphertext == ""
    assert case.language == "es" and case.channel == "web"
    # The code appears in no column of the row and no audit payload.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT row_to_json(c)::text FROM complaints_case c WHERE id = %s", [case.pk]
        )
        assert digits not in cursor.fetchone()[0]
    for payload in AuditEvent.objects.values_list("payload", flat=True):
        assert digits not in str(payload)
    # A second visit shows a fresh form, never the code again.
    again = client.get(new_url(world)).content.decode()
    assert code not in again


def test_anonymous_choice_with_typed_contact_details_asks_and_loses_nothing(personas):
    """Issue 17.3: a phone number typed under "stay anonymous" was silently dropped. The
    form now asks which the worker meant, and keeps what they typed on the page."""
    world = personas.a
    response = Client().post(
        new_url(world), form_data(world, contact_name="Rosa", contact_phone="555-0101")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "You chose to stay anonymous but wrote a way to reach you" in html
    assert 'value="555-0101"' in html  # still on the page, not lost
    assert Case.objects.count() == 0
    # Choosing to give it files the complaint with it.
    Client().post(
        new_url(world),
        form_data(world, stay_anonymous="no", contact_name="Rosa", contact_phone="555-0101"),
    )
    case = Case.objects.get(program=world.program)
    assert not case.is_anonymous and crypto.decrypt_identity(case.identity_ciphertext)["phone"]
    # Anonymous with nothing typed stays anonymous.
    Client().post(new_url(world), form_data(world, stay_anonymous="yes"))
    assert Case.objects.filter(program=world.program, is_anonymous=True).count() == 1


def test_category_starts_unchosen(personas):
    """Issue 17.4: the form preselected "Forced labor or debt"."""
    world = personas.a
    html = Client().get(new_url(world)).content.decode()
    select = re.search(r'<select name="category".*?</select>', html, re.S).group(0)
    first = re.search(r"<option[^>]*>", select).group(0)
    assert 'value=""' in first and "selected" in first
    assert select.count("selected") == 1
    response = Client().post(new_url(world), form_data(world, category=""))
    assert response.status_code == 400 and Case.objects.count() == 0


def test_contact_details_are_encrypted_at_rest(personas):
    world = personas.a
    Client().post(
        new_url(world),
        form_data(
            world,
            stay_anonymous="",
            contact_name="Rosa Martínez",
            contact_phone="+1 239 555 0101",
        ),
    )
    case = Case.objects.get(program=world.program)
    with connection.cursor() as cursor:
        cursor.execute("SELECT identity_ciphertext FROM complaints_case WHERE id = %s", [case.pk])
        raw = cursor.fetchone()[0]
    assert raw.startswith("gAAAAA")  # a Fernet token
    assert "Rosa" not in raw and "555" not in raw
    assert crypto.decrypt_identity(raw)["name"] == "Rosa Martínez"
    assert not case.is_anonymous


def test_public_pages_speak_four_languages(personas):
    world = personas.a
    expected = {
        "en": "File a complaint",
        "es": "Presentar una queja",
        "ht": "Depoze yon plent",
        "bn": "অভিযোগ করুন",
    }
    for lang, text in expected.items():
        response = Client().get(new_url(world, lang))
        html = response.content.decode()
        assert text in html, lang
        assert f'<html lang="{lang}">' in html
        # Categories are plain words, never provision numbers.
        assert "1.1" not in html
    ht = Client().get(new_url(world, "ht")).content.decode()
    assert "kreyòl ayisyen" in ht.lower() and "Sante ak sekirite" in ht


def test_language_choice_persists_in_the_language_cookie_only(personas):
    world = personas.a
    client = Client()
    response = client.get(new_url(world, "bn"))
    assert set(response.cookies) <= {settings.LANGUAGE_COOKIE_NAME, settings.CSRF_COOKIE_NAME}
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "bn"
    # The next page, without ?lang=, stays in Bengali.
    assert "আপনার অভিযোগের খবর নিন" in client.get(status_url(world)).content.decode()


def test_public_responses_are_private(personas):
    world = personas.a
    client = Client()
    client.force_login(world.user(Role.STAFF))  # even a logged-in browser gets no session
    for response in (
        client.get(new_url(world)),
        client.post(status_url(world), {"receipt_code": "0000 0000 0000 0000"}),
    ):
        assert response["Cache-Control"] == "no-store"
        assert response["Referrer-Policy"] == "no-referrer"
        assert "Content-Security-Policy" in response
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]
        assert settings.SESSION_COOKIE_NAME not in response.cookies
        html = response.content.decode()
        # No third-party resources: every src/href is relative to this site.
        for url in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert not re.match(r"^(https?:)?//", url), url


# ---------------------------------------------------------------- status by receipt code


def test_receipt_code_opens_the_thread_and_worker_can_reply(personas):
    world = personas.a
    case, code = submit(world)
    services.case_triage(
        actor=world.user(Role.STAFF), case=case, category=case.category, priority="normal"
    )
    services.case_assign(
        actor=world.user(Role.STAFF), case=case, investigator=world.user(Role.INVESTIGATOR)
    )
    services.message_send(
        actor=world.user(Role.INVESTIGATOR), case=case, body="¿En qué cuadrilla trabaja?"
    )
    client = Client()
    response = client.post(
        status_url(world) + "?lang=es", {"receipt_code": crypto.format_receipt_code(code)}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "¿En qué cuadrilla trabaja?" in html
    assert "Leímos su queja" in html
    assert world.user(Role.INVESTIGATOR).get_username() not in html  # staff names hidden
    photo = SimpleUploadedFile("IMG_rosa.png", PNG, content_type="image/png")
    response = client.post(
        status_url(world),
        {"receipt_code": code, "body": "Cuadrilla 4.", "attachment": photo},
    )
    assert response.status_code == 200
    assert "Cuadrilla 4." in response.content.decode()
    message = Message.objects.get(case=case, direction="from_worker")
    evidence = Evidence.objects.get(message=message)
    assert evidence.from_worker and evidence.content_type == "image/png"
    assert "rosa" not in evidence.file.name  # the uploader's file name is not kept


def test_wrong_codes_fail_uniformly(personas):
    world = personas.a
    _case, code = submit(world)
    wrong = [
        "0000 0000 0000 0000",
        code[:-1] + str((int(code[-1]) + 1) % 10),  # one digit off
        "9999-9999-9999-9999",
    ]
    bodies = set()
    for attempt in wrong:
        response = Client().post(status_url(world), {"receipt_code": attempt})
        assert response.status_code == 404
        html = response.content.decode()
        assert "We could not find a complaint with this code" in html
        assert attempt not in html  # the guess is not echoed
        bodies.add(re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html))
    assert len(bodies) == 1  # byte-identical pages for every wrong code


def test_wrong_codes_fail_uniformly_in_the_api(personas):
    world = personas.a
    submit(world)
    url = reverse("complaints-public-api:status", kwargs={"program": world.slug})
    answers = set()
    for attempt in ("0000000000000000", "1234 5678 9012 3456"):
        response = Client().post(url, {"receipt_code": attempt}, content_type="application/json")
        assert response.status_code == 404
        answers.add(response.content)
    assert len(answers) == 1


@pytest.mark.parametrize(
    "bad", ["", "123", "abcd efgh ijkl mnop", "1" * 17, "１２３４５６７８９０１２３４５６"]
)
def test_malformed_receipt_code_gives_a_clear_error(personas, bad):
    world = personas.a
    response = Client().post(status_url(world), {"receipt_code": bad})
    assert response.status_code == 400
    html = response.content.decode()
    assert "16 digits" in html or "Please enter your receipt code" in html
    api = reverse("complaints-public-api:status", kwargs={"program": world.slug})
    response = Client().post(api, {"receipt_code": bad}, content_type="application/json")
    assert response.status_code == 400


def test_lookup_throttle_engages_for_html_and_api(personas):
    world = personas.a
    _case, code = submit(world)
    limit = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["receipt_lookup"].split("/")[0])
    client = Client()
    statuses = [
        client.post(status_url(world), {"receipt_code": "0000 0000 0000 0000"}).status_code
        for _ in range(limit)
    ]
    assert statuses == [404] * limit
    response = client.post(status_url(world), {"receipt_code": code})
    assert response.status_code == 429  # even the right code waits: nothing to learn
    assert "Too many attempts" in response.content.decode()
    api = reverse("complaints-public-api:status", kwargs={"program": world.slug})
    response = client.post(api, {"receipt_code": code}, content_type="application/json")
    assert response.status_code == 429
    # Another program's bucket is separate.
    _b_case, b_code = submit(personas.b)
    response = client.post(status_url(personas.b), {"receipt_code": b_code})
    assert response.status_code == 200


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "change,field,message",
    [
        ({"narrative": "   "}, "narrative", "Please tell us what happened."),
        ({"narrative": ""}, "narrative", "Please tell us what happened."),
        ({"facility": "999999"}, "facility", "Please choose a workplace from the list."),
        ({"facility": "", "facility_description": ""}, "facility_description", "describe where"),
        ({"category": "not-a-category"}, "category", "Please choose one of the options"),
        ({"stay_anonymous": ""}, "contact_name", "at least one way to reach you"),
    ],
)
def test_bad_intake_is_refused_and_nothing_stored(personas, change, field, message):
    world = personas.a
    events = AuditEvent.objects.count()
    response = Client().post(new_url(world), form_data(world, **change))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Case.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_facility_of_another_program_is_refused(personas):
    world = personas.a
    response = Client().post(new_url(world), form_data(world, facility=str(personas.b.facility.pk)))
    assert response.status_code == 400
    assert "Please choose a workplace from the list." in response.content.decode()
    assert Case.objects.count() == 0
    with pytest.raises(ValidationError, match="workplace"):
        submit(world, facility=personas.b.facility)
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("photo.jpg", b"MZ\x90\x00 this is a windows executable", "not accepted"),
        ("notes.pdf", b"<html><script>alert(1)</script></html>", "not accepted"),
        ("empty.png", b"", "empty"),
    ],
)
def test_wrong_type_uploads_are_refused_by_content(personas, name, content, message):
    world = personas.a
    upload = SimpleUploadedFile(name, content, content_type="image/jpeg")
    response = Client().post(new_url(world), {**form_data(world), "evidence": upload})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Case.objects.count() == 0 and Evidence.objects.count() == 0
    assert media_files() == []


def test_oversized_upload_is_refused(personas, settings):
    world = personas.a
    settings.MAX_UPLOAD_BYTES = 1024 * 1024
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (1024 * 1024), content_type="application/pdf")
    response = Client().post(new_url(world), {**form_data(world), "evidence": big})
    assert response.status_code == 400
    assert "too large" in response.content.decode()
    assert Case.objects.count() == 0 and Evidence.objects.count() == 0
    assert media_files() == []


def test_valid_upload_is_stored_with_checksum(personas):
    world = personas.a
    upload = SimpleUploadedFile("scan.pdf", PDF, content_type="text/plain")
    response = Client().post(new_url(world), {**form_data(world), "evidence": upload})
    assert response.status_code == 200
    evidence = Evidence.objects.get()
    import hashlib

    assert evidence.sha256 == hashlib.sha256(PDF).hexdigest()
    assert evidence.content_type == "application/pdf"  # by content, not the client's claim
    assert evidence.from_worker and evidence.uploaded_by is None


def test_public_api_submission_and_bad_input(personas):
    world = personas.a
    url = reverse("complaints-public-api:submit", kwargs={"program": world.slug})
    client = Client()
    response = client.post(
        url,
        {"narrative": "", "facility": world.facility.pk, "category": "wages"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "narrative" in response.json()
    response = client.post(
        url,
        {"narrative": "x", "facility": personas.b.facility.pk},
        content_type="application/json",
    )
    assert response.status_code == 400 and "facility" in response.json()
    response = client.post(
        url, {"narrative": 12, "facility": "abc"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert Case.objects.count() == 0
    response = client.post(
        url,
        {"narrative": "Pay was short", "facility": world.facility.pk, "category": "wages"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Cache-Control"] == "no-store"
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", body["receipt_code"])
    status_api = reverse("complaints-public-api:status", kwargs={"program": world.slug})
    response = client.post(
        status_api, {"receipt_code": body["receipt_code"]}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["reference"] == body["reference"]
    reply = reverse("complaints-public-api:reply", kwargs={"program": world.slug})
    response = client.post(
        reply,
        {"receipt_code": body["receipt_code"], "body": "More detail"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["messages"][0]["body"] == "More detail"
