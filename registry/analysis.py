"""The preview of a batch: each row checked, matched and turned into a plan (create,
update, unchanged, ask or refused), without writing anything.

Facility matching, in order: the row's OS ID if a facility of the program has it; a
remembered decision; the exact cleaned name+address+country; the best fuzzy candidate
(``matching``). Then, for a facility still without an OS ID, the same against the
program's Open Supply Hub download. A candidate a person rejected is never proposed
again for that incoming facility.
"""

from dataclasses import dataclass, field

from programs.models import Buyer, Facility, Supplier

from .matching import AUTO_ACCEPT, Candidate, MatchIndex, facility_key
from .models import MatchDecision, MatchTarget, OSHubFacility
from .validation import FACILITY_COLUMNS, cells_of, clean_row

# The facility fields a row can set, and the column each comes from (the file's
# columns, validation.FACILITY_COLUMNS, name the facility's name "facility_name").
SOURCE_COLUMN = {"name": "facility_name"}
UPDATABLE = tuple(
    {column: field for field, column in SOURCE_COLUMN.items()}.get(c, c) for c in FACILITY_COLUMNS
)


@dataclass
class Plan:
    line: int
    values: dict
    errors: list
    action: str = "refused"  # create, update, unchanged, ask, refused, supplier
    facility_id: int | None = None
    changes: dict = field(default_factory=dict)
    os_id: str = ""

    def create_fields(self):
        v = self.values
        fields = {
            "name": v["facility_name"],
            "address": v["address"],
            "country": v["country"],
            "worker_count": v["worker_count"],
            "status": v["status"],
        }
        for name in (
            "latitude",
            "longitude",
            "worker_count_band",
            "product_type",
            "storeys",
            "shared_building",
            "status_date",
        ):
            if v.get(name) not in (None, ""):
                fields[name] = v[name]
        if self.os_id:
            fields["os_id"] = self.os_id
        return fields


@dataclass
class Result:
    preview: list
    summary: dict
    plans: list


_FACILITY_VALUES = ("pk", "supplier_id", *UPDATABLE)


def _index_program(program):
    rows = list(Facility.objects.filter(program=program).values(*_FACILITY_VALUES))
    by_id = {r["pk"]: r for r in rows}
    by_os_id = {r["os_id"]: r["pk"] for r in rows if r["os_id"]}
    index = MatchIndex(
        (
            facility_key(r["name"], r["address"], r["country"]),
            Candidate(r["pk"], r["name"], r["address"]),
        )
        for r in rows
    )
    return by_id, by_os_id, index


def _index_oshub(program, countries):
    rows = OSHubFacility.objects.filter(program=program, country_code__in=countries).values_list(
        "key", "os_id", "name", "address"
    )
    return MatchIndex((key, Candidate(os_id, name, address)) for key, os_id, name, address in rows)


def _decisions(program, keys):
    accepted, rejected = {}, {}
    rows = MatchDecision.objects.filter(program=program, key__in=keys).values_list(
        "key", "target", "accepted", "facility_id", "os_id"
    )
    for key, target, ok, facility_id, os_id in rows:
        ref = facility_id if target == MatchTarget.FACILITY else os_id
        if ok:
            accepted[(key, target)] = ref
        else:
            rejected.setdefault((key, target), set()).add(ref)
    return accepted, rejected


def _changes(plan, existing, cells, supplier_id):
    """{field: new value} for the given cells that differ from the facility's."""
    v = plan.values
    changes = {}
    for name in UPDATABLE:
        column = SOURCE_COLUMN.get(name, name)
        if name == "os_id":
            new = plan.os_id
        elif not cells.get(column):
            continue  # a blank cell means "not given", never "erase"
        else:
            new = v["facility_name"] if name == "name" else v[name]
        if new in (None, ""):
            continue
        if existing[name] != new:
            changes[name] = new
    # A closed facility re-listed as active loses its date with its status.
    if changes.get("status") in ("active", "inactive") and existing["status_date"]:
        changes["status_date"] = None
    if supplier_id is not None and existing["supplier_id"] != supplier_id:
        changes["supplier"] = True  # the writer puts the supplier object in
    return changes


