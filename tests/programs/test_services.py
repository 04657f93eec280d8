"""Every programs service writes an AuditEvent in its transaction; illegal changes give
clear DomainErrors (never a 500, never a silent change)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.errors import DomainError, IllegalTransition
from core.roles import Role
from programs import selectors, services
from programs.models import AgreementStatus, CodeVersionStatus, Membership
from tests.utils import drain_mail, sign_agreement

from .conftest import PDF, events

pytestmark = pytest.mark.django_db

D = datetime.date


def test_program_and_membership_services_write_events(
    a, django_capture_on_commit_callbacks, mailoutbox
):
    admin = a.user(Role.ADMIN)
    services.program_update(actor=admin, program=a.program, hotline="+1 555 0100")
    assert events(a.program, "program.updated").get().payload == {"hotline": ["", "+1 555 0100"]}

    with django_capture_on_commit_callbacks(execute=True):
        m = services.membership_invite(
            actor=admin, program=a.program, email="New.Person@Example.org", role=Role.AUDITOR
        )
    ev = events(a.program, "membership.invited").filter(object_id=str(m.pk)).get()
    assert ev.payload["email"] == "new.person@example.org"
    assert ev.payload["new_account"] is True
    assert ev.actor == admin
    drain_mail()
    assert len(mailoutbox) == 1 and "/accounts/reset/" in mailoutbox[0].body

    services.membership_change(actor=admin, membership=m, role=Role.VIEWER, is_active=False)
    ev = events(a.program, "membership.changed").get()
    assert ev.payload == {"role": ["auditor", "viewer"], "is_active": [True, False]}


def test_membership_rules(a, b):
    admin = a.user(Role.ADMIN)
    with pytest.raises(DomainError, match="bound to a buyer"):
        services.membership_invite(
            actor=admin, program=a.program, email="x@x.org", role="buyer_officer"
        )
    with pytest.raises(DomainError, match="another program"):
        services.membership_invite(
            actor=admin, program=a.program, email="x@x.org", role="buyer_officer", buyer=b.buyer
        )
    with pytest.raises(DomainError, match="already a member"):
        services.membership_invite(
            actor=admin, program=a.program, email=a.user(Role.STAFF).email, role="viewer"
        )
    own = Membership.objects.get(user=admin, program=a.program)
    with pytest.raises(DomainError, match="at least one active admin"):
        services.membership_change(actor=admin, membership=own, is_active=False)
    with pytest.raises(DomainError, match="at least one active admin"):
        services.membership_change(actor=admin, membership=own, role=Role.STAFF)
    assert not events(a.program, "membership.changed").exists()


def test_party_services_write_events(a):
    staff = a.user(Role.STAFF)
    buyer = services.buyer_create(
        actor=staff, program=a.program, name="Acme Foods", headquarters_country="us"
    )
    assert buyer.headquarters_country == "US"
    services.buyer_update(actor=staff, buyer=buyer, website="https://acme.example")
    supplier = services.supplier_create(
        actor=staff, program=a.program, legal_name="Sunny Farms", country="MX"
    )
    services.supplier_update(actor=staff, supplier=supplier, legal_name="Sunny Farms SA")
    facility = services.facility_create(
        actor=staff,
        program=a.program,
        supplier=supplier,
        name="Field 9",
        address="Km 4",
        country="mx",
    )
    services.facility_update(actor=staff, facility=facility, worker_count=55)
    rel = services.sourcing_create(
        actor=staff, program=a.program, buyer=buyer, supplier=supplier, since=D(2026, 1, 1)
    )
    services.sourcing_end(actor=staff, relationship=rel, until=D(2026, 6, 30))
    for verb in (
        "buyer.created",
        "buyer.updated",
        "supplier.created",
        "supplier.updated",
        "facility.created",
        "facility.updated",
        "sourcing.created",
        "sourcing.ended",
    ):
        assert events(a.program, verb).filter(actor=staff).count() == 1, verb
    assert events(a.program, "facility.updated").get().payload == {"worker_count": ["0", "55"]}


def test_party_refusals(a, b):
    staff = a.user(Role.STAFF)
    with pytest.raises(DomainError, match="another program"):
        services.facility_create(
            actor=staff, program=a.program, supplier=b.supplier, name="X", address="Y", country="US"
        )
    with pytest.raises(IllegalTransition, match="already ended"):
        services.sourcing_end(actor=staff, relationship=a.sourcing, until=D(2026, 1, 1))
        services.sourcing_end(actor=staff, relationship=a.sourcing, until=D(2026, 2, 1))
    with pytest.raises(ValidationError):
        services.sourcing_create(
            actor=staff,
            program=a.program,
            buyer=a.buyer,
            supplier=a.supplier,
            since=D(2026, 5, 1),
            until=D(2026, 1, 1),
        )


def _draft(a, **extra):
    return services.agreement_create(
        actor=a.user(Role.STAFF),
        program=a.program,
        buyer=a.other_buyer,
        title="Draft",
        effective_from=D(2026, 1, 1),
        consequence_clause="Suspend purchases.",
        **extra,
    )


def test_agreement_services_write_events(a):
    staff = a.user(Role.STAFF)
    doc = SimpleUploadedFile("signed.pdf", PDF, "application/pdf")
    draft = _draft(a, document=doc)
    assert (
        events(a.program, "agreement.created")
        .filter(object_id=str(draft.pk))
        .get()
        .payload["document_sha256"]
        == draft.document_sha256
        != ""
    )
    services.agreement_update(actor=staff, agreement=draft, signed_date=D(2025, 12, 1))
    services.signatory_add(actor=staff, agreement=draft, party="buyer", name="Dana")
    sig = services.signatory_add(
        actor=staff, agreement=draft, party="worker_organization", name="Lupe"
    )
    services.signatory_remove(actor=staff, signatory=sig)
    sign_agreement(draft)
    services.agreement_transition(actor=staff, agreement=draft, status="active")
    services.agreement_transition(
        actor=staff, agreement=draft, status="terminated", reason="Breach of clause 4"
    )
    for verb in (
        "agreement.updated",
        "agreement.signatory_added",
        "agreement.signatory_removed",
        "agreement.active",
        "agreement.terminated",
    ):
        assert events(a.program, verb).filter(actor=staff).exists(), verb
    assert events(a.program, "agreement.terminated").get().payload["reason"] == "Breach of clause 4"


def test_agreement_refusals(a):
    staff = a.user(Role.STAFF)
    draft = _draft(a)
    with pytest.raises(DomainError, match="signed date"):
        services.agreement_transition(actor=staff, agreement=draft, status="active")
    with pytest.raises(DomainError, match="requires a reason"):
        services.agreement_transition(
            actor=staff, agreement=draft, status="terminated", reason="  "
        )
    with pytest.raises(ValidationError, match="must be a PDF"):
        services.agreement_update(
            actor=staff, agreement=draft, document=SimpleUploadedFile("x.pdf", b"MZ\x90\x00evil")
        )
    # Active agreement: terms frozen, only the end date may change.
    with pytest.raises(IllegalTransition, match="cannot be edited"):
        services.agreement_update(actor=staff, agreement=a.agreement, premium_rate="0.02")
    services.agreement_update(actor=staff, agreement=a.agreement, effective_to=D(2027, 6, 30))
    with pytest.raises(IllegalTransition, match="from 'active' to 'draft'"):
        services.agreement_transition(actor=staff, agreement=a.agreement, status="draft")
    services.agreement_transition(actor=staff, agreement=a.agreement, status="expired")
    with pytest.raises(IllegalTransition, match="from 'expired' to 'active'"):
        services.agreement_transition(actor=staff, agreement=a.agreement, status="active")
    a.agreement.refresh_from_db()
    assert a.agreement.status == AgreementStatus.EXPIRED


def test_agreement_document_size_limit(a, settings):
    settings.MAX_UPLOAD_BYTES = 100
    with pytest.raises(ValidationError, match="too large"):
        _draft(a, document=SimpleUploadedFile("big.pdf", PDF + b"0" * 200))


def test_code_services_write_events(a):
    admin, staff = a.user(Role.ADMIN), a.user(Role.STAFF)
    code = services.code_create(actor=staff, program=a.program, name="Dairy Code")
    v1 = code.versions.get()
    p = services.provision_add(
        actor=staff,
        version=v1,
        number="1",
        section="Pay",
        title="Paystub",
        text="Twice a month.",
        severity="major",
    )
    services.provision_update(
        actor=staff, provision=p, text="At least twice a month, with a paystub."
    )
    extra = services.provision_add(
        actor=staff, version=v1, number="2", section="Rest", title="Rest", text="24h weekly."
    )
    services.provision_remove(actor=staff, provision=extra)
    services.code_version_ratify(actor=admin, version=v1, effective_date=D(2026, 3, 1))
    v2 = services.code_version_draft_create(actor=staff, code=code)
    assert [x.title for x in v2.provisions.all()] == ["Paystub"]  # a copy of the ratified text
    services.provision_add(
        actor=staff, version=v2, number="2", section="Rest", title="Rest", text="24h weekly."
    )
    services.code_version_ratify(actor=admin, version=v2, effective_date=D(2026, 9, 1))
    v1.refresh_from_db()
    assert v1.status == CodeVersionStatus.SUPERSEDED
    assert selectors.current_ratified_version(program=a.program, code=code) == v2
    for verb in (
        "code.created",
        "provision.added",
        "provision.updated",
        "provision.removed",
        "code_version.ratified",
        "code_version.drafted",
    ):
        assert events(a.program, verb).exists(), verb
    ratified = events(a.program, "code_version.ratified").filter(object_id=str(v2.pk)).get()
    assert ratified.payload["superseded"] == [v1.pk] and ratified.actor == admin


def test_code_refusals(a):
    admin, staff = a.user(Role.ADMIN), a.user(Role.STAFF)
    ratified = a.version
    with pytest.raises(IllegalTransition, match="is ratified and can no longer change"):
        services.provision_add(
            actor=staff, version=ratified, number="9", section="S", title="T", text="X"
        )
    with pytest.raises(IllegalTransition, match="can no longer change"):
        services.provision_update(actor=staff, provision=a.provision, title="Changed")
    with pytest.raises(IllegalTransition, match="can no longer change"):
        services.provision_remove(actor=staff, provision=a.provision)
    with pytest.raises(IllegalTransition, match="from 'ratified' to 'ratified'"):
        services.code_version_ratify(actor=admin, version=ratified, effective_date=D(2026, 2, 1))
    draft = services.code_version_draft_create(actor=staff, code=a.code)
    with pytest.raises(IllegalTransition, match="already has a draft"):
        services.code_version_draft_create(actor=staff, code=a.code)
    with pytest.raises(DomainError, match="Only admins may"):
        services.code_version_ratify(actor=staff, version=draft, effective_date=D(2026, 2, 1))
    a.provision.refresh_from_db()
    assert a.provision.title == "No forced labor"
    empty = services.code_create(actor=staff, program=a.program, name="Empty").versions.get()
    with pytest.raises(DomainError, match="without provisions"):
        services.code_version_ratify(actor=admin, version=empty, effective_date=D(2026, 2, 1))
