"""The program's facilities in two published formats, through ``core.csvwriter``:

- Open Supply Hub's contribution template (the columns its list upload reads:
  country, name, address, sector, product_type, number_of_workers, parent_company,
  lat, lng, with os_id to join the records back);
- the Transparency Pledge's fields (name, address, parent company, product type and
  the worker-count band).

Closed and moved facilities are left out: both formats list where production happens.
"""

import io

from django.http import HttpResponse

from core import csvwriter
from programs.models import Facility, FacilityStatus, WorkerCountBand

OSHUB_COLUMNS = (
    "country",
    "name",
    "address",
    "sector",
    "product_type",
    "number_of_workers",
    "parent_company",
    "lat",
    "lng",
    "os_id",
)
PLEDGE_COLUMNS = (
    "name",
    "address",
    "country",
    "parent_company",
    "product_type",
    "number_of_workers",
)
# The Pledge's worker-number categories, in its words.
PLEDGE_BANDS = {
    WorkerCountBand.UNDER_1000: "Less than 1000",
    WorkerCountBand.FROM_1001: "1001 to 5000",
    WorkerCountBand.FROM_5001: "5001 to 10000",
    WorkerCountBand.OVER_10000: "More than 10000",
}


def _facilities(program):
    return (
        Facility.objects.filter(program=program)
        .exclude(status__in=[FacilityStatus.CLOSED, FacilityStatus.MOVED])
        .select_related("supplier")
        .order_by("country", "name", "pk")
    )


def _coordinate(value):
    # A number, not text: the CSV writer leaves numbers alone (a negative longitude is
    # not a formula).
    return "" if value is None else float(value)


def oshub_rows(program):
    yield OSHUB_COLUMNS
    for f in _facilities(program).iterator(chunk_size=2000):
        yield (
            f.country,
            f.name,
            f.address,
            program.sector,
            f.product_type,
            f.worker_count or f.worker_band,
            f.supplier.legal_name,
            _coordinate(f.latitude),
            _coordinate(f.longitude),
            f.os_id,
        )


def pledge_rows(program):
    yield PLEDGE_COLUMNS
    for f in _facilities(program).iterator(chunk_size=2000):
        yield (
            f.name,
            f.address,
            f.country,
            f.supplier.legal_name,
            f.product_type,
            PLEDGE_BANDS.get(f.worker_band, ""),
        )


def facility_csv(*, program, kind):
    out = io.StringIO()
    writer = csvwriter.writer(out)
    writer.writerows(oshub_rows(program) if kind == "oshub" else pledge_rows(program))
    return out.getvalue()


def facility_csv_response(*, program, kind):
    name = "opensupplyhub" if kind == "oshub" else "transparency-pledge"
    response = HttpResponse(facility_csv(program=program, kind=kind), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{program.slug}-{name}.csv"'
    return response
