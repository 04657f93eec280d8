"""Bulk import: parsing, per-row validation, apply through the services (one audit event
per record), the report, and a re-upload that changes nothing and asks nothing."""

import datetime

import pytest

from core.authz import Forbidden
from core.models import AuditEvent
from programs.models import Facility, SourcingRelationship, Supplier
from registry import parsing, services
from registry.models import ImportStatus

from .conftest import HEADER, apply, csv_bytes, event_count, upload, xlsx_bytes

pytestmark = pytest.mark.django_db

GOOD = [
    HEADER,
    [
        "Dhaka Knit Ltd",
        "Dhaka Knit Unit 1",
        "12 Tongi Road, Gazipur",
        "BD",
        "23.9",
        "90.4",
        "1,200",
        "Apparel",
        "",
        "",
    ],
    [
        "Dhaka Knit Ltd",
        "Dhaka Knit Unit 2",
        "14 Tongi Road, Gazipur",
        "bd",
        "",
        "",
        "300",
        "",
        "",
        "",
    ],
    [
        "Chittagong Denim",
        "Denim Mill",
        "Plot 7 EPZ, Chattogram",
        "BD",
        "",
        "",
        "5001-10000",
        "Denim",
        "",
        "",
    ],
]


def test_auto_mapping_reads_open_supply_hub_and_brand_headers():
    headers = [
        "os_id",
        "Name",
        "Address",
        "Country Code",
        "lat",
        "lng",
        "Number of Workers",
        "Parent Company",
        "Product Type",
        "Number of Storeys",
    ]
    mapping = parsing.auto_map(headers)
    assert mapping == {
        "supplier_name": "Parent Company",
        "facility_name": "Name",
        "address": "Address",
        "country": "Country Code",
        "latitude": "lat",
        "longitude": "lng",
        "worker_count": "Number of Workers",
        "product_type": "Product Type",
        "storeys": "Number of Storeys",
        "os_id": "os_id",
    }


def test_csv_with_bom_and_semicolons_and_xlsx_and_json_read_the_same():
    rows = [["supplier", "name", "address", "country"], ["S", "F", "1 Rd", "BD"]]
    text = "\ufeff" + "\n".join(";".join(r) for r in rows)
    assert parsing.read_upload("a.csv", text.encode())[1:] == (rows[0], rows[1:])
    assert parsing.read_upload("a.xlsx", xlsx_bytes(rows))[1:] == (rows[0], rows[1:])
    json_data = b'[{"supplier": "S", "name": "F", "address": "1 Rd", "country": "BD"}]'
    assert parsing.read_upload("a.json", json_data) == ("json", rows[0], rows[1:])


def test_each_bad_row_says_what_is_wrong(a):
    rows = [
        HEADER,
        ["S1", "F1", "1 Rd", "XX", "", "", "", "", "", ""],  # not a country
        ["S1", "F2", "2 Rd", "BD", "95", "90", "", "", "", ""],  # latitude out of range
        ["S1", "F3", "3 Rd", "BD", "23", "", "", "", "", ""],  # lat without lng
        ["S1", "F4", "4 Rd", "BD", "", "", "many", "", "", ""],  # worker count
        ["", "F5", "5 Rd", "BD", "", "", "", "", "", ""],  # no supplier
        ["S1", "F6", "", "BD", "", "", "", "", "", ""],  # no address
        ["S1", "F7", "7 Rd", "BD", "", "", "", "", "Nobody Inc", "2025-01-01"],  # buyer
        ["S1", "F8", "8 Rd", "BD", "", "", "", "", "", ""],
        ["S1", "F8", "8 Rd.", "bd", "", "", "", "", "", ""],  # duplicate of the line above
    ]
    batch = upload(a, rows)
    errors = {e["line"]: " ".join(e["errors"]) for e in batch.preview}
    assert "“XX” is not a two-letter ISO country code" in errors[2]
    assert "Latitude must be between -90 and 90" in errors[3]
    assert "both latitude and longitude" in errors[4]
    assert "Number of workers “many”" in errors[5]
    assert "supplier's name is missing" in errors[6]
    assert "address is missing" in errors[7]
    assert "“Nobody Inc” is not a buyer of this program" in errors[8]
    assert errors[9] == ""
    assert "same facility as line 9" in errors[10]
    assert batch.summary["refused"] == 8 and batch.summary["create"] == 1


