"""Every route of the buyer portal (HTML and API), enumerated from the URLconf, against
an officer who acts for buyer X in two programs: the other buyers' records in both
programs are 404 by id, and absent from every list, export and statement.

A new route in the "buyer" or "buyer-api" namespace is picked up automatically; one with
an object argument fails here until it has an entry in ``_theirs``. Routes that answer
other than a page to GET have their own walk: the statement's (a background job: the
officer's own statement holds none of the other buyers' records, and the other buyers'
officers' statement jobs are 404 to them) and the POST-only purchase upload (the other
buyer's membership or name in the file: refused, nothing written).
"""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from pypdf import PdfReader

from buyers import selectors as buyer_selectors
from buyers import services as buyer_services
from core.roles import Role
from enforcement import services as enforcement_services
from exports import jobs as export_jobs
from premiums.models import LedgerImport, PurchaseReport
from premiums.services import premium_payment_record, purchase_report_record
from programs import services as program_services
from tests.utils import sign_agreement

from .helpers import SYSTEM, add_officer_membership, bind_other_buyer, make_violation_obligations

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NAMESPACES = ("buyer", "buyer-api")
# Marks of the other buyers' records that must never appear in a response body.
OTHER_VOLUME = "77777"
OTHER_PAYMENT = "4242.00"


def _kwargs(pattern):
    converters = getattr(pattern, "converters", None)
    if converters:
        return tuple(converters)
    regex = getattr(pattern, "regex", None)  # the API router's regex patterns
    return tuple(regex.groupindex) if regex is not None else ()


def _routes():
    def walk(patterns, ns=None):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, p.namespace or ns)
            elif isinstance(p, URLPattern) and ns in NAMESPACES:
                yield f"{ns}:{p.name}", _kwargs(p.pattern)

    return sorted(set(walk(get_resolver().url_patterns)))


ROUTES = _routes()


@pytest.fixture
def scene(personas):
    a, b = personas.a, personas.b
    officer = a.user(Role.BUYER_OFFICER)
    add_officer_membership(officer, b)
    theirs = {}
    for world in (a, b):
        bind_other_buyer(world)
        other_membership = program_services.membership_invite(
            actor=SYSTEM,
            program=world.program,
            email=f"officer-two@{world.slug}.example.org",
            role=Role.BUYER_OFFICER,
            buyer=world.other_buyer,
            send_email=False,
        )
        other_officer = other_membership.user
        obligations = make_violation_obligations(world)
        attested = make_violation_obligations(world)[world.other_buyer.pk]
        enforcement_services.obligation_attest(
            actor=other_officer,
            obligation=attested,
            note="OTHER-BUYER-NOTE",
            evidence=SimpleUploadedFile("po.pdf", PDF, content_type="application/pdf"),
        )
        agreement = program_services.agreement_create(
            actor=SYSTEM,
            program=world.program,
            buyer=world.other_buyer,
            title="OTHER-BUYER-ADDENDUM",
            signed_date=datetime.date(2025, 8, 1),
            effective_from=datetime.date(2025, 8, 1),
            consequence_clause="OTHER-BUYER-CLAUSE",
            document=SimpleUploadedFile("signed.pdf", PDF, content_type="application/pdf"),
        )
        sign_agreement(agreement)
        program_services.agreement_transition(actor=SYSTEM, agreement=agreement, status="active")
        admin = world.user(Role.ADMIN)
        start, end = datetime.date(2026, 1, 1), datetime.date(2026, 1, 31)
        purchase_report_record(
            actor=admin,
            program=world.program,
            buyer=world.other_buyer,
            supplier=world.supplier,
            period_start=start,
            period_end=end,
            volume=OTHER_VOLUME,
        )
        premium_payment_record(
            actor=admin,
            program=world.program,
            buyer=world.other_buyer,
            supplier=world.supplier,
            period_start=start,
            period_end=end,
            amount=OTHER_PAYMENT,
            paid_on=datetime.date(2026, 2, 1),
        )
        theirs[world.slug] = {
            "open": obligations[world.other_buyer.pk],
            "attested": attested,
            "agreement": agreement,
            "buyer": world.other_buyer,
            "officer": other_officer,
            "membership": other_membership,
        }
    return {"officer": officer, "theirs": theirs, "a": a, "b": b}


def _theirs(name, records):
    """Object arguments pointing at another buyer's record, per route."""
    obligation_routes = {
        "buyer:obligation_detail": "open",
        "buyer:obligation_acknowledge": "open",
        "buyer:obligation_attest": "open",
        "buyer:obligation_evidence": "attested",
        "buyer-api:obligation-detail": "open",
        "buyer-api:obligation-acknowledge": "open",
        "buyer-api:obligation-attest": "open",
    }
    if name in obligation_routes:
        return {"pk": records[obligation_routes[name]].pk}
    if name in (
        "buyer:agreement_detail",
        "buyer:agreement_document",
        "buyer-api:agreement-detail",
        "buyer-api:agreement-document",
    ):
        return {"pk": records["agreement"].pk}
    raise AssertionError(f"route {name} takes arguments: add it to _theirs()")


def _body_text(response):
    if getattr(response, "streaming", False):  # CSVs, and the statement's FileResponse
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    if response.get("Content-Type", "").startswith("application/pdf"):
        reader = PdfReader(io.BytesIO(content))
        return " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    return content.decode(errors="replace")


QUERIES = ("", "?program=alpha", "?program=bravo", "?status=all", "?status=closed")


