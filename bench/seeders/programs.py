"""Programs layer at scale: buyers, suppliers, facilities, sourcing, agreements, members."""

import datetime
import functools
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from core.actors import SystemActor
from core.audit import audit_log
from core.roles import Role
from programs.models import (
    Agreement,
    AgreementStatus,
    Buyer,
    Facility,
    Membership,
    Program,
    SourcingRelationship,
    Supplier,
)
from programs.services import code_create, code_version_ratify, provision_add

BENCH_PASSWORD = "bench-password-not-secret"  # noqa: S105 - local benchmark database only
BATCH = 2000

PROVISIONS = [
    ("1.1", "Zero tolerance", "No forced labor", "forced_labor", "zero_tolerance"),
    ("1.2", "Zero tolerance", "No child labor", "child_labor", "zero_tolerance"),
    ("1.3", "Zero tolerance", "No sexual assault", "sexual_harassment", "zero_tolerance"),
    ("2.1", "Wages", "Premium passed through on each paycheck", "premium", "major"),
    ("2.2", "Wages", "Hours recorded on a system workers control", "hours", "major"),
    (
        "3.1",
        "Health and safety",
        "Free shade, water and protective equipment",
        "health_safety",
        "major",
    ),
    ("4.1", "Voice", "No retaliation for complaints", "retaliation", "zero_tolerance"),
    ("5.1", "Housing", "Decent housing", "housing", "minor"),
]


@functools.cache
def _bench_password_hash():
    # One PBKDF2 hash shared by every bench user: hashing per user would dominate seeding.
    return make_password(BENCH_PASSWORD)


def bench_user(username):
    User = get_user_model()
    user, _ = User.objects.get_or_create(
        username=username, defaults={"email": username, "password": _bench_password_hash()}
    )
    return user


@transaction.atomic
def seed_program(*, slug, name, facilities, buyers, rng):
    program = Program.objects.create(
        slug=slug,
        name=name,
        worker_organization=f"{name} Workers",
        languages=["en", "es", "ht", "bn"],
        is_public=True,
    )
    admin = bench_user(f"admin@{slug}.bench")
    staff = bench_user(f"staff@{slug}.bench")
    Membership.objects.bulk_create(
        [
            Membership(user=admin, program=program, role=Role.ADMIN),
            Membership(user=staff, program=program, role=Role.STAFF),
        ]
    )
    audit_log(program=program, actor=SystemActor("bench-seed"), verb="program.created", obj=program)
    code = code_create(actor=SystemActor("bench-seed"), program=program, name=f"{name} Code")
    draft = code.versions.get()
    for number, section, title, category, severity in PROVISIONS:
        provision_add(
            actor=SystemActor("bench-seed"),
            version=draft,
            number=number,
            section=section,
            title=title,
            text=f"{title}.",
            category=category,
            severity=severity,
        )
    code_version_ratify(actor=admin, version=draft, effective_date=datetime.date(2025, 1, 1))

    buyer_rows = Buyer.objects.bulk_create(
        Buyer(program=program, name=f"{name} Buyer {i:04d}", headquarters_country="US")
        for i in range(buyers)
    )
    n_suppliers = max(1, facilities // 2)
    supplier_rows = []
    for start in range(0, n_suppliers, BATCH):
        supplier_rows += Supplier.objects.bulk_create(
            Supplier(program=program, legal_name=f"{name} Supplier {i:05d}", country="US")
            for i in range(start, min(start + BATCH, n_suppliers))
        )
    for start in range(0, facilities, BATCH):
        Facility.objects.bulk_create(
            Facility(
                program=program,
                supplier=supplier_rows[i % n_suppliers],
                name=f"{name} Facility {i:05d}",
                address=f"{i} County Road {i % 97}",
                country="US",
                latitude=Decimal(f"{rng.uniform(25.0, 36.0):.6f}"),
                longitude=Decimal(f"{rng.uniform(-84.0, -77.0):.6f}"),
                worker_count=rng.randint(20, 900),
                os_id=f"US2026{i:06d}" if i % 3 == 0 else "",
            )
            for i in range(start, min(start + BATCH, facilities))
        )
    Agreement.objects.bulk_create(
        Agreement(
            program=program,
            buyer=b,
            title="Fair Food Agreement",
            signed_date=datetime.date(2024, 12, 1),
            effective_from=datetime.date(2025, 1, 1),
            status=AgreementStatus.ACTIVE,
            premium_rate=Decimal("0.010000"),
            premium_unit="lb",
            consequence_clause="Suspend purchases per the ladder.",
        )
        for b in buyer_rows
    )
    rels = []
    for s_index, supplier in enumerate(supplier_rows):
        for k in range(3):
            buyer = buyer_rows[(s_index * 7 + k * 13) % len(buyer_rows)]
            rels.append(
                SourcingRelationship(
                    program=program, buyer=buyer, supplier=supplier, since=datetime.date(2025, 1, 1)
                )
            )
        if len(rels) >= BATCH:
            SourcingRelationship.objects.bulk_create(rels)
            rels = []
    SourcingRelationship.objects.bulk_create(rels)
    return program
