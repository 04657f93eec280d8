"""Idempotent demo seeding through the programs services (so every row has its audit
event). Each step looks for its natural key first, so a second run changes nothing and
an interrupted run is completed by the next one."""

import datetime
import hashlib
import logging

from django.contrib.auth import get_user_model

from audits import demo as audits_demo
from complaints import demo as complaints_demo
from core.actors import SystemActor
from core.roles import Role
from disclosure import demo as disclosure_demo
from enforcement import demo as enforcement_demo
from premiums import demo as premiums_demo
from programs import services
from programs.models import (
    Agreement,
    AgreementStatus,
    Buyer,
    Code,
    CodeVersionStatus,
    Facility,
    Membership,
    Program,
    SourcingRelationship,
    Supplier,
)

from . import data

log = logging.getLogger(__name__)

# Each app's demo history, in the order the apps build on each other.
APP_DEMOS = [complaints_demo, audits_demo, enforcement_demo, premiums_demo, disclosure_demo]
ACTOR = SystemActor("seed_demo")
OPERATOR_EMAIL = "operator@example.org"
PROGRAMS = [
    (data.FARM, data.FARM_PROVISIONS, data.FARM_BUYERS, data.FARM_SUPPLIERS, "US"),
    (data.GARMENT, data.GARMENT_PROVISIONS, data.GARMENT_BUYERS, data.GARMENT_SUPPLIERS, "BD"),
]
PROGRAM_FIELDS = ("description", "sector", "country", "languages", "hotline")


def persona_email(prefix, role):
    return f"{prefix}-{role.replace('_', '-')}@example.org"


def logins():
    """[(program name, role, e-mail)] of every demo persona, plus the platform operator."""
    rows = [("(platform)", "Django admin (superuser)", OPERATOR_EMAIL)]
    for spec, *_ in PROGRAMS:
        for role in Role.values:
            rows.append((spec["name"], role, persona_email(spec["persona_prefix"], role)))
    return rows


def seed_all(*, stdout=None, strict=False):
    """Seed both programs and every app's demo history. Returns {slug: (program, members)}.

    App demo modules (``<app>/demo.py`` with ``seed(*, program, members)``, listed in
    ``APP_DEMOS``) are called
    after the programs data; with ``strict`` their errors propagate, otherwise they are
    reported and the next app still runs (one app's unfinished demo should not stop the
    others from being shown)."""
    _operator()
    result = {}
    for spec, provisions, buyers, suppliers, country in PROGRAMS:
        program = _program(spec)
        buyer_objs = [_buyer(program, *row) for row in buyers]
        members = _members(program, spec, buyer_objs[0])
        _code(program, spec, provisions, members[Role.ADMIN])
        supplier_objs = [_supplier(program, country, i, *row) for i, row in enumerate(suppliers)]
        _sourcing(program, buyer_objs, supplier_objs)
        for i, buyer in enumerate(buyer_objs):
            _agreement(program, spec, buyer, i)
        result[spec["slug"]] = (program, members)
    for module in APP_DEMOS:
        app_label = module.__name__.split(".")[0]
        for program, members in result.values():
            try:
                module.seed(program=program, members=members)
            except Exception as exc:
                if strict:
                    raise
                log.exception("%s.demo.seed failed for %s", app_label, program.slug)
                if stdout is not None:
                    stdout.write(f"  ! {app_label}.demo.seed failed for {program.slug}: {exc}")
    return result


def _operator():
    User = get_user_model()
    if not User.objects.filter(username=OPERATOR_EMAIL).exists():
        User.objects.create_superuser(
            username=OPERATOR_EMAIL, email=OPERATOR_EMAIL, password=data.DEMO_PASSWORD
        )


def _program(spec):
    program = Program.objects.filter(slug=spec["slug"]).first()
    if program is None:
        program = services.program_create(
            actor=ACTOR,
            slug=spec["slug"],
            name=spec["name"],
            worker_organization=spec["worker_organization"],
            **{field: spec[field] for field in PROGRAM_FIELDS},
        )
    return program


def _buyer(program, name, country, website):
    buyer = Buyer.objects.filter(program=program, name=name).first()
    if buyer is None:
        buyer = services.buyer_create(
            actor=ACTOR, program=program, name=name, headquarters_country=country, website=website
        )
    return buyer


