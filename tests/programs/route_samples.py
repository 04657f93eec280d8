"""Sample arguments for every programs route (HTML and API) that takes more than the
program: objects of program A, created through the services."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from programs import services


def samples(world):
    admin = world.user("admin")
    signatory = services.signatory_add(
        actor=admin, agreement=world.agreement, party="buyer", name="Dana Buyer", title="CEO"
    )
    member = world.program.memberships.get(user=world.user("viewer"))
    draft = services.agreement_create(
        actor=admin,
        program=world.program,
        buyer=world.other_buyer,
        title="Draft under negotiation",
        effective_from=datetime.date(2026, 1, 1),
        consequence_clause="Suspend purchases.",
        document=SimpleUploadedFile("signed.pdf", b"%PDF-1.4\n%sample\n", "application/pdf"),
    )
    return {
        # HTML
        "programs:buyer_detail": {"pk": world.buyer.pk},
        "programs:buyer_edit": {"pk": world.buyer.pk},
        "programs:supplier_detail": {"pk": world.supplier.pk},
        "programs:supplier_edit": {"pk": world.supplier.pk},
        "programs:facility_detail": {"pk": world.facility.pk},
        "programs:facility_edit": {"pk": world.facility.pk},
        "programs:sourcing_end": {"pk": world.sourcing.pk},
        "programs:agreement_detail": {"pk": world.agreement.pk},
        "programs:agreement_edit": {"pk": draft.pk},
        "programs:agreement_activate": {"pk": draft.pk},
        "programs:agreement_terminate": {"pk": world.agreement.pk},
        "programs:agreement_document": {"pk": draft.pk},
        "programs:agreement_share": {"pk": draft.pk},
        "programs:agreement_unshare": {"pk": world.agreement.pk},
        "programs:signatory_add": {"pk": world.agreement.pk},
        "programs:signatory_remove": {"pk": world.agreement.pk, "signatory": signatory.pk},
        "programs:code_detail": {"pk": world.code.pk},
        "programs:code_draft_create": {"pk": world.code.pk},
        "programs:version_detail": {"pk": world.version.pk},
        "programs:version_ratify": {"pk": world.version.pk},
        "programs:provision_add": {"pk": world.version.pk},
        "programs:provision_edit": {"pk": world.provision.pk},
        "programs:provision_remove": {"pk": world.provision.pk},
        "programs:member_edit": {"pk": member.pk},
        "programs:member_sessions_end": {"pk": member.pk},
        # API
        "programs-api:buyer-detail": {"pk": world.buyer.pk},
        "programs-api:supplier-detail": {"pk": world.supplier.pk},
        "programs-api:facility-detail": {"pk": world.facility.pk},
        "programs-api:sourcing-detail": {"pk": world.sourcing.pk},
        "programs-api:sourcing-end": {"pk": world.sourcing.pk},
        "programs-api:agreement-detail": {"pk": world.agreement.pk},
        "programs-api:agreement-activate": {"pk": draft.pk},
        "programs-api:agreement-terminate": {"pk": world.agreement.pk},
        "programs-api:agreement-signatories": {"pk": world.agreement.pk},
        "programs-api:agreement-share": {"pk": world.agreement.pk},
        "programs-api:agreement-unshare": {"pk": world.agreement.pk},
        "programs-api:code-detail": {"pk": world.code.pk},
        "programs-api:code-draft": {"pk": world.code.pk},
        "programs-api:code-version-detail": {"pk": world.version.pk},
        "programs-api:code-version-ratify": {"pk": world.version.pk},
        "programs-api:provision-detail": {"pk": world.provision.pk},
        "programs-api:member-detail": {"pk": member.pk},
    }
