"""Checking one imported row: the cells of the mapped columns become typed values, or
errors a person can act on ("Latitude must be between -90 and 90"). Nothing here reads
the database; the buyer names the program knows are passed in."""

import datetime
import decimal
import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from programs.models import FacilityStatus, WorkerCountBand

from .countries import ISO_3166_ALPHA2

FACILITY_COLUMNS = (
    "facility_name",
    "address",
    "country",
    "latitude",
    "longitude",
    "worker_count",
    "worker_count_band",
    "product_type",
    "storeys",
    "shared_building",
    "os_id",
    "status",
    "status_date",
)
YES = {"yes", "y", "true", "1", "x", "si", "sí", "oui", "wi"}
NO = {"no", "n", "false", "0", "non"}
OS_ID = re.compile(r"^[A-Z]{2}[0-9]{7}[A-Z0-9]{7}$")


def cells_of(row, headers, mapping):
    index = {h: i for i, h in enumerate(headers)}
    out = {}
    for field, header in mapping.items():
        i = index.get(header)
        out[field] = row[i].strip() if i is not None and i < len(row) else ""
    return out


def _country(value, label, errors):
    code = value.strip().upper()
    if code not in ISO_3166_ALPHA2:
        errors.append(
            _("%(field)s “%(value)s” is not a two-letter ISO country code (e.g. BD, US).")
            % {"field": label, "value": value}
        )
        return None
    return code


def _decimal(value, label, low, high, errors):
    try:
        number = decimal.Decimal(value.replace(",", "."))
    except decimal.InvalidOperation:
        errors.append(
            _("%(field)s “%(value)s” is not a number.") % {"field": label, "value": value}
        )
        return None
    if not (low <= number <= high):
        errors.append(
            _("%(field)s must be between %(low)s and %(high)s.")
            % {"field": label, "low": low, "high": high}
        )
        return None
    return number.quantize(decimal.Decimal("0.000001"))


def _count(value, label, errors, *, minimum=0):
    text = value.replace(",", "").replace(" ", "")
    if text.endswith(".0"):
        text = text[:-2]
    if not text.isdigit() or int(text) < minimum:
        errors.append(
            _("%(field)s “%(value)s” must be a whole number of at least %(min)s.")
            % {"field": label, "value": value, "min": minimum}
        )
        return None
    return int(text)


def _date(value, label, errors):
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        errors.append(
            _("%(field)s “%(value)s” is not a date (YYYY-MM-DD).")
            % {"field": label, "value": value}
        )
        return None