def analyse(batch, *, progress=None):
    program = batch.program
    buyers = {
        name.lower(): pk
        for pk, name in Buyer.objects.filter(program=program).values_list("pk", "name")
    }
    supplier_ids = {
        name.lower(): pk
        for pk, name in Supplier.objects.filter(program=program).values_list("pk", "legal_name")
    }
    by_id, by_os_id, facilities = _index_program(program)

    cleaned = []
    for i, row in enumerate(batch.rows):
        cells = cells_of(row, batch.headers, batch.mapping)
        values, errors = clean_row(cells, buyers=buyers)
        key = None
        if values["has_facility"] and not errors:
            key = facility_key(values["facility_name"], values["address"], values["country"])
        cleaned.append((i + 2, cells, values, errors, key))  # line 1 is the header

    keys = {c[4] for c in cleaned if c[4]}
    accepted, rejected = _decisions(program, keys)
    countries = {c[2].get("country") for c in cleaned if c[4]}
    oshub = _index_oshub(program, countries)

    plans, preview = [], []
    seen_keys, seen_os_ids, claimed = {}, {}, {}
    summary = dict.fromkeys(("create", "update", "unchanged", "ask", "refused", "supplier"), 0)
    for done, (line, cells, values, errors, key) in enumerate(cleaned, 1):
        if progress:
            progress(done)
        plan = Plan(line=line, values=values, errors=list(errors))
        ask = match = None
        if key:
            if key in seen_keys:
                plan.errors.append(f"The same facility as line {seen_keys[key]}.")
            seen_keys.setdefault(key, line)
            os_id = values["os_id"]
            if os_id and os_id in seen_os_ids:
                plan.errors.append(f"The same Open Supply Hub ID as line {seen_os_ids[os_id]}.")
            if os_id:
                seen_os_ids.setdefault(os_id, line)
        if key and not plan.errors:
            match, ask = _match_facility(key, values, by_os_id, facilities, accepted, rejected)
            if match and match["ref"] in claimed:
                plan.errors.append(f"Matches the same facility as line {claimed[match['ref']]}.")
            elif match:
                claimed[match["ref"]] = line
        if key and not plan.errors and not ask:
            existing = by_id.get(match["ref"]) if match else None
            plan.os_id = values["os_id"] or (existing or {}).get("os_id", "")
            oshub_match = None
            if not plan.os_id:
                oshub_match, ask = _match_oshub(key, oshub, accepted, rejected)
                if oshub_match:
                    plan.os_id = oshub_match["ref"]
            if (
                plan.os_id
                and plan.os_id in by_os_id
                and by_os_id[plan.os_id] != (existing or {}).get("pk")
            ):
                if not values["os_id"]:
                    plan.os_id = ""  # the OS Hub candidate is already another facility's
                else:
                    plan.errors.append("Another facility of the program has this OS ID.")
        if plan.errors:
            plan.action = "refused"
        elif ask:
            plan.action = "ask"
        elif not key:
            plan.action = "supplier"
        elif match:
            plan.facility_id = match["ref"]
            supplier_id = supplier_ids.get(values["supplier_name"].lower(), -1)
            plan.changes = _changes(plan, by_id[match["ref"]], cells, supplier_id)
            plan.action = "update" if plan.changes else "unchanged"
        else:
            plan.action = "create"
        summary[plan.action] += 1
        plans.append(plan)
        preview.append(_entry(plan, values, match, ask, by_id))
    summary["rows"] = len(plans)
    return Result(preview=preview, summary=summary, plans=plans)


def _match_facility(key, values, by_os_id, index, accepted, rejected):
    """(match, ask): a facility the row is (a dict with ref, how, score), or a candidate
    to ask about."""
    if values["os_id"] and values["os_id"] in by_os_id:
        return {"ref": by_os_id[values["os_id"]], "how": "os_id", "score": 100}, None
    remembered = accepted.get((key, MatchTarget.FACILITY))
    if remembered is not None and remembered in index.by_ref:
        return {"ref": remembered, "how": "decided", "score": 100}, None
    found = index.find(key, exclude=rejected.get((key, MatchTarget.FACILITY), ()))
    if found is None:
        return None, None
    if found.how == "exact" or found.score >= AUTO_ACCEPT:
        return {"ref": found.ref, "how": found.how, "score": found.score}, None
    return None, _ask(MatchTarget.FACILITY, key, found, index)


def _match_oshub(key, index, accepted, rejected):
    remembered = accepted.get((key, MatchTarget.OSHUB))
    if remembered:
        return {"ref": remembered, "how": "decided", "score": 100}, None
    found = index.find(key, exclude=rejected.get((key, MatchTarget.OSHUB), ()))
    if found is None:
        return None, None
    if found.how == "exact" or found.score >= AUTO_ACCEPT:
        return {"ref": found.ref, "how": found.how, "score": found.score}, None
    return None, _ask(MatchTarget.OSHUB, key, found, index)


def _ask(target, key, found, index):
    cand = index.by_ref[found.ref]
    return {
        "target": str(target),
        "key": key,
        "ref": found.ref,
        "score": found.score,
        "name": cand.name,
        "address": cand.address,
    }


def _entry(plan, values, match, ask, by_id):
    """What the preview page shows of a row (JSON-safe)."""
    entry = {
        "line": plan.line,
        "action": plan.action,
        "errors": [str(e) for e in plan.errors],
        "supplier": values.get("supplier_name", ""),
        "facility": values.get("facility_name", ""),
        "country": values.get("country") or "",
    }
    if match and plan.action in ("update", "unchanged"):
        entry["match"] = {
            "id": match["ref"],
            "how": match["how"],
            "score": match["score"],
            "name": by_id[match["ref"]]["name"],
        }
    if plan.changes:
        entry["changes"] = sorted(plan.changes)
    if plan.os_id:
        entry["os_id"] = plan.os_id
    if ask:
        entry["ask"] = ask
    return entry
