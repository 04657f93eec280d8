"""Complaints at scale: cases with a history (states, clocks, notes, messages, findings).

Bulk inserts that bypass the services on purpose, but every row is one the services could
have written: per-program case numbers, a receipt hash made with complaints' own HMAC
helper, identity encrypted with complaints' own Fernet helper (or empty and anonymous),
an outcome only on resolved/closed cases, timestamps in order with the case's status.
"""

import datetime

from django.db import connection, transaction
from django.utils import timezone

from bench.seeders.programs import bench_user
from complaints import crypto
from complaints.models import (
    DEFAULT_CLOCKS,
    URGENT_CATEGORIES,
    Case,
    CaseProvision,
    CaseStatus,
    Channel,
    Direction,
    Finding,
    Message,
    Note,
    Outcome,
    Priority,
)
from programs.models import Category, Facility, Provision

BATCH = 5000
# received / triaged / investigating / resolved / closed: most of an 18-month history
# is finished; the open share is what a busy complaint line carries.
STATUS_WEIGHTS = [
    (CaseStatus.RECEIVED, 6),
    (CaseStatus.TRIAGED, 8),
    (CaseStatus.INVESTIGATING, 14),
    (CaseStatus.RESOLVED, 22),
    (CaseStatus.CLOSED, 50),
]
CATEGORIES = [c for c in Category.values]
CHANNELS = [Channel.WEB] * 5 + [Channel.HOTLINE] * 3 + [Channel.IN_PERSON, Channel.WHATSAPP]
LANGUAGES = ["en", "es", "es", "ht", "bn"]
NARRATIVES = [
    "The crew leader made us fill the buckets above the line and did not count the extra.",
    "We were not given water or shade in the afternoon for three days.",
    "The supervisor shouted at a worker who asked about the premium on the paycheck.",
    "Hours on the clock did not match the hours we worked last week.",
    "A worker was sent home after talking to the monitors.",
    "The housing has no working toilet and twelve people in one room.",
]


def _pick(rng, weighted):
    total = sum(w for _, w in weighted)
    x = rng.uniform(0, total)
    for value, w in weighted:
        x -= w
        if x <= 0:
            return value
    return weighted[-1][0]


def _case(rng, *, program, number, now, facilities, staff_ids, span_days):
    received = now - datetime.timedelta(
        days=rng.uniform(1, span_days), minutes=rng.randint(0, 1439)
    )
    status = _pick(rng, STATUS_WEIGHTS)
    category = rng.choice(CATEGORIES)
    priority = (
        Priority.URGENT
        if category in URGENT_CATEGORIES
        else (Priority.HIGH if rng.random() < 0.15 else Priority.NORMAL)
    )
    clock = DEFAULT_CLOCKS[priority]
    facility_id, supplier_id = facilities[rng.randrange(len(facilities))]
    known_person = rng.random() < 0.2
    code = crypto.new_receipt_code()
    case = Case(
        program=program,
        number=number,
        reference=f"C-{received:%Y}-{number:05d}",
        receipt_hash=crypto.receipt_hash(code),
        channel=rng.choice(CHANNELS),
        status=status,
        category=category,
        priority=priority,
        facility_id=facility_id,
        supplier_id=supplier_id,
        narrative=rng.choice(NARRATIVES),
        occurred="last week",
        language=rng.choice(LANGUAGES),
        is_anonymous=not known_person,
        identity_ciphertext=(
            crypto.encrypt_identity({"name": f"Worker {number}", "phone": f"+1555{number:07d}"})
            if known_person
            else ""
        ),
        received_at=received,
        ack_due=received + datetime.timedelta(hours=clock["ack_hours"]),
        triage_due=received + datetime.timedelta(hours=clock["triage_hours"]),
        resolution_due=received + datetime.timedelta(days=clock["resolution_days"]),
    )

    # Each later state implies the earlier timestamps, in order, none in the future.
    def step(start, lo_hours, hi_hours):
        return min(now, start + datetime.timedelta(hours=rng.uniform(lo_hours, hi_hours)))

    if status != CaseStatus.RECEIVED or rng.random() < 0.5:
        case.acknowledged_at = step(received, 1, 60)
    if status in (
        CaseStatus.TRIAGED,
        CaseStatus.INVESTIGATING,
        CaseStatus.RESOLVED,
        CaseStatus.CLOSED,
    ):
        case.triaged_at = step(case.acknowledged_at, 2, 100)
    if status in (CaseStatus.INVESTIGATING, CaseStatus.RESOLVED, CaseStatus.CLOSED):
        case.assigned_to_id = rng.choice(staff_ids)
    if status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        case.resolved_at = step(case.triaged_at, 48, 24 * 75)
        case.outcome = rng.choice(
            [Outcome.SUBSTANTIATED] * 3 + [Outcome.NOT_SUBSTANTIATED] * 2 + [Outcome.REFERRED]
        )
        case.outcome_summary = "Outcome recorded after interviews and a records review."
    if status == CaseStatus.CLOSED:
        case.closed_at = step(case.resolved_at, 24, 24 * 20)
    return case


