"""The masking policy: the one place that decides what the public may see.

Every public page, open-data file and public API response is built from the dicts this
module returns, never from model instances or from another app's raw output. The policy
works by allow-list: a field is public only if it is named here, and values from other
apps are accepted only in the shape declared here (numbers, dates, and codes from a
closed vocabulary — never free text). So a case fact, a complainant's identity, an
investigator's name or a confidential note cannot reach the public even if another app's
selector starts returning it by mistake.

What the program's policy says is public:
- the program, its worker organization, hotline and ratified code (not drafts);
- buyers with a signed (non-draft) agreement: name, country, website, since when;
- suppliers and facilities: names, addresses, coordinates, worker counts, Open Supply
  Hub IDs; standing and escalation stage as a category with dates (never the violation
  or case behind it); corrective-action progress as a rate;
- aggregate statistics (counts, rates, medians, money passed to workers);
- the complaint log: reference, month received, category, status; the outcome only once
  a case is closed. Never who complained, never what they said, never who investigates.
"""

import datetime
import decimal
import re
from collections import Counter
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from complaints.models import OPEN_STATUSES, CaseStatus, Outcome
from programs.models import WorkerCountBand

LICENCE = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"

# A code from a closed vocabulary (a choice value): never free text.
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# A public case reference such as "C-2026-0012"; anything longer or richer is dropped.
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")

STANDING_LABELS = {
    "good": _("Good standing"),
    "probation": _("Probation"),
    "suspended": _("Suspended"),
    "terminated": _("Terminated"),
    "reinstatement_review": _("Reinstatement review"),
}
STAGE_LABELS = {0: _("None"), 1: _("Notice"), 2: _("Warning"), 3: _("Termination")}
# Shown when the enforcement app has no record for a supplier.
DEFAULT_STANDING = "good"


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    description: str


# Columns of suppliers.csv and the API's facilities/ (one row per facility; a supplier
# without a facility has one row with empty facility columns).
FACILITY_ROW_FIELDS = (
    Field("supplier_id", "integer", _("Stable ID of the supplier on this platform.")),
    Field("supplier_name", "string", _("Legal name of the supplier.")),
    Field("supplier_country", "string", _("Supplier's country (ISO 3166-1 alpha-2).")),
    Field(
        "standing",
        "string",
        _("good, probation, suspended, reinstatement_review or terminated."),
    ),
    Field(
        "escalation_stage",
        "integer",
        _("0 none, 1 notice, 2 warning, 3 termination of business relationships."),
    ),
    Field("suspended_until", "date", _("End of a suspension (YYYY-MM-DD), else empty.")),
    Field("buyer_count", "integer", _("Participating buyers currently sourcing from it.")),
    Field("facility_id", "integer", _("Stable ID of the facility on this platform.")),
    Field("facility_name", "string", _("Name of the farm, factory or site.")),
    Field("address", "string", _("Street address of the facility.")),
    Field("country", "string", _("Facility's country (ISO 3166-1 alpha-2).")),
    Field("latitude", "number", _("WGS 84 latitude, empty when unknown.")),
    Field("longitude", "number", _("WGS 84 longitude, empty when unknown.")),
    Field("worker_count", "integer", _("Number of workers at the facility.")),
    Field("os_id", "string", _("Open Supply Hub ID, empty when not known.")),
    Field("facility_status", "string", _("active, inactive, closed or moved.")),
    Field("status_date", "date", _("When it closed or moved (YYYY-MM-DD), else empty.")),
    Field("worker_count_band", "string", _("1-1000, 1001-5000, 5001-10000 or 10001+.")),
    Field("product_type", "string", _("What the facility makes or grows, if given.")),
    Field("number_of_storeys", "integer", _("Storeys of the building, empty when unknown.")),
    Field(
        "shared_building",
        "boolean",
        _("true when other factories share the building, empty when unknown."),
    ),
    Field(
        "cap_progress",
        "number",
        _("Share of corrective-action items fixed (0 to 1); empty without a plan."),
    ),
)