def test_apply_creates_through_the_services_with_one_event_each(a):
    a.buyer.refresh_from_db()
    rows = [r[:] for r in GOOD]
    rows[1][8:10] = [a.buyer.name, "2025-03-01"]
    batch = upload(a, rows)
    assert batch.status == ImportStatus.PREVIEW
    assert batch.summary["create"] == 3
    before = event_count(a)
    batch = apply(a, batch)
    assert batch.report == {
        "suppliers_created": 2,
        "facilities_created": 3,
        "facilities_updated": 0,
        "facilities_unchanged": 0,
        "sourcing_created": 1,
        "refused": [],
    }
    verbs = list(
        AuditEvent.objects.filter(program=a.program)
        .order_by("seq")[before:]
        .values_list("verb", flat=True)
    )
    assert sorted(verbs) == sorted(
        ["supplier.created"] * 2 + ["facility.created"] * 3 + ["sourcing.created", "import.applied"]
    )
    unit1 = Facility.objects.get(program=a.program, name="Dhaka Knit Unit 1")
    assert (unit1.worker_count, unit1.product_type, str(unit1.latitude)) == (
        1200,
        "Apparel",
        "23.900000",
    )
    denim = Facility.objects.get(program=a.program, name="Denim Mill")
    assert (denim.worker_count, denim.worker_count_band) == (0, "5001-10000")
    assert Facility.objects.get(program=a.program, name="Dhaka Knit Unit 2").country == "BD"
    assert SourcingRelationship.objects.filter(
        program=a.program,
        buyer=a.buyer,
        supplier__legal_name="Dhaka Knit Ltd",
        since=datetime.date(2025, 3, 1),
    ).exists()


def test_a_reupload_changes_nothing_and_asks_nothing(a):
    apply(a, upload(a, GOOD))
    facilities = list(Facility.objects.filter(program=a.program).values())
    before = event_count(a)
    again = upload(a, GOOD, name="list.xlsx", data=xlsx_bytes(GOOD))
    assert again.summary["unchanged"] == 3
    assert again.summary["ask"] == again.summary["create"] == again.summary["update"] == 0
    again = apply(a, again)
    assert again.report["facilities_unchanged"] == 3
    assert list(Facility.objects.filter(program=a.program).values()) == facilities
    # Only the batch's own two events: uploaded and applied.
    verbs = AuditEvent.objects.filter(program=a.program).order_by("seq")[before:]
    assert [e.verb for e in verbs] == ["import.uploaded", "import.applied"]


def test_a_changed_cell_updates_only_that_field(a):
    apply(a, upload(a, GOOD))
    rows = [r[:] for r in GOOD]
    rows[2][6] = "350"
    batch = upload(a, rows)
    assert batch.summary["update"] == 1
    assert batch.preview[1]["changes"] == ["worker_count"]
    batch = apply(a, batch)
    event = AuditEvent.objects.filter(program=a.program, verb="facility.updated").last()
    assert event.payload == {"worker_count": ["300", "350"]}


def test_refused_rows_are_reported_and_the_rest_applies(a):
    rows = [r[:] for r in GOOD]
    rows[3][3] = "ZZ"
    batch = apply(a, upload(a, rows))
    assert batch.report["facilities_created"] == 2
    assert batch.report["refused"][0]["line"] == 4
    assert not Supplier.objects.filter(program=a.program, legal_name="Chittagong Denim").exists()


def test_a_mapping_change_is_checked_and_repreviews(a):
    rows = [["Company", "Site", "Where", "ISO"], ["S", "F", "1 Rd", "BD"]]
    batch = upload(a, rows)
    assert batch.summary["refused"] == 1  # nothing mapped the supplier's name
    with pytest.raises(Exception, match="no column"):
        services.import_set_mapping(
            actor=a.user("staff"), batch=batch, mapping={"supplier_name": "Nope"}
        )
    batch = services.import_set_mapping(
        actor=a.user("staff"),
        batch=batch,
        mapping={
            "supplier_name": "Company",
            "facility_name": "Site",
            "address": "Where",
            "country": "ISO",
        },
    )
    batch = services.import_analyse(batch_id=batch.pk)
    assert batch.summary["create"] == 1


def test_only_admin_and_staff_may_import(a):
    for role in ("investigator", "auditor", "viewer", "buyer_officer"):
        with pytest.raises(Forbidden):
            upload(a, GOOD, user=a.user(role))
    upload(a, GOOD, user=a.user("admin"))


def test_another_programs_member_cannot_apply_a_batch(a, b):
    batch = upload(a, GOOD)
    with pytest.raises(Forbidden):
        services.import_apply(actor=b.user("admin"), batch_id=batch.pk)
    assert not Facility.objects.filter(program=a.program, name="Denim Mill").exists()


def test_garbage_is_a_clear_error():
    from core.errors import DomainError

    with pytest.raises(DomainError, match="xlsx"):
        parsing.read_upload("list.xlsx", b"PK\x03\x04 not really a zip")
    with pytest.raises(DomainError, match="no rows"):
        parsing.read_upload("list.csv", csv_bytes([HEADER]))
