"""Reading an uploaded list (CSV, XLSX or the API's JSON) into a header and rows of text,
and guessing which column holds which field.

CSV through the standard library (the encoding sniffed: UTF-8 with or without BOM, else
Windows-1252, which spreadsheet exports on Windows still produce); XLSX through openpyxl
in read-only mode, which streams the sheet instead of building it in memory.
"""

import csv
import io
import json
import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError


@dataclass(frozen=True)
class ImportField:
    name: str
    label: str
    # Header spellings seen in real lists (OS Hub's download and contribution template,
    # the Accord's factory list, brands' supplier lists), compared once cleaned.
    synonyms: tuple = ()


FIELDS = (
    ImportField(
        "supplier_name",
        _("Supplier (legal name)"),
        ("supplier", "parent_company", "supplier_legal_name", "company", "legal_name"),
    ),
    ImportField("supplier_country", _("Supplier country"), ("supplier_country_code",)),
    ImportField(
        "facility_name",
        _("Facility name"),
        ("name", "facility", "factory", "factory_name", "farm", "farm_name", "site_name"),
    ),
    ImportField("address", _("Address"), ("facility_address", "street_address")),
    ImportField(
        "country",
        _("Country code"),
        ("country_code", "facility_country", "iso_country_code", "country_iso"),
    ),
    ImportField("latitude", _("Latitude"), ("lat",)),
    ImportField("longitude", _("Longitude"), ("lng", "lon", "long")),
    ImportField(
        "worker_count",
        _("Number of workers"),
        ("number_of_workers", "workers", "workers_count", "employees", "total_workers"),
    ),
    ImportField("worker_count_band", _("Worker-count band"), ("workers_band", "worker_band")),
    ImportField("product_type", _("Product type"), ("products", "product")),
    ImportField(
        "storeys",
        _("Number of storeys"),
        ("number_of_storeys", "stories", "number_of_stories", "floors", "number_of_floors"),
    ),
    ImportField("shared_building", _("Shared building"), ("multi_tenant", "shared")),
    ImportField("os_id", _("Open Supply Hub ID"), ("osid", "open_supply_hub_id")),
    ImportField("status", _("Status"), ("facility_status",)),
    ImportField("status_date", _("Closed or moved on"), ("closed_on", "closure_date", "moved_on")),
    ImportField("buyer_name", _("Buyer"), ("buyer", "brand", "customer")),
    ImportField(
        "sourcing_since", _("Sourcing since"), ("since", "sourcing_start", "relationship_start")
    ),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)
FIELD_LABELS = {f.name: f.label for f in FIELDS}

# At most this many rows in one file: the size of a national factory list with room
# to spare, and a bound on what one preview holds.
MAX_ROWS = 50_000
NUL = "\x00"


def clean_header(text):
    return re.sub(r"[^a-z0-9]+", "_", str(text or "").strip().lower()).strip("_")


def auto_map(headers):
    """{field: header} for every field a header names (exact name first, then a synonym);
    a header is used once."""
    by_clean = {}
    for header in headers:
        by_clean.setdefault(clean_header(header), header)
    mapping, used = {}, set()
    for exact in (True, False):
        for field in FIELDS:
            if field.name in mapping:
                continue
            names = (field.name,) if exact else field.synonyms
            for name in names:
                header = by_clean.get(name)
                if header is not None and header not in used:
                    mapping[field.name] = header
                    used.add(header)
                    break
    return mapping


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if not hasattr(value, "hour") else value.date().isoformat()
    return str(value).strip()


def _decode(data):
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError(_("The file's text could not be read (save it as UTF-8 CSV)."))


def read_csv(data):
    text = _decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        return _table(reader)
    except csv.Error as exc:
        # A file that is not CSV (an image, a bare carriage return inside a field, a
        # field over the csv module's limit) was a 500.
        raise DomainError(_("The file's text could not be read (save it as UTF-8 CSV).")) from exc


def read_xlsx(data):
    # Imported here: only an XLSX upload pays for loading openpyxl.
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise DomainError(_("The spreadsheet could not be read: is it an .xlsx file?")) from exc
    try:
        sheet = workbook.worksheets[0]
        return _table(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()


def read_json(data):
    """The API's JSON: a list of objects (or {"rows": [...]}) keyed by field or header."""
    try:
        payload = json.loads(_decode(data))
    except json.JSONDecodeError as exc:
        raise DomainError(_("The JSON could not be read.")) from exc
    if isinstance(payload, dict):
        payload = payload.get("rows")
    if not isinstance(payload, list) or not all(isinstance(r, dict) for r in payload):
        raise DomainError(_("The JSON must be a list of objects, one per row."))
    headers = []
    for row in payload:
        for key in row:
            if key not in headers:
                headers.append(str(key))
    rows = [[_text(row.get(h)) for h in headers] for row in payload]
    return _checked(headers, rows)


def _table(rows_iter):
    rows_iter = iter(rows_iter)
    headers = None
    for row in rows_iter:  # the first non-empty row is the header
        cells = [_text(c) for c in row]
        if any(cells):
            headers = cells
            break
    if headers is None:
        raise DomainError(_("The file is empty."))
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    rows = []
    for row in rows_iter:
        cells = [_text(c) for c in row][:width]
        if not any(cells):
            continue
        cells += [""] * (width - len(cells))
        rows.append(cells)
        if len(rows) > MAX_ROWS:
            raise DomainError(
                _("The file has more than %(n)s rows; split it.") % {"n": f"{MAX_ROWS:,}"}
            )
    return _checked(headers, rows)


def _checked(headers, rows):
    if not rows:
        raise DomainError(_("The file has a header but no rows."))
    # PostgreSQL keeps no NUL in text or jsonb: one in a cell or a header (a NUL byte of
    # a CSV, a JSON "\u0000") was a 500 when the batch was stored. A file with one is
    # not text (a UTF-16 file is full of them).
    if any(NUL in cell for cell in headers) or any(NUL in cell for row in rows for cell in row):
        raise DomainError(_("The file's text could not be read (save it as UTF-8 CSV)."))
    if len(rows) > MAX_ROWS:
        raise DomainError(
            _("The file has more than %(n)s rows; split it.") % {"n": f"{MAX_ROWS:,}"}
        )
    headers = [h or f"column {i + 1}" for i, h in enumerate(headers)]
    return headers, rows


def read_upload(name, data):
    """(format, headers, rows) of an uploaded file, by its content (an .xlsx is a zip)."""
    lower = (name or "").lower()
    if data[:4] == b"PK\x03\x04":
        return "xlsx", *read_xlsx(data)
    if lower.endswith(".json") or data.lstrip()[:1] in (b"[", b"{"):
        return "json", *read_json(data)
    if lower.endswith((".xlsx", ".xls")):
        raise DomainError(_("The spreadsheet could not be read: is it an .xlsx file?"))
    return "csv", *read_csv(data)