SUPPLIER_FIELDS = (
    Field("id", "integer", _("Stable ID of the supplier on this platform.")),
    Field("name", "string", _("Legal name of the supplier.")),
    Field("country", "string", _("Supplier's country (ISO 3166-1 alpha-2).")),
    Field("standing", "string", _("Standing category, see suppliers.csv.")),
    Field("escalation_stage", "integer", _("0 to 3, see suppliers.csv.")),
    Field("suspended_until", "date", _("End of a suspension, else null.")),
    Field("buyer_count", "integer", _("Participating buyers currently sourcing from it.")),
    Field("facilities", "array", _("The supplier's facilities (fields below).")),
)

FACILITY_FIELDS = (
    Field("id", "integer", _("Stable ID of the facility on this platform.")),
    Field("name", "string", _("Name of the farm, factory or site.")),
    Field("address", "string", _("Street address.")),
    Field("country", "string", _("ISO 3166-1 alpha-2.")),
    Field("latitude", "number", _("WGS 84 latitude or null.")),
    Field("longitude", "number", _("WGS 84 longitude or null.")),
    Field("worker_count", "integer", _("Number of workers.")),
    Field("os_id", "string", _("Open Supply Hub ID or empty.")),
    Field("status", "string", _("active, inactive, closed or moved.")),
    Field("status_date", "date", _("When it closed or moved, or null.")),
    Field("worker_count_band", "string", _("Worker-count band, see suppliers.csv.")),
    Field("product_type", "string", _("What the facility makes or grows, or empty.")),
    Field("number_of_storeys", "integer", _("Storeys of the building, or null.")),
    Field("shared_building", "boolean", _("Other factories in the building, or null.")),
    Field("cap_progress", "number", _("Share of corrective-action items fixed, or null.")),
)

# Open Supply Hub's contribution template (the columns its list upload reads), filled
# from the public facility rows: opensupplyhub.csv.
OSHUB_FIELDS = (
    Field("country", "string", _("Facility's country (ISO 3166-1 alpha-2).")),
    Field("name", "string", _("Name of the farm, factory or site.")),
    Field("address", "string", _("Street address of the facility.")),
    Field("sector", "string", _("The program's sector.")),
    Field("product_type", "string", _("What the facility makes or grows, if given.")),
    Field(
        "number_of_workers",
        "string",
        _("Number of workers, or the worker-count band where only that is known."),
    ),
    Field("parent_company", "string", _("Legal name of the supplier.")),
    Field("lat", "number", _("WGS 84 latitude, empty when unknown.")),
    Field("lng", "number", _("WGS 84 longitude, empty when unknown.")),
    Field("os_id", "string", _("Open Supply Hub ID, empty when not known.")),
)

BUYER_FIELDS = (
    Field("buyer_id", "integer", _("Stable ID of the buyer on this platform.")),
    Field("name", "string", _("Name of the buyer.")),
    Field("headquarters_country", "string", _("ISO 3166-1 alpha-2.")),
    Field("website", "string", _("The buyer's website, if given.")),
    Field("agreement_since", "date", _("Start of its first signed agreement (YYYY-MM-DD).")),
    Field("agreement_status", "string", _("active, expired or terminated.")),
)

# Agreement statuses that make a buyer public (a draft is a negotiation, not public).
PUBLIC_AGREEMENT_STATUSES = ("active", "expired", "terminated")
# What a reader sees for a buyer's agreement status (the open data keeps the codes).
AGREEMENT_STATUS_LABELS = {
    "active": _("Active"),
    "expired": _("Expired"),
    "terminated": _("Terminated"),
}


def _number(value):
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, (float, decimal.Decimal)):
        return float(value)
    try:
        return float(decimal.Decimal(str(value)))
    except (decimal.InvalidOperation, ValueError):
        return None


