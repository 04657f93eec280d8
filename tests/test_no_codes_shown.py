"""People are shown words and links, not codes (issue 17, defect 9): a walk over the main
staff, buyer-portal and public pages and the PDFs, with a violation, its obligations and
an attestation recorded, looking for what only a developer reads: audit event codes
(``obligation.created``), record references (``enforcement.buyerobligation #10``), raw
standings, and ISO dates mixed into pages that show dates in the locale's format."""

import html
import re
import subprocess

import pytest
from django.urls import reverse

from core.event_labels import RECORD_WORDS
from core.roles import Role
from disclosure import reports, selectors
from enforcement import services as enforcement_services
from tests.buyer.helpers import make_violation_obligations
from tests.buyer.test_portal import pdf_upload

RECORDS = "|".join(map(re.escape, RECORD_WORDS))
EVENT_CODE = re.compile(rf"\b(?:{RECORDS})\.[a-z_]+\b")
RECORD_CODE = re.compile(r"\b[a-z]+\.[a-z]+ #\d+")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
STANDING_CODE = re.compile(r"\b(?:probation|reinstatement_review)\b")


def visible_text(page):
    """What a person reads: no scripts, styles, tags or attribute values."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]+>", " ", page)
    return " ".join(html.unescape(page).split())


def pdf_text(content, tmp_path):
    path = tmp_path / "page.pdf"
    path.write_bytes(content)
    run = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True)
    return " ".join(run.stdout.decode().split())


def _codes_in(text, *, dates=True):
    found = EVENT_CODE.findall(text) + RECORD_CODE.findall(text) + STANDING_CODE.findall(text)
    if dates:
        found += ISO_DATE.findall(text)
    return found


@pytest.fixture
def world(personas):
    a = personas.a
    obligations = make_violation_obligations(a)
    obligation = obligations[a.buyer.pk]
    officer = a.user(Role.BUYER_OFFICER)
    enforcement_services.obligation_acknowledge(actor=officer, obligation=obligation)
    enforcement_services.obligation_attest(
        actor=officer, obligation=obligation, note="Orders on hold.", evidence=pdf_upload()
    )
    obligation.refresh_from_db()
    return a, obligation


def test_staff_pages_show_words_links_and_one_date_format(world, client_for):
    a, obligation = world
    client = client_for(a.user(Role.ADMIN))
    slug = {"program": a.slug}
    pages = [
        reverse("programs:dashboard", kwargs=slug),
        reverse("programs:agreement_detail", kwargs={**slug, "pk": a.agreement.pk}),
        reverse("programs:supplier_detail", kwargs={**slug, "pk": a.supplier.pk}),
        reverse("enforcement:violation_list", kwargs=slug),
        reverse("enforcement:violation_detail", kwargs={**slug, "pk": obligation.violation_id}),
        reverse("enforcement:obligation_board", kwargs=slug),
        reverse("enforcement:obligation_detail", kwargs={**slug, "pk": obligation.pk}),
        reverse("enforcement:standing_list", kwargs=slug),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        text = visible_text(response.content.decode())
        assert _codes_in(text) == [], url

    # The activity list says what happened and links the record.
    dashboard = client.get(pages[0]).content.decode()
    assert "Obligation: attested" in visible_text(dashboard)
    obligation_url = reverse("enforcement:obligation_detail", kwargs={**slug, "pk": obligation.pk})
    assert f'href="{obligation_url}"' in dashboard


def test_buyer_portal_and_statement_show_words(world, client_for, tmp_path):
    a, obligation = world
    client = client_for(a.user(Role.BUYER_OFFICER))
    for url in (
        reverse("buyer:portal"),
        reverse("buyer:obligation_list"),
        reverse("buyer:obligation_detail", kwargs={"pk": obligation.pk}),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert _codes_in(visible_text(response.content.decode())) == [], url
    statement = client.get(reverse("buyer:obligations_pdf"))
    assert _codes_in(pdf_text(statement.content, tmp_path)) == []


def test_public_page_and_report_show_words(world, client_for, tmp_path):
    a, _obligation = world
    page = client_for(None).get(f"/public/{a.slug}/")
    assert page.status_code == 200
    # The public page's open-data tables keep ISO dates (they mirror the CSV columns).
    text = visible_text(page.content.decode())
    assert _codes_in(text, dates=False) == []
    # The buyer's agreement status in words (the open data keeps the code).
    assert not re.search(r"\bactive\b", text) and "Active" in text
    version = selectors.data_version(a.program)
    text = pdf_text(reports.render_report_pdf(a.program, version, "en"), tmp_path)
    assert _codes_in(text) == []


def test_event_labels_are_translated_and_unknown_codes_read_as_words():
    from django.utils import translation

    from core.event_labels import event_label

    with translation.override("es"):
        assert event_label("obligation.attested") == "Obligación: certificado"
    with translation.override("bn"):
        assert "obligation" not in event_label("obligation.created")
    # A verb added later without a label still reads as words, never as a code.
    assert event_label("greenhouse.double_checked") == "Greenhouse: double checked"


def test_staff_consequence_mail_links_the_violation(personas, django_capture_on_commit_callbacks):
    from django.core import mail

    from tests.utils import drain_mail

    a = personas.a
    with django_capture_on_commit_callbacks(execute=True):
        obligations = make_violation_obligations(a)
    drain_mail()
    violation_id = next(iter(obligations.values())).violation_id
    path = reverse("enforcement:violation_detail", kwargs={"program": a.slug, "pk": violation_id})
    staff_mail = [m for m in mail.outbox if a.user(Role.STAFF).email in m.to]
    assert staff_mail and any(path in m.body for m in staff_mail)


def test_case_page_shows_the_language_by_name_and_one_date_format(personas, client_for):
    """The case page (a timeline since issue 17) showed "es" and ISO dates and times."""
    from tests.complaints.conftest import submit

    a = personas.a
    case, _code = submit(a, language="es")
    client = client_for(a.user(Role.ADMIN))
    url = reverse("complaints:case_detail", kwargs={"program": a.slug, "pk": case.pk})
    response = client.get(url)
    assert response.status_code == 200
    text = visible_text(response.content.decode())
    assert _codes_in(text) == [], url
    assert " es " not in f" {text} " and "Spanish" in text
