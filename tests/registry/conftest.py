import io

import pytest

from core.models import AuditEvent
from registry import services


@pytest.fixture
def a(personas):
    return personas.a


@pytest.fixture
def b(personas):
    return personas.b


def csv_bytes(rows):
    import csv

    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def xlsx_bytes(rows):
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(world, rows, *, name="list.csv", user=None, data=None):
    """Upload and preview a list as the program's staff; return the batch."""
    actor = user or world.user("staff")
    batch = services.import_upload(
        actor=actor,
        program=world.program,
        filename=name,
        data=data if data is not None else csv_bytes(rows),
    )
    return services.import_analyse(batch_id=batch.pk)


def apply(world, batch, user=None):
    return services.import_apply(actor=user or world.user("staff"), batch_id=batch.pk)


def event_count(world):
    return AuditEvent.objects.filter(program=world.program).count()


HEADER = [
    "supplier_name",
    "facility_name",
    "address",
    "country",
    "lat",
    "lng",
    "number_of_workers",
    "product_type",
    "buyer",
    "sourcing_since",
]