def _assert_nothing_of_theirs(name, body, scene):
    for records in scene["theirs"].values():
        assert records["buyer"].name not in body, f"{name} shows another buyer"
    for mark in ("OTHER-BUYER-NOTE", "OTHER-BUYER-ADDENDUM", "OTHER-BUYER-CLAUSE"):
        assert mark not in body, f"{name} leaks {mark}"
    assert OTHER_VOLUME not in body and OTHER_PAYMENT not in body, name


def _statement_routes_are_scoped(name, scene, client):
    """obligations.pdf leads to the statement's page, and a statement download needs a
    job: the officer's own statements (all programs, or one) hold nothing of the other
    buyers, and the other buyers' officers' statements are 404 to this officer."""
    if name == "buyer:obligations_pdf":
        for query in QUERIES:
            response = client.get(reverse(name) + query)
            assert response.status_code == 302, f"{name}{query}: {response.status_code}"
            assert response["Location"].startswith(reverse("buyer:statement")), query
    else:  # no job asked for: the page that starts one
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"] == reverse("buyer:statement")
    download = reverse("buyer:statement_download")
    for query in ("", "?program=alpha", "?program=bravo"):
        started = client.post(reverse("buyer:statement") + query)
        assert started.status_code == 302, f"statement{query}: {started.status_code}"
        job_id = started["Location"].split("job=", 1)[1]
        assert str(export_jobs.job_run(job_id=job_id)) == job_id
        response = client.get(f"{download}?job={job_id}")
        assert response.status_code == 200, f"{download}?job= ({query}): {response.status_code}"
        _assert_nothing_of_theirs(f"statement{query}", _body_text(response), scene)
    for slug, records in scene["theirs"].items():
        other = records["officer"]
        job = buyer_services.statement_job_start(
            actor=other, memberships=list(buyer_selectors.officer_memberships(user=other))
        )
        assert export_jobs.job_run(job_id=job.pk) == job.pk  # theirs is built...
        # ... and unreachable to this officer, by the download and by the status page.
        assert client.get(f"{download}?job={job.pk}").status_code == 404, slug
        assert client.get(f"{reverse('buyer:statement')}?job={job.pk}").status_code == 404, slug


def _purchase_upload_is_scoped(name, scene, client):
    """POST-only: the other buyer's membership is not among the officer's choices, and
    a file naming the other buyer under the officer's own membership is refused; nothing
    is written for anyone, and the answer shows nothing of the other buyers."""
    url = reverse(name)
    assert client.get(url).status_code == 405
    before = set(PurchaseReport.objects.values_list("pk", flat=True))
    alpha = scene["theirs"]["alpha"]
    own = scene["officer"].memberships.get(program=scene["a"].program)
    supplier = scene["a"].supplier.legal_name
    attempts = [
        (alpha["membership"].pk, f"{supplier},2026-03-01,2026-03-31,{OTHER_VOLUME}1,lb\n"),
        (own.pk, f"{alpha['buyer'].name},{supplier},2026-03-01,2026-03-31,5,lb\n"),
    ]
    headers = [
        "supplier,period_start,period_end,volume,unit\n",
        "buyer,supplier,period_start,period_end,volume,unit\n",
    ]
    for (membership, row), header in zip(attempts, headers, strict=True):
        upload = SimpleUploadedFile(
            "purchases.csv", (header + row).encode(), content_type="text/csv"
        )
        response = client.post(
            url, {"membership": membership, "kind": "purchase_reports", "file": upload}
        )
        assert response.status_code in (400, 404), f"POST {url}: {response.status_code}"
        body = response.content.decode(errors="replace")
        assert alpha["buyer"].name not in body.replace(row, ""), "the answer names them"
        assert OTHER_PAYMENT not in body
    assert set(PurchaseReport.objects.values_list("pk", flat=True)) == before
    assert not LedgerImport.objects.exists()


SPECIAL_WALKS = {
    "buyer:obligations_pdf": _statement_routes_are_scoped,
    "buyer:statement_download": _statement_routes_are_scoped,
    "buyer:premium_upload": _purchase_upload_is_scoped,
}


@pytest.mark.parametrize("name,kwarg_names", ROUTES, ids=[r[0] for r in ROUTES])
def test_other_buyers_records_are_unreachable(
    name, kwarg_names, scene, client_for, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    client = client_for(scene["officer"])
    if name in SPECIAL_WALKS:
        SPECIAL_WALKS[name](name, scene, client)
        return
    if kwarg_names:
        for slug, records in scene["theirs"].items():
            url = reverse(name, kwargs=_theirs(name, records))
            get = client.get(url)
            post = client.post(url, {"note": "x"})
            assert get.status_code in (404, 405), f"GET {url} ({slug}): {get.status_code}"
            assert post.status_code in (404, 405), f"POST {url} ({slug}): {post.status_code}"
            assert 404 in (get.status_code, post.status_code)
        records = scene["theirs"]["alpha"]
        records["open"].refresh_from_db()
        assert records["open"].state == "pending"
        return
    for query in QUERIES:
        response = client.get(reverse(name) + query)
        assert response.status_code == 200, f"{name}{query}: {response.status_code}"
        _assert_nothing_of_theirs(f"{name}{query}", _body_text(response), scene)


def test_route_enumeration_found_the_portal():
    names = {name for name, _ in ROUTES}
    assert {"buyer:portal", "buyer-api:do-not-source-list", "buyer-api:obligation-attest"} <= (
        names
    )
