"""Every route of the buyer portal (HTML and API), enumerated from the URLconf, against
an officer who acts for buyer X in two programs: the other buyers' records in both
programs are 404 by id, and absent from every list, export and statement.

A new route in the "buyer" or "buyer-api" namespace is picked up automatically; one with
an object argument fails here until it has an entry in ``_theirs``.
"""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from pypdf import PdfReader

from core.roles import Role
from enforcement import services as enforcement_services
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
        other_officer = program_services.membership_invite(
            actor=SYSTEM,
            program=world.program,
            email=f"officer-two@{world.slug}.example.org",
            role=Role.BUYER_OFFICER,
            buyer=world.other_buyer,
            send_email=False,
        ).user
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
    if response.get("Content-Type", "").startswith("application/pdf"):
        reader = PdfReader(io.BytesIO(response.content))
        return " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


@pytest.mark.parametrize("name,kwarg_names", ROUTES, ids=[r[0] for r in ROUTES])
def test_other_buyers_records_are_unreachable(name, kwarg_names, scene, client_for):
    client = client_for(scene["officer"])
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
    for query in ("", "?program=alpha", "?program=bravo", "?status=all", "?status=closed"):
        response = client.get(reverse(name) + query)
        assert response.status_code == 200, f"{name}{query}: {response.status_code}"
        body = _body_text(response)
        for records in scene["theirs"].values():
            assert records["buyer"].name not in body, f"{name}{query} shows another buyer"
        for mark in ("OTHER-BUYER-NOTE", "OTHER-BUYER-ADDENDUM", "OTHER-BUYER-CLAUSE"):
            assert mark not in body, f"{name}{query} leaks {mark}"
        assert OTHER_VOLUME not in body and OTHER_PAYMENT not in body, f"{name}{query}"


def test_route_enumeration_found_the_portal():
    names = {name for name, _ in ROUTES}
    assert {"buyer:portal", "buyer-api:do-not-source-list", "buyer-api:obligation-attest"} <= (
        names
    )