def clean_row(cells, *, buyers):
    """(values, errors) of one row's cells ({field: text}). ``buyers``: {lower name: id}."""
    errors = []
    values = {}
    supplier = cells.get("supplier_name", "")
    if not supplier:
        errors.append(_("The supplier's name is missing."))
    elif len(supplier) > 200:
        errors.append(_("The supplier's name is longer than 200 characters."))
    values["supplier_name"] = supplier

    has_facility = any(cells.get(c) for c in FACILITY_COLUMNS)
    values["has_facility"] = has_facility
    if has_facility:
        for field, label, limit in (
            ("facility_name", gettext_lazy("The facility's name"), 200),
            ("address", gettext_lazy("The address"), 300),
        ):
            text = cells.get(field, "")
            if not text:
                errors.append(_("%(field)s is missing.") % {"field": label})
            elif len(text) > limit:
                errors.append(
                    _("%(field)s is longer than %(n)s characters.") % {"field": label, "n": limit}
                )
            values[field] = text
        if not cells.get("country"):
            errors.append(_("The facility's country code is missing."))
            values["country"] = None
        else:
            values["country"] = _country(cells["country"], gettext_lazy("Country"), errors)
        lat, lng = cells.get("latitude", ""), cells.get("longitude", "")
        if bool(lat) != bool(lng):
            errors.append(_("Give both latitude and longitude, or neither."))
        values["latitude"] = (
            _decimal(lat, gettext_lazy("Latitude"), -90, 90, errors) if lat else None
        )
        values["longitude"] = (
            _decimal(lng, gettext_lazy("Longitude"), -180, 180, errors) if lng else None
        )
        _workers(cells, values, errors)
        values["product_type"] = cells.get("product_type", "")[:200]
        storeys = cells.get("storeys", "")
        values["storeys"] = (
            _count(storeys, gettext_lazy("Number of storeys"), errors, minimum=1)
            if storeys
            else None
        )
        shared = cells.get("shared_building", "").lower()
        values["shared_building"] = None
        if shared:
            if shared in YES:
                values["shared_building"] = True
            elif shared in NO:
                values["shared_building"] = False
            else:
                errors.append(
                    _("Shared building “%(value)s” must be yes or no.")
                    % {"value": cells["shared_building"]}
                )
        os_id = cells.get("os_id", "").upper()
        if os_id and not OS_ID.match(os_id):
            errors.append(
                _("Open Supply Hub ID “%(value)s” is not an OS ID (e.g. BD2019085B6BVHF).")
                % {"value": cells["os_id"]}
            )
        values["os_id"] = os_id
        _status(cells, values, errors)

    supplier_country = cells.get("supplier_country", "")
    if supplier_country:
        values["supplier_country"] = _country(
            supplier_country, gettext_lazy("Supplier country"), errors
        )
    else:
        values["supplier_country"] = values.get("country")
        if not values["supplier_country"] and supplier and not cells.get("country"):
            errors.append(_("The supplier's country code is missing."))

    buyer = cells.get("buyer_name", "")
    values["buyer_id"] = None
    values["sourcing_since"] = None
    if buyer:
        values["buyer_id"] = buyers.get(buyer.lower())
        if values["buyer_id"] is None:
            errors.append(
                _("Buyer “%(name)s” is not a buyer of this program (add the buyer first).")
                % {"name": buyer}
            )
        since = cells.get("sourcing_since", "")
        if since:
            values["sourcing_since"] = _date(since, gettext_lazy("Sourcing since"), errors)
        else:
            errors.append(_("Give the date the buyer began sourcing (Sourcing since)."))
    elif cells.get("sourcing_since"):
        errors.append(_("A sourcing date without a buyer."))
    return values, errors


def _workers(cells, values, errors):
    count = cells.get("worker_count", "")
    band = cells.get("worker_count_band", "")
    values["worker_count"] = 0
    values["worker_count_band"] = ""
    # OS Hub's download gives a band ("1001-5000") where a count is unknown.
    if count and count.replace(" ", "") in WorkerCountBand.values and not band:
        band, count = count.replace(" ", ""), ""
    if count:
        n = _count(count, gettext_lazy("Number of workers"), errors)
        values["worker_count"] = n or 0
    if band:
        band = band.replace(" ", "")
        if band in WorkerCountBand.values:
            values["worker_count_band"] = band
        else:
            errors.append(
                _("Worker-count band “%(value)s” must be one of %(bands)s.")
                % {
                    "value": cells.get("worker_count_band") or count,
                    "bands": ", ".join(WorkerCountBand.values),
                }
            )


def _status(cells, values, errors):
    status = cells.get("status", "").lower() or FacilityStatus.ACTIVE
    if status not in FacilityStatus.values:
        errors.append(
            _("Status “%(value)s” must be one of %(choices)s.")
            % {"value": cells["status"], "choices": ", ".join(FacilityStatus.values)}
        )
        status = None
    values["status"] = status
    date = cells.get("status_date", "")
    values["status_date"] = (
        _date(date, gettext_lazy("Closed or moved on"), errors) if date else None
    )
    dated = status in (FacilityStatus.CLOSED, FacilityStatus.MOVED)
    if dated and values["status_date"] is None and not date:
        errors.append(_("Give the date the facility closed or moved."))
    if status and not dated and date:
        errors.append(_("Only a closed or moved facility has a status date."))
