"""Writes of the programs app.

Every function is ``<noun>_<verb>(*, actor, ...)``, runs in one transaction, validates,
and appends an AuditEvent in that same transaction. Side effects (mail) are deferred with
``transaction.on_commit``.
"""

import hashlib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from core.audit import audit_log, audit_log_many, chain_lock
from core.authz import require_member
from core.errors import DomainError, IllegalTransition, check_transition
from core.models import NotificationKind
from core.notifications import msgid, notify
from core.roles import Role
from core.tenancy import same_program

from . import selectors
from .models import (
    AGREEMENT_TRANSITIONS,
    CODE_VERSION_TRANSITIONS,
    Agreement,
    AgreementStatus,
    AgreementUserObjectPermission,
    Buyer,
    Code,
    CodeVersion,
    CodeVersionStatus,
    Facility,
    Membership,
    Program,
    Provision,
    Signatory,
    SourcingRelationship,
    Supplier,
)


def _validated(obj):
    """Run model validation (field choices, lengths, constraints) before saving."""
    obj.full_clean()
    return obj


def _apply(obj, data, allowed):
    """Copy allowed fields from ``data`` onto ``obj``; return {field: [old, new]} changed."""
    changes = {}
    for field, value in data.items():
        if field not in allowed:
            raise DomainError(f"'{field}' cannot be changed here.")
        old = getattr(obj, field)
        if old != value:
            changes[field] = [
                str(old) if old is not None else None,
                str(value) if value is not None else None,
            ]
            setattr(obj, field, value)
    return changes


# ---------------------------------------------------------------- programs and members


@transaction.atomic
def program_create(*, actor, slug, name, worker_organization, **fields):
    program = _validated(
        Program(slug=slug, name=name, worker_organization=worker_organization, **fields)
    )
    program.save()
    audit_log(
        program=program,
        actor=actor,
        verb="program.created",
        obj=program,
        payload={"slug": slug, "name": name},
    )
    return program