def seed(*, program, scale, rng):
    count = scale["complaints"]
    now = timezone.now()
    staff = bench_user(f"staff@{program.slug}.bench")
    admin = bench_user(f"admin@{program.slug}.bench")
    staff_ids = [staff.pk, admin.pk]
    facilities = list(Facility.objects.filter(program=program).values_list("id", "supplier_id"))
    provisions = list(Provision.objects.filter(program=program).values_list("id", "severity"))
    span_days = 548  # 18 months
    number = 0
    for start in range(0, count, BATCH):
        with transaction.atomic():
            cases = []
            for _ in range(min(BATCH, count - start)):
                number += 1
                cases.append(
                    _case(
                        rng,
                        program=program,
                        number=number,
                        now=now,
                        facilities=facilities,
                        staff_ids=staff_ids,
                        span_days=span_days,
                    )
                )
            cases = Case.objects.bulk_create(cases)
            notes, messages, case_provisions, findings = [], [], [], []
            for case in cases:
                if case.status != CaseStatus.RECEIVED:
                    provision_id, severity = provisions[rng.randrange(len(provisions))]
                    case_provisions.append(
                        CaseProvision(program=program, case=case, provision_id=provision_id)
                    )
                if case.assigned_to_id and rng.random() < 0.6:
                    for k in range(rng.randint(1, 3)):
                        notes.append(
                            Note(
                                program=program,
                                case=case,
                                author_id=case.assigned_to_id,
                                body=f"Interview {k + 1} scheduled with the crew.",
                            )
                        )
                if rng.random() < 0.3:
                    messages.append(
                        Message(
                            program=program,
                            case=case,
                            direction=Direction.TO_WORKER,
                            author_id=staff.pk,
                            body="Thank you. We have received your complaint.",
                        )
                    )
                    messages.append(
                        Message(
                            program=program,
                            case=case,
                            direction=Direction.FROM_WORKER,
                            body="It happened again this morning.",
                        )
                    )
                if case.outcome == Outcome.SUBSTANTIATED:
                    findings.append(
                        Finding(
                            program=program,
                            case=case,
                            provision_id=provision_id,
                            facility_id=case.facility_id,
                            facts="Confirmed by three worker interviews and the payroll.",
                            severity=severity,
                            created_by_id=case.assigned_to_id,
                        )
                    )
            CaseProvision.objects.bulk_create(case_provisions)
            Note.objects.bulk_create(notes)
            Message.objects.bulk_create(messages)
            Finding.objects.bulk_create(findings)
    # auto_now_add stamped the history "now": move it into the case's own timeline.
    with connection.cursor() as cursor:
        for table in ("complaints_note", "complaints_message", "complaints_finding"):
            cursor.execute(
                f"""UPDATE {table} t SET created_at = LEAST(
                        COALESCE(c.resolved_at, c.triaged_at, c.received_at)
                        + (t.id %% 72) * interval '1 hour', now())
                    FROM complaints_case c
                    WHERE t.case_id = c.id AND c.program_id = %s""",  # noqa: S608
                [program.pk],
            )
    print(f"complaints: {count} cases")