# Small-number suppression when the source gives no threshold (complaints' default).
DEFAULT_SUPPRESS_BELOW = 5


def _threshold(value):
    number = _int(value)
    return number if number is not None and number >= 1 else DEFAULT_SUPPRESS_BELOW


def _suppressed(count, threshold):
    """``count``, or None when it is small enough to point at a person (0 is safe)."""
    return None if 0 < count < threshold else count


def _int(value):
    number = _number(value)
    return int(number) if number is not None else None


def _rate(value):
    number = _number(value)
    if number is None:
        return None
    return round(min(max(number, 0.0), 1.0), 4)


def _date(value):
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            return None
    return None


def _month(value):
    """A month as YYYY-MM (accepts dates, datetimes and 'YYYY-MM[-DD]' strings)."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, str) and re.match(r"^\d{4}-\d{2}", value):
        return value[:7]
    return None


def _code(value):
    value = str(value) if value is not None else ""
    return value if _CODE.match(value) else None


def _category_label(code):
    from programs.models import Category

    try:
        return str(Category(code).label)
    except ValueError:
        return None


def _choice(value, choices):
    """(value, label) if ``value`` is a value or a label of ``choices``, else (None, None)."""
    if value in (None, "") or choices is None:
        return None, None
    value = str(value)
    for code, label in choices.choices:
        if value in (code, str(label)):
            return code, str(label)
    return None, None


def _complaint_vocabulary():
    """The complaints app's case statuses, open statuses and outcomes."""
    return CaseStatus, tuple(OPEN_STATUSES), Outcome


def _coordinate(value):
    number = _number(value)
    return round(number, 6) if number is not None else None