def _members(program, spec, officer_buyer):
    User = get_user_model()
    members = {}
    for role in Role.values:
        email = persona_email(spec["persona_prefix"], role)
        user = User.objects.filter(username=email).first()
        if user is None or not Membership.objects.filter(user=user, program=program).exists():
            membership = services.membership_invite(
                actor=ACTOR,
                program=program,
                email=email,
                role=role,
                buyer=officer_buyer if role == Role.BUYER_OFFICER else None,
                first_name=role.replace("_", " ").title(),
                last_name=spec["persona_prefix"].title(),
                send_email=False,
                password=data.DEMO_PASSWORD,
            )
            user = membership.user
        members[role] = user
    return members


def _code(program, spec, provisions, admin):
    code = Code.objects.filter(program=program, name=spec["code_name"]).first()
    if code is None:
        code = services.code_create(
            actor=ACTOR,
            program=program,
            name=spec["code_name"],
            description=spec["code_description"],
        )
    if code.versions.filter(status=CodeVersionStatus.RATIFIED).exists():
        return code
    draft = code.versions.get(status=CodeVersionStatus.DRAFT)
    present = set(draft.provisions.values_list("number", flat=True))
    for number, section, title, text, category, severity, titles in provisions:
        if number in present:
            continue
        services.provision_add(
            actor=ACTOR,
            version=draft,
            number=number,
            section=section,
            title=title,
            text=text,
            category=category,
            severity=severity,
            translations={lang: {"title": t} for lang, t in titles.items()},
        )
    services.code_version_ratify(actor=admin, version=draft, effective_date=spec["effective_date"])
    return code


def _os_id(country, name):
    # Shaped like an Open Supply Hub ID (country, year, day, six characters); fictional.
    digest = hashlib.sha256(name.encode()).hexdigest().upper()
    return f"{country}2024{int(digest[:4], 16) % 365 + 1:03d}{digest[4:10]}"


def _supplier(program, country, index, legal_name, facility_name, address, lat, lon, workers):
    supplier = Supplier.objects.filter(program=program, legal_name=legal_name).first()
    if supplier is None:
        supplier = services.supplier_create(
            actor=ACTOR, program=program, legal_name=legal_name, country=country
        )
    if not Facility.objects.filter(program=program, supplier=supplier, name=facility_name).exists():
        services.facility_create(
            actor=ACTOR,
            program=program,
            supplier=supplier,
            name=facility_name,
            address=address,
            country=country,
            latitude=lat,
            longitude=lon,
            worker_count=workers,
            os_id=_os_id(country, facility_name),
        )
    return supplier


def _sourcing(program, buyers, suppliers):
    """Each supplier sells to two buyers; each buyer buys from about six suppliers."""
    existing = set(
        SourcingRelationship.objects.filter(program=program).values_list("buyer_id", "supplier_id")
    )
    n = len(buyers)
    for j, supplier in enumerate(suppliers):
        for i in {j % n, (j + 1) % n}:
            buyer = buyers[i]
            if (buyer.pk, supplier.pk) in existing:
                continue
            services.sourcing_create(
                actor=ACTOR,
                program=program,
                buyer=buyer,
                supplier=supplier,
                since=datetime.date(2023 + j % 3, 1 + j % 12, 1),
            )


def _agreement(program, spec, buyer, index):
    title = spec["agreement_title"]
    agreement = Agreement.objects.filter(program=program, buyer=buyer, title=title).first()
    signed = spec["effective_date"] - datetime.timedelta(days=30 + 7 * index)
    if agreement is None:
        agreement = services.agreement_create(
            actor=ACTOR,
            program=program,
            buyer=buyer,
            title=title,
            signed_date=signed,
            effective_from=spec["effective_date"],
            premium_rate=spec["premium_rate"],
            premium_currency=spec["premium_currency"],
            premium_unit=spec["premium_unit"],
            consequence_clause=spec["consequence_clause"],
        )
        services.signatory_add(
            actor=ACTOR,
            agreement=agreement,
            party="buyer",
            name=f"Chief Sourcing Officer, {buyer.name}",
            title="Chief Sourcing Officer",
            signed_on=signed,
        )
        services.signatory_add(
            actor=ACTOR,
            agreement=agreement,
            party="worker_organization",
            name=f"General Coordinator, {spec['worker_organization']}",
            title="General Coordinator",
            signed_on=signed,
        )
    if agreement.status == AgreementStatus.DRAFT:
        services.agreement_transition(
            actor=ACTOR, agreement=agreement, status=AgreementStatus.ACTIVE
        )
    return agreement
