"""The bulk-import measure (issue 19): a generated 20,000-row supplier list (2,000
suppliers x 10 facilities over 10 countries, a buyer on every tenth row) imported as CSV
and as XLSX into a fresh program, against an Open Supply Hub download of 20,000 rows of
which half are the incoming facilities. Timed per phase: read and preview (validation
and matching), apply (through the programs services, one audit event per record), and a
re-upload of the same file (must change nothing and ask nothing). Everything is rolled
back at the end."""

import csv
import io
import os
import time
import uuid

COUNTRIES = ("BD", "IN", "PK", "VN", "KH", "MM", "LK", "TR", "CN", "ID")
ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "20000"))
HEADER = [
    "Parent Company",
    "Name",
    "Address",
    "Country Code",
    "lat",
    "lng",
    "Number of Workers",
    "Product Type",
    "Number of Storeys",
    "Shared Building",
    "Buyer",
    "Sourcing Since",
]
WORDS = [
    "Sunrise",
    "Delta",
    "Royal",
    "Green",
    "Star",
    "Pacific",
    "Golden",
    "River",
    "Ocean",
    "Crescent",
    "Lotus",
    "Eagle",
]


def _name(i):
    return f"{WORDS[i % 12]} {WORDS[(i // 12) % 12]} Garments {i}"


def rows(buyer_name):
    out = [HEADER]
    for i in range(ROWS):
        country = COUNTRIES[i % len(COUNTRIES)]
        out.append(
            [
                f"Supplier Group {i // 10}",
                _name(i),
                f"Plot {i}, Export Processing Zone {i % 37}",
                country,
                f"{(i % 1700) / 100:.4f}",
                f"{80 + (i % 2000) / 100:.4f}",
                str(100 + i % 5000),
                "Apparel",
                str(1 + i % 9),
                "yes" if i % 3 == 0 else "no",
                buyer_name if i % 10 == 0 else "",
                "2025-01-01" if i % 10 == 0 else "",
            ]
        )
    return out


def oshub_rows():
    out = [["os_id", "name", "address", "country_code", "lat", "lng", "number_of_workers"]]
    for i in range(ROWS):
        country = COUNTRIES[i % len(COUNTRIES)]
        if i % 2 == 0:  # the incoming facility, as OS Hub lists it
            name, address = _name(i), f"Plot {i}, Export Processing Zone {i % 37}"
        else:  # facilities of other brands
            name, address = f"Other Mill {i}", f"{i} Industrial Road"
        out.append(
            [
                f"{country}2024{i:03d}{uuid.uuid4().hex[:7].upper()}"[:15],
                name,
                address,
                country,
                "",
                "",
                "",
            ]
        )
    return out


def as_csv(table):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(table)
    return buffer.getvalue().encode()


def as_xlsx(table):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in table:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run(file_format):
    """Return the phase times and counts; roll everything back."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from core.actors import SystemActor
    from core.models import AuditEvent
    from programs import services as program_services
    from registry import services

    class Rollback(Exception):
        pass

    result = {}
    try:
        with transaction.atomic():
            system = SystemActor("bench")
            slug = f"bench-import-{uuid.uuid4().hex[:8]}"
            program = program_services.program_create(
                actor=system, slug=slug, name="Import bench", worker_organization="Bench"
            )
            buyer = program_services.buyer_create(
                actor=system, program=program, name="Bench Brand", headquarters_country="US"
            )
            user = get_user_model().objects.create_user(
                username=f"{slug}@example.org", email=f"{slug}@example.org"
            )
            program_services.membership_invite(
                actor=system,
                program=program,
                email=user.username,
                role="staff",
                send_email=False,
            )
            table = rows(buyer.name)
            data = as_csv(table) if file_format == "csv" else as_xlsx(table)
            result["file_mb"] = round(len(data) / 1e6, 1)
            services.oshub_load(
                actor=user, program=program, filename="osh.csv", data=as_csv(oshub_rows())
            )
            events_before = AuditEvent.objects.filter(program=program).count()

            t0 = time.perf_counter()
            batch = services.import_upload(
                actor=user, program=program, filename=f"list.{file_format}", data=data
            )
            t1 = time.perf_counter()
            batch = services.import_analyse(batch_id=batch.pk)
            t2 = time.perf_counter()
            batch = services.import_apply(actor=user, batch_id=batch.pk)
            t3 = time.perf_counter()
            result.update(
                read_s=round(t1 - t0, 2),
                preview_s=round(t2 - t1, 2),
                apply_s=round(t3 - t2, 2),
                total_s=round(t3 - t0, 2),
                summary=batch.summary,
                report={k: v for k, v in batch.report.items() if k != "refused"},
                refused=len(batch.report["refused"]),
                events=AuditEvent.objects.filter(program=program).count() - events_before,
                os_ids=program.pk
                and __import__("programs.models", fromlist=["Facility"])
                .Facility.objects.filter(program=program)
                .exclude(os_id="")
                .count(),
            )
            t4 = time.perf_counter()
            again = services.import_upload(
                actor=user, program=program, filename=f"again.{file_format}", data=data
            )
            again = services.import_analyse(batch_id=again.pk)
            events_mid = AuditEvent.objects.filter(program=program).count()
            again = services.import_apply(actor=user, batch_id=again.pk)
            t5 = time.perf_counter()
            result.update(
                reupload_s=round(t5 - t4, 2),
                reupload_summary=again.summary,
                reupload_events=AuditEvent.objects.filter(program=program).count() - events_mid,
            )
            raise Rollback
    except Rollback:
        pass
    return result