class DisclosurePolicy:
    """Builds every public record. Methods take model rows or other apps' raw output and
    return plain dicts holding only public fields."""

    licence = LICENCE
    licence_url = LICENCE_URL
    facility_row_fields = FACILITY_ROW_FIELDS
    supplier_fields = SUPPLIER_FIELDS
    facility_fields = FACILITY_FIELDS
    buyer_fields = BUYER_FIELDS
    oshub_fields = OSHUB_FIELDS

    # ------------------------------------------------------------ parties

    def program(self, program):
        return {
            "slug": program.slug,
            "name": program.name,
            "worker_organization": program.worker_organization,
            "description": program.description,
            "sector": program.sector,
            "country": program.country,
            "languages": [str(code) for code in (program.languages or [])],
            "hotline": program.hotline,
        }

    def buyer(self, buyer):
        """``buyer`` carries the annotations ``agreement_since``/``agreement_status``."""
        status = getattr(buyer, "agreement_status", None)
        return {
            "buyer_id": buyer.pk,
            "name": buyer.name,
            "headquarters_country": buyer.headquarters_country,
            "website": buyer.website,
            "agreement_since": _date(getattr(buyer, "agreement_since", None)),
            "agreement_status": status if status in PUBLIC_AGREEMENT_STATUSES else None,
        }

    def standing(self, raw):
        """A supplier's standing as category and dates only (never the case behind it).

        ``raw`` is enforcement's entry for the supplier, or None when it has none (good
        standing) — or the sentinel ``UNPUBLISHED`` while enforcement does not exist.
        """
        if raw is UNPUBLISHED:
            return {"standing": None, "escalation_stage": None, "suspended_until": None}
        raw = raw or {}
        standing = _code(raw.get("standing")) or DEFAULT_STANDING
        stage = _int(raw.get("stage"))
        return {
            "standing": standing,
            "escalation_stage": stage if stage in STAGE_LABELS else 0,
            "suspended_until": _date(raw.get("suspended_until")),
        }

    def facility(self, facility, *, cap=None):
        return {
            "id": facility.pk,
            "name": facility.name,
            "address": facility.address,
            "country": facility.country,
            "latitude": _coordinate(facility.latitude),
            "longitude": _coordinate(facility.longitude),
            "worker_count": facility.worker_count,
            "os_id": facility.os_id,
            "status": facility.status,
            "status_date": _date(facility.status_date),
            "worker_count_band": facility.worker_count_band
            or WorkerCountBand.for_count(facility.worker_count),
            "product_type": facility.product_type,
            "number_of_storeys": facility.storeys,
            "shared_building": facility.shared_building,
            "cap_progress": _rate(cap),
        }

    def supplier(self, supplier, *, standing, caps, facilities):
        """``standing``: enforcement's raw entry; ``caps``: {facility_id: rate}."""
        return {
            "id": supplier.pk,
            "name": supplier.legal_name,
            "country": supplier.country,
            **self.standing(standing),
            "buyer_count": getattr(supplier, "buyer_count", None) or 0,
            "facilities": [self.facility(f, cap=(caps or {}).get(f.pk)) for f in facilities],
        }

    def facility_rows(self, supplier_record):
        """Flatten one ``supplier()`` record into suppliers.csv rows (one per facility)."""
        base = {
            "supplier_id": supplier_record["id"],
            "supplier_name": supplier_record["name"],
            "supplier_country": supplier_record["country"],
            "standing": supplier_record["standing"],
            "escalation_stage": supplier_record["escalation_stage"],
            "suspended_until": supplier_record["suspended_until"],
            "buyer_count": supplier_record["buyer_count"],
        }
        empty = {f.name: None for f in FACILITY_ROW_FIELDS if f.name not in base}
        if not supplier_record["facilities"]:
            yield {**base, **empty}
        for f in supplier_record["facilities"]:
            yield {
                **base,
                "facility_id": f["id"],
                "facility_name": f["name"],
                "address": f["address"],
                "country": f["country"],
                "latitude": f["latitude"],
                "longitude": f["longitude"],
                "worker_count": f["worker_count"],
                "os_id": f["os_id"],
                "facility_status": f["status"],
                "status_date": f["status_date"],
                "worker_count_band": f["worker_count_band"],
                "product_type": f["product_type"],
                "number_of_storeys": f["number_of_storeys"],
                "shared_building": f["shared_building"],
                "cap_progress": f["cap_progress"],
            }

    def oshub_row(self, row, *, sector):
        """One ``facility_rows`` row in Open Supply Hub's columns; None for a supplier
        without a facility and for a closed or moved facility (not a production site)."""
        if row["facility_id"] is None or row["facility_status"] in ("closed", "moved"):
            return None
        return {
            "country": row["country"],
            "name": row["facility_name"],
            "address": row["address"],
            "sector": sector,
            "product_type": row["product_type"],
            "number_of_workers": row["worker_count"] or row["worker_count_band"],
            "parent_company": row["supplier_name"],
            "lat": row["latitude"],
            "lng": row["longitude"],
            "os_id": row["os_id"],
        }

    def provision(self, provision, language):
        return {
            "number": provision.number,
            "section": provision.section,
            "title": provision.title_in(language),
            "text": provision.text_in(language),
            "category": provision.category,
            "severity": provision.severity,
        }

    # ------------------------------------------------------------ statistics

    def complaint_stats(self, raw):
        """Aggregates only. A month's count from 1 to the program's threshold minus one
        is published as None ("fewer than" ``fewer_than``): with few complaints a month,
        a count tells the employer who spoke up. No threshold given: the default
        (fail closed)."""
        if raw is None:
            return None
        threshold = _threshold(raw.get("suppress_below"))
        monthly = []
        for row in raw.get("monthly") or []:
            month = _month(row.get("month"))
            if month:
                monthly.append(
                    {
                        "month": month,
                        "received": _suppressed(_int(row.get("received")) or 0, threshold),
                        "resolved": _suppressed(_int(row.get("resolved")) or 0, threshold),
                    }
                )
        return {
            "fewer_than": threshold,
            "monthly": monthly,
            "median_days_to_resolution": _number(raw.get("median_days_to_resolution")),
            "share_resolved_within_deadline": _rate(raw.get("share_resolved_within_deadline")),
            "total_received": _int(raw.get("total_received")),
            "total_resolved": _int(raw.get("total_resolved")),
            "open_cases": _int(raw.get("open_cases")),
        }

    def enforcement_stats(self, raw):
        if raw is None:
            return None
        by_category = []
        for row in raw.get("violations_by_category") or []:
            code = _code(row.get("category"))
            label = _category_label(code) if code else None
            if code and label:
                by_category.append(
                    {"category": code, "label": label, "count": _int(row.get("count")) or 0}
                )
        currency = str(raw.get("premium_currency") or "")
        return {
            "violations_by_category": by_category,
            "confirmed_violations": _int(raw.get("confirmed_violations")),
            "premium_paid_to_workers": _number(raw.get("premium_paid_to_workers")),
            "premium_currency": currency if re.fullmatch(r"[A-Z]{3}", currency) else "",
        }

    def cap_series(self, raw):
        if raw is None:
            return None
        series = []
        for row in raw:
            date, rate = _date(row.get("date")), _rate(row.get("rate"))
            if date and rate is not None:
                series.append({"date": date, "rate": rate})
        return series

    def education(self, raw):
        if raw is None:
            return None
        rows = []
        for row in raw:
            season = str(row.get("season") or "")
            # A season is a label like "2025-26" or "Winter 2026": short, no sentences.
            if not re.fullmatch(r"[\w .\-/]{1,30}", season):
                continue
            rows.append(
                {
                    "season": season,
                    "workers_reached": _int(row.get("workers_reached")) or 0,
                    "workforce": _int(row.get("workforce")),
                    "share": _rate(row.get("share")),
                }
            )
        return rows

    def complaint_log_entry(self, raw):
        """A line of the public complaint log: no person, no words from the case.

        Category, status and outcome are accepted only as values or labels of their
        choice lists. Which facility a case concerns, and its outcome, are published
        only once the case is no longer open: naming the workplace of an open complaint
        tells the employer someone there spoke up.
        """
        from programs.models import Category

        statuses, open_statuses, outcomes = _complaint_vocabulary()
        category, category_label = _choice(raw.get("category"), Category)
        status, status_label = _choice(raw.get("status"), statuses)
        closed = status is not None and status not in open_statuses
        outcome, outcome_label = _choice(raw.get("outcome"), outcomes) if closed else (None, None)
        reference = str(raw.get("reference") or "")
        facility = raw.get("facility") if closed else None
        return {
            "reference": reference if _REFERENCE.match(reference) else None,
            "received": _month(raw.get("received_month") or raw.get("received")),
            "category": category,
            "category_label": category_label,
            "status": status,
            "status_label": status_label,
            "facility": str(facility)[:200] if facility else None,
            "outcome": outcome,
            "outcome_label": outcome_label,
        }

    def complaint_log(self, raw, *, threshold=None):
        """The log's entries; a facility named on fewer closed entries than the
        threshold is not named on any (its few complainants would be identifiable)."""
        if raw is None:
            return None
        threshold = _threshold(threshold)
        entries = [self.complaint_log_entry(row) for row in raw]
        named = Counter(e["facility"] for e in entries if e["facility"])
        for entry in entries:
            if entry["facility"] and named[entry["facility"]] < threshold:
                entry["facility"] = None
        return entries


class _Unpublished:
    """Marks a figure whose source app does not publish it yet."""

    def __bool__(self):
        return False

    def __repr__(self):
        return "UNPUBLISHED"

    def __reduce__(self):
        # Unpickles (from the cache) as the module's singleton, so ``is`` tests hold.
        return "UNPUBLISHED"


UNPUBLISHED = _Unpublished()
POLICY = DisclosurePolicy()