@transaction.atomic
def membership_invite(
    *,
    actor,
    program,
    email,
    role,
    buyer=None,
    first_name="",
    last_name="",
    send_email=True,
    password=None,
):
    """Add a member (creating the user account if the e-mail is new) with a role.

    A new account has no usable password unless one is given; the invitation e-mail
    carries a password-set link, sent after commit.
    """
    require_member(actor, program, "member.invite")
    email = (email or "").strip().lower()
    if not email:
        raise DomainError("An e-mail address is required.")
    if role not in Role.values:
        raise DomainError(f"Unknown role '{role}'.")
    if role == Role.BUYER_OFFICER and buyer is None:
        raise DomainError("A buyer compliance officer must be bound to a buyer.")
    if role != Role.BUYER_OFFICER:
        buyer = None
    same_program(program, buyer)
    User = get_user_model()
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if created:
        user = User(username=email, email=email, first_name=first_name, last_name=last_name)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    if Membership.objects.filter(user=user, program=program).exists():
        raise DomainError(f"{email} is already a member of this program.")
    membership = Membership.objects.create(
        user=user,
        program=program,
        role=role,
        buyer=buyer,
        invited_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_log(
        program=program,
        actor=actor,
        verb="membership.invited",
        obj=membership,
        payload={
            "email": email,
            "role": role,
            "buyer": buyer.pk if buyer else None,
            "new_account": created,
        },
    )
    if send_email:
        # Through the outbox, in this transaction (core/notifications.py); the password
        # link of a new account is made when the mail is sent, never stored.
        notify(
            kind=NotificationKind.MEMBERSHIP_INVITE,
            program=program,
            obj=membership,
            recipients=[user],
            context={
                "program": program.name,
                "role": msgid(Role(role).label),
                "new_account": created,
            },
        )
    return membership


@transaction.atomic
def membership_change(*, actor, membership, role=None, is_active=None, buyer=None):
    require_member(actor, membership.program, "member.change")
    changes = {}
    if role is not None and role != membership.role:
        if role not in Role.values:
            raise DomainError(f"Unknown role '{role}'.")
        changes["role"] = [membership.role, role]
        membership.role = role
    if role == Role.BUYER_OFFICER or membership.role == Role.BUYER_OFFICER:
        if buyer is not None:
            same_program(membership.program, buyer)
            membership.buyer = buyer
        if membership.buyer is None:
            raise DomainError("A buyer compliance officer must be bound to a buyer.")
    else:
        membership.buyer = None
    if is_active is not None and is_active != membership.is_active:
        changes["is_active"] = [membership.is_active, is_active]
        membership.is_active = is_active
    if "role" in changes or "is_active" in changes:
        _keep_an_admin(membership)
    membership.save()
    audit_log(
        program=membership.program,
        actor=actor,
        verb="membership.changed",
        obj=membership,
        payload=changes,
    )
    return membership


def _keep_an_admin(membership):
    """A program must keep at least one active admin: only admins ratify the code and
    manage members, so losing the last one would lock the worker organization out."""
    was_admin = (
        Membership.objects.filter(pk=membership.pk, role=Role.ADMIN, is_active=True).exists()
        if membership.pk
        else False
    )
    still_admin = membership.role == Role.ADMIN and membership.is_active
    if was_admin and not still_admin:
        # Lock the program's admin rows so two demotions cannot both pass the check.
        chain_lock(membership.program_id)  # the lock order (core/audit.py)
        others = (
            Membership.objects.select_for_update(no_key=True)
            .filter(program_id=membership.program_id, role=Role.ADMIN, is_active=True)
            .exclude(pk=membership.pk)
        )
        if not list(others):
            raise DomainError("A program must keep at least one active admin.")


@transaction.atomic
def program_update(*, actor, program, **data):
    require_member(actor, program, "program.update")
    allowed = {
        "name",
        "worker_organization",
        "description",
        "sector",
        "country",
        "languages",
        "hotline",
        "is_public",
    }
    changes = _apply(program, data, allowed)
    _validated(program).save()
    audit_log(program=program, actor=actor, verb="program.updated", obj=program, payload=changes)
    return program


# ---------------------------------------------------------------- parties

SUPPLIER_FIELDS = {"legal_name", "country"}
FACILITY_FIELDS = {
    "supplier",
    "name",
    "address",
    "country",
    "latitude",
    "longitude",
    "worker_count",
    "os_id",
    "status",
    "status_date",
    "storeys",
    "shared_building",
    "product_type",
    "worker_count_band",
}
BUYER_FIELDS = {"name", "headquarters_country", "website"}


@transaction.atomic
def supplier_create(*, actor, program, legal_name, country):
    require_member(actor, program, "supplier.manage")
    supplier = _validated(
        Supplier(program=program, legal_name=legal_name.strip(), country=country.upper())
    )
    supplier.save()
    audit_log(
        program=program,
        actor=actor,
        verb="supplier.created",
        obj=supplier,
        payload={"legal_name": supplier.legal_name, "country": supplier.country},
    )
    return supplier


@transaction.atomic
def supplier_update(*, actor, supplier, **data):
    require_member(actor, supplier.program, "supplier.manage")
    if "country" in data:
        data["country"] = data["country"].upper()
    changes = _apply(supplier, data, SUPPLIER_FIELDS)
    _validated(supplier).save()
    audit_log(
        program=supplier.program,
        actor=actor,
        verb="supplier.updated",
        obj=supplier,
        payload=changes,
    )
    return supplier


@transaction.atomic
def facility_create(*, actor, program, supplier, name, address, country, **fields):
    require_member(actor, program, "facility.manage")
    same_program(program, supplier)
    unknown = set(fields) - FACILITY_FIELDS
    if unknown:
        raise DomainError(f"Unknown facility fields: {', '.join(sorted(unknown))}.")
    facility = _validated(
        Facility(
            program=program,
            supplier=supplier,
            name=name.strip(),
            address=address.strip(),
            country=country.upper(),
            **fields,
        )
    )
    facility.save()
    audit_log(
        program=program,
        actor=actor,
        verb="facility.created",
        obj=facility,
        payload={
            "name": facility.name,
            "supplier": supplier.pk,
            "country": facility.country,
            "latitude": facility.latitude,
            "longitude": facility.longitude,
        },
    )
    return facility


@transaction.atomic
def facility_update(*, actor, facility, **data):
    require_member(actor, facility.program, "facility.manage")
    if "supplier" in data:
        same_program(facility.program, data["supplier"])
    if "country" in data:
        data["country"] = data["country"].upper()
    changes = _apply(facility, data, FACILITY_FIELDS)
    _validated(facility).save()
    audit_log(
        program=facility.program,
        actor=actor,
        verb="facility.updated",
        obj=facility,
        payload=changes,
    )
    return facility


@transaction.atomic
def buyer_create(*, actor, program, name, headquarters_country, website=""):
    require_member(actor, program, "buyer.manage")
    buyer = _validated(
        Buyer(
            program=program,
            name=name.strip(),
            headquarters_country=headquarters_country.upper(),
            website=website,
        )
    )
    buyer.save()
    audit_log(
        program=program, actor=actor, verb="buyer.created", obj=buyer, payload={"name": buyer.name}
    )
    return buyer


@transaction.atomic
def buyer_update(*, actor, buyer, **data):
    require_member(actor, buyer.program, "buyer.manage")
    if "headquarters_country" in data:
        data["headquarters_country"] = data["headquarters_country"].upper()
    changes = _apply(buyer, data, BUYER_FIELDS)
    _validated(buyer).save()
    audit_log(program=buyer.program, actor=actor, verb="buyer.updated", obj=buyer, payload=changes)
    return buyer


@transaction.atomic
def sourcing_create(*, actor, program, buyer, supplier, since, until=None):
    require_member(actor, program, "sourcing.manage")
    same_program(program, buyer, supplier)
    rel = _validated(
        SourcingRelationship(
            program=program, buyer=buyer, supplier=supplier, since=since, until=until
        )
    )
    rel.save()
    audit_log(
        program=program,
        actor=actor,
        verb="sourcing.created",
        obj=rel,
        payload={"buyer": buyer.pk, "supplier": supplier.pk, "since": since, "until": until},
    )
    return rel


@transaction.atomic
def sourcing_end(*, actor, relationship, until):
    require_member(actor, relationship.program, "sourcing.manage")
    if relationship.until is not None:
        raise IllegalTransition("This sourcing relationship has already ended.")
    relationship.until = until
    _validated(relationship).save()
    audit_log(
        program=relationship.program,
        actor=actor,
        verb="sourcing.ended",
        obj=relationship,
        payload={"until": until},
    )
    return relationship


# ---------------------------------------------------------------- agreements

AGREEMENT_FIELDS = {
    "title",
    "signed_date",
    "effective_from",
    "effective_to",
    "premium_rate",
    "premium_currency",
    "premium_unit",
    "consequence_clause",
}


def _store_document(agreement, document):
    """Check an uploaded signed agreement by content (PDF magic bytes) and size, record
    its SHA-256 (the audit event carries it, so a swapped file is detectable) and store it
    in private storage."""
    if document is None:
        return
    if document.size > settings.MAX_UPLOAD_BYTES:
        limit = settings.MAX_UPLOAD_BYTES // (1024 * 1024)
        raise ValidationError({"document": f"The file is too large (limit {limit} MB)."})
    head = document.read(5)
    document.seek(0)
    if head != b"%PDF-":
        raise ValidationError({"document": "The signed agreement must be a PDF file."})
    digest = hashlib.sha256()
    for chunk in document.chunks():
        digest.update(chunk)
    document.seek(0)
    agreement.document_sha256 = digest.hexdigest()
    agreement.document.save(document.name, document, save=False)


@transaction.atomic
def agreement_create(*, actor, program, buyer, document=None, **fields):
    require_member(actor, program, "agreement.manage")
    same_program(program, buyer)
    unknown = set(fields) - AGREEMENT_FIELDS
    if unknown:
        raise DomainError(f"Unknown agreement fields: {', '.join(sorted(unknown))}.")
    agreement = _validated(Agreement(program=program, buyer=buyer, **fields))
    _store_document(agreement, document)
    agreement.save()
    audit_log(
        program=program,
        actor=actor,
        verb="agreement.created",
        obj=agreement,
        payload={
            "buyer": buyer.pk,
            "title": agreement.title,
            "document_sha256": agreement.document_sha256,
        },
    )
    return agreement


@transaction.atomic
def agreement_update(*, actor, agreement, document=None, **data):
    require_member(actor, agreement.program, "agreement.manage")
    chain_lock(agreement.program_id)  # the lock order (core/audit.py): chain, then rows
    agreement = Agreement.objects.select_for_update(no_key=True).get(pk=agreement.pk)
    if agreement.status != AgreementStatus.DRAFT and set(data) - {"effective_to"}:
        raise IllegalTransition(
            "An agreement in force cannot be edited; only its end date can change."
        )
    changes = _apply(agreement, data, AGREEMENT_FIELDS)
    _validated(agreement)
    if document is not None:
        if agreement.status != AgreementStatus.DRAFT:
            raise IllegalTransition("The signed document of an agreement in force cannot change.")
        _store_document(agreement, document)
        changes["document_sha256"] = agreement.document_sha256
    agreement.save()
    audit_log(
        program=agreement.program,
        actor=actor,
        verb="agreement.updated",
        obj=agreement,
        payload=changes,
    )
    return agreement


@transaction.atomic
def agreement_transition(*, actor, agreement, status, reason=""):
    require_member(actor, agreement.program, "agreement.manage")
    chain_lock(agreement.program_id)  # the lock order (core/audit.py): chain, then rows
    agreement = Agreement.objects.select_for_update(no_key=True).get(pk=agreement.pk)
    check_transition(AGREEMENT_TRANSITIONS, agreement.status, status, "agreement")
    if status == AgreementStatus.ACTIVE and not agreement.signed_date:
        raise DomainError("An agreement can only become active once it has a signed date.")
    if status == AgreementStatus.ACTIVE:
        _require_both_parties_signed(agreement)
    if status == AgreementStatus.TERMINATED and not reason.strip():
        raise DomainError("Terminating an agreement requires a reason.")
    old = agreement.status
    agreement.status = status
    agreement.save(update_fields=["status"])
    audit_log(
        program=agreement.program,
        actor=actor,
        verb=f"agreement.{status}",
        obj=agreement,
        payload={"from": old, "to": status, "reason": reason},
    )
    return agreement


def _require_both_parties_signed(agreement):
    """A binding agreement binds those who signed it: one activated with nobody's
    signature (or only one side's) binds no one, and a dispute would find no party."""
    signed = set(agreement.signatories.values_list("party", flat=True))
    missing = [str(label) for party, label in Signatory.Party.choices if party not in signed]
    if missing:
        raise DomainError(
            "An agreement can only become active once both parties have signed it. "
            f"Add a signatory for: {', '.join(missing)}."
        )


@transaction.atomic
def signatory_add(*, actor, agreement, party, name, title="", signed_on=None):
    require_member(actor, agreement.program, "agreement.manage")
    signatory = _validated(
        Signatory(
            program=agreement.program,
            agreement=agreement,
            party=party,
            name=name,
            title=title,
            signed_on=signed_on,
        )
    )
    signatory.save()
    audit_log(
        program=agreement.program,
        actor=actor,
        verb="agreement.signatory_added",
        obj=signatory,
        payload={"agreement": agreement.pk, "party": party, "name": name},
    )
    return signatory


@transaction.atomic
def signatory_remove(*, actor, signatory):
    require_member(actor, signatory.program, "agreement.manage")
    chain_lock(signatory.agreement.program_id)  # the lock order (core/audit.py)
    agreement = Agreement.objects.select_for_update(no_key=True).get(pk=signatory.agreement_id)
    if agreement.status != AgreementStatus.DRAFT:
        raise IllegalTransition("The signatories of an agreement in force cannot change.")
    audit_log(
        program=agreement.program,
        actor=actor,
        verb="agreement.signatory_removed",
        obj=signatory,
        payload={"agreement": agreement.pk, "party": signatory.party, "name": signatory.name},
    )
    signatory.delete()


VIEW_AGREEMENT = "programs.view_agreement"


def _share_target(agreement, user):
    membership = Membership.objects.filter(
        user=user, program_id=agreement.program_id, is_active=True
    ).first()
    if membership is None:
        raise DomainError("Agreements can only be shared with active members of this program.")
    if membership.role == Role.BUYER_OFFICER and membership.buyer_id != agreement.buyer_id:
        # Another buyer's officer must never see this buyer's negotiation.
        raise DomainError("A buyer officer can only be given agreements of their own buyer.")
    return membership


@transaction.atomic
def agreement_share(*, actor, agreement, user):
    """Grant ``user`` (an active member of the agreement's program) a per-object view
    permission (django-guardian, direct-FK table). Idempotent: sharing twice is refused
    with a clear message rather than writing a second grant."""
    require_member(actor, agreement.program, "agreement.share")
    membership = _share_target(agreement, user)
    if membership.role in selectors.AGREEMENT_FULL_VIEW_ROLES:
        raise DomainError(f"{user.get_username()} already sees every agreement of the program.")
    if AgreementUserObjectPermission.objects.filter(
        content_object=agreement, user=user, permission__codename="view_agreement"
    ).exists():
        raise DomainError(f"This agreement is already shared with {user.get_username()}.")
    assign_perm(VIEW_AGREEMENT, user, agreement)
    audit_log(
        program=agreement.program,
        actor=actor,
        verb="agreement.shared",
        obj=agreement,
        payload={"user": user.pk, "username": user.get_username(), "role": membership.role},
    )


@transaction.atomic
def agreement_unshare(*, actor, agreement, user):
    require_member(actor, agreement.program, "agreement.share")
    deleted, _ = AgreementUserObjectPermission.objects.filter(
        content_object=agreement, user=user, permission__codename="view_agreement"
    ).delete()
    if not deleted:
        raise DomainError("This agreement is not shared with that member.")
    audit_log(
        program=agreement.program,
        actor=actor,
        verb="agreement.unshared",
        obj=agreement,
        payload={"user": user.pk, "username": user.get_username()},
    )


# ---------------------------------------------------------------- the code of conduct

PROVISION_FIELDS = {"number", "section", "title", "text", "category", "severity", "translations"}


@transaction.atomic
def code_create(*, actor, program, name, description=""):
    require_member(actor, program, "code.edit")
    code = _validated(Code(program=program, name=name, description=description))
    code.save()
    version = CodeVersion.objects.create(program=program, code=code, number=1)
    audit_log(
        program=program,
        actor=actor,
        verb="code.created",
        obj=code,
        payload={"name": name, "draft_version": version.pk},
    )
    return code


@transaction.atomic
def code_version_draft_create(*, actor, code):
    """Start a new draft as a copy of the current ratified version's provisions."""
    require_member(actor, code.program, "code.edit")
    chain_lock(code.program_id)  # the lock order (core/audit.py): chain, then rows
    Code.objects.select_for_update(no_key=True).get(pk=code.pk)
    if code.versions.filter(status=CodeVersionStatus.DRAFT).exists():
        raise IllegalTransition("This code already has a draft version.")
    latest = code.versions.order_by("-number").first()
    source = code.versions.filter(status=CodeVersionStatus.RATIFIED).order_by("-number").first()
    draft = CodeVersion.objects.create(
        program=code.program, code=code, number=(latest.number + 1) if latest else 1
    )
    if source is not None:
        Provision.objects.bulk_create(
            Provision(
                program=code.program,
                version=draft,
                number=p.number,
                section=p.section,
                title=p.title,
                text=p.text,
                category=p.category,
                severity=p.severity,
                translations=p.translations,
            )
            for p in source.provisions.all()
        )
    audit_log(
        program=code.program,
        actor=actor,
        verb="code_version.drafted",
        obj=draft,
        payload={
            "code": code.pk,
            "number": draft.number,
            "copied_from": source.pk if source else None,
        },
    )
    return draft


def _lock_draft(version):
    chain_lock(version.program_id)  # the lock order (core/audit.py): chain, then rows
    version = CodeVersion.objects.select_for_update(no_key=True).get(pk=version.pk)
    if not version.is_editable:
        raise IllegalTransition(
            f"Version {version.number} is {version.status} and can no longer change; "
            "start a new draft instead."
        )
    return version


@transaction.atomic
def provision_add(*, actor, version, **fields):
    require_member(actor, version.program, "code.edit")
    version = _lock_draft(version)
    unknown = set(fields) - PROVISION_FIELDS
    if unknown:
        raise DomainError(f"Unknown provision fields: {', '.join(sorted(unknown))}.")
    provision = _validated(Provision(program=version.program, version=version, **fields))
    provision.save()
    audit_log(
        program=version.program,
        actor=actor,
        verb="provision.added",
        obj=provision,
        payload={"version": version.pk, "number": provision.number, "severity": provision.severity},
    )
    return provision


@transaction.atomic
def provision_update(*, actor, provision, **data):
    require_member(actor, provision.program, "code.edit")
    _lock_draft(provision.version)
    changes = _apply(provision, data, PROVISION_FIELDS)
    _validated(provision).save()
    audit_log(
        program=provision.program,
        actor=actor,
        verb="provision.updated",
        obj=provision,
        payload=changes,
    )
    return provision


@transaction.atomic
def provision_remove(*, actor, provision):
    require_member(actor, provision.program, "code.edit")
    _lock_draft(provision.version)
    audit_log(
        program=provision.program,
        actor=actor,
        verb="provision.removed",
        obj=provision,
        payload={"number": provision.number, "title": provision.title},
    )
    provision.delete()


@transaction.atomic
def code_version_ratify(*, actor, version, effective_date):
    """Ratify a draft. Only a worker-organization admin may; the previous ratified
    version becomes superseded. Locks the code row so two ratifications cannot race."""
    require_member(actor, version.program, "code.ratify")
    membership = Membership.objects.filter(
        user=actor, program=version.program_id, is_active=True
    ).first()
    if membership is None or membership.role != Role.ADMIN:
        raise DomainError("Only a worker-organization admin can ratify the code.", code="forbidden")
    chain_lock(version.program_id)  # the lock order (core/audit.py): chain, then rows
    Code.objects.select_for_update(no_key=True).get(pk=version.code_id)
    version = CodeVersion.objects.select_for_update(no_key=True).get(pk=version.pk)
    check_transition(
        CODE_VERSION_TRANSITIONS, version.status, CodeVersionStatus.RATIFIED, "code version"
    )
    if not version.provisions.exists():
        raise DomainError("A code version without provisions cannot be ratified.")
    previous = list(
        CodeVersion.objects.filter(code_id=version.code_id, status=CodeVersionStatus.RATIFIED)
    )
    for old in previous:
        old.status = CodeVersionStatus.SUPERSEDED
        old.save(update_fields=["status"])
    version.status = CodeVersionStatus.RATIFIED
    version.effective_date = effective_date
    version.ratified_by = actor
    version.ratified_at = timezone.now()
    version.save(update_fields=["status", "effective_date", "ratified_by", "ratified_at"])
    audit_log(
        program=version.program,
        actor=actor,
        verb="code_version.ratified",
        obj=version,
        payload={
            "number": version.number,
            "effective_date": effective_date,
            "superseded": [v.pk for v in previous],
        },
    )
    return version


# ---------------------------------------------------------------- bulk (the import)
#
# A supplier list of 20,000 facilities through facility_create one by one costs some 20
# queries a row (the membership check, full_clean's unique and check-constraint queries,
# a savepoint, the audit chain's lock and head): minutes. These take a whole list in a
# few statements with the same rules: the actor's right checked once, each record
# validated in Python (fields, choices, clean(); the foreign keys are this program's by
# construction and the database's constraints back the rest), and still one audit event
# per record, appended to the chain in bulk.

BULK_CHUNK = 2000


def _checked_in_python(obj, *, foreign_keys):
    """full_clean without its queries: fields and clean(); the caller vouches for the
    foreign keys (same program) and the database enforces unique and check constraints."""
    obj.clean_fields(exclude=foreign_keys)
    obj.clean()
    return obj


def _audit_bulk(*, program, actor, verb, objs, payload):
    for start in range(0, len(objs), BULK_CHUNK):
        chunk = objs[start : start + BULK_CHUNK]
        audit_log_many(
            program=program,
            actor=actor,
            entries=[{"verb": verb, "obj": o, "payload": payload(o)} for o in chunk],
        )


@transaction.atomic
def suppliers_create_many(*, actor, program, suppliers):
    """Create suppliers from ``[{"legal_name", "country"}, ...]``; one
    ``supplier.created`` event each. Returns them, with their ids."""
    require_member(actor, program, "supplier.manage")
    chain_lock(program.pk)  # the lock order (core/audit.py)
    objs = [
        _checked_in_python(
            Supplier(
                program=program, legal_name=s["legal_name"].strip(), country=s["country"].upper()
            ),
            foreign_keys=["program"],
        )
        for s in suppliers
    ]
    Supplier.objects.bulk_create(objs, batch_size=BULK_CHUNK)
    _audit_bulk(
        program=program,
        actor=actor,
        verb="supplier.created",
        objs=objs,
        payload=lambda s: {"legal_name": s.legal_name, "country": s.country},
    )
    return objs


@transaction.atomic
def facilities_create_many(*, actor, program, facilities):
    """Create facilities from ``[{"supplier": Supplier, "name", "address", "country",
    **FACILITY_FIELDS}, ...]``; one ``facility.created`` event each (the payload of
    ``facility_create``)."""
    require_member(actor, program, "facility.manage")
    chain_lock(program.pk)
    objs = []
    for fields in facilities:
        fields = dict(fields)
        supplier = fields.pop("supplier")
        same_program(program, supplier)
        unknown = set(fields) - FACILITY_FIELDS
        if unknown:
            raise DomainError(f"Unknown facility fields: {', '.join(sorted(unknown))}.")
        fields["name"] = fields["name"].strip()
        fields["address"] = fields["address"].strip()
        fields["country"] = fields["country"].upper()
        objs.append(
            _checked_in_python(
                Facility(program=program, supplier=supplier, **fields),
                foreign_keys=["program", "supplier"],
            )
        )
    Facility.objects.bulk_create(objs, batch_size=BULK_CHUNK)
    _audit_bulk(
        program=program,
        actor=actor,
        verb="facility.created",
        objs=objs,
        payload=lambda f: {
            "name": f.name,
            "supplier": f.supplier_id,
            "country": f.country,
            "latitude": f.latitude,
            "longitude": f.longitude,
        },
    )
    return objs


@transaction.atomic
def facilities_update_many(*, actor, program, updates):
    """Apply ``[(facility, {field: value}), ...]``; one ``facility.updated`` event each
    with the changed fields (as ``facility_update`` records them). The facilities are
    locked first (chain, then rows)."""
    require_member(actor, program, "facility.manage")
    chain_lock(program.pk)
    if not updates:
        return []
    ids = [facility.pk for facility, _data in updates]
    locked = (
        Facility.objects.select_for_update(no_key=True).filter(program=program, pk__in=ids)
    ).in_bulk()
    changed, payloads, fields_touched = [], {}, set()
    for facility, data in updates:
        fresh = locked.get(facility.pk)
        if fresh is None:
            raise DomainError("That record belongs to another program.")
        data = dict(data)
        if "supplier" in data:
            same_program(program, data["supplier"])
        if "country" in data:
            data["country"] = data["country"].upper()
        changes = _apply(fresh, data, FACILITY_FIELDS)
        if not changes:
            continue
        _checked_in_python(fresh, foreign_keys=["program", "supplier"])
        changed.append(fresh)
        payloads[fresh.pk] = changes
        fields_touched |= set(data)
    if changed:
        Facility.objects.bulk_update(changed, sorted(fields_touched), batch_size=BULK_CHUNK)
        _audit_bulk(
            program=program,
            actor=actor,
            verb="facility.updated",
            objs=changed,
            payload=lambda f: payloads[f.pk],
        )
    return changed


@transaction.atomic
def sourcing_create_many(*, actor, program, relationships):
    """Create sourcing relationships from ``[{"buyer", "supplier", "since", "until"?}]``;
    one ``sourcing.created`` event each."""
    require_member(actor, program, "sourcing.manage")
    chain_lock(program.pk)
    objs = []
    for r in relationships:
        same_program(program, r["buyer"], r["supplier"])
        rel = SourcingRelationship(
            program=program,
            buyer=r["buyer"],
            supplier=r["supplier"],
            since=r["since"],
            until=r.get("until"),
        )
        objs.append(_checked_in_python(rel, foreign_keys=["program", "buyer", "supplier"]))
    SourcingRelationship.objects.bulk_create(objs, batch_size=BULK_CHUNK)
    _audit_bulk(
        program=program,
        actor=actor,
        verb="sourcing.created",
        objs=objs,
        payload=lambda r: {
            "buyer": r.buyer_id,
            "supplier": r.supplier_id,
            "since": r.since,
            "until": r.until,
        },
    )
    return objs
