"""Sample arguments for the buyer portal's routes (tests/test_route_isolation.py): the
isolation test asks for program A's records as members of B, an outsider and anonymous."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from core.actors import SystemActor
from core.roles import Role
from enforcement import services as enforcement_services
from programs import services as program_services
from tests.utils import sign_agreement

from .helpers import make_obligation

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def samples(world):
    obligation = make_obligation(world)
    officer = world.user(Role.BUYER_OFFICER)
    enforcement_services.obligation_attest(
        actor=officer,
        obligation=obligation,
        note="Purchase orders on hold.",
        evidence=SimpleUploadedFile("po-hold.pdf", PDF, content_type="application/pdf"),
    )
    agreement = world.agreement
    if not agreement.document:
        # A separate agreement with a signed PDF so the document routes serve a file.
        agreement = program_services.agreement_create(
            actor=SystemActor("test-setup"),
            program=world.program,
            buyer=world.buyer,
            title="Signed addendum",
            signed_date=datetime.date(2025, 8, 1),
            effective_from=datetime.date(2025, 8, 1),
            consequence_clause="Addendum clause.",
            document=SimpleUploadedFile("signed.pdf", PDF, content_type="application/pdf"),
        )
        sign_agreement(agreement)
        program_services.agreement_transition(
            actor=SystemActor("test-setup"), agreement=agreement, status="active"
        )
    open_obligation = make_obligation(world)
    return {
        "buyer:obligation_detail": {"pk": open_obligation.pk},
        "buyer:obligation_acknowledge": {"pk": open_obligation.pk},
        "buyer:obligation_attest": {"pk": open_obligation.pk},
        "buyer:obligation_evidence": {"pk": obligation.pk},
        "buyer:agreement_detail": {"pk": agreement.pk},
        "buyer:agreement_document": {"pk": agreement.pk},
        "buyer-api:obligation-detail": {"pk": open_obligation.pk},
        "buyer-api:obligation-acknowledge": {"pk": open_obligation.pk},
        "buyer-api:obligation-attest": {"pk": open_obligation.pk},
        "buyer-api:agreement-detail": {"pk": agreement.pk},
        "buyer-api:agreement-document": {"pk": agreement.pk},
    }
