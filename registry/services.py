"""Writes of the registry: upload a list, map its columns, decide possible matches,
apply it through the programs services, and load an Open Supply Hub download.

Applying runs in one transaction: every supplier, facility and sourcing relationship it
creates or changes goes through ``programs.services`` (so each gets its own audit event,
its validation and its scope check), then one ``import.applied`` event records the
batch. A row the services refuse is reported and the others still apply; a re-upload of
the same file finds every facility by its cleaned name, address and country, changes
nothing and asks nothing.
"""

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log, chain_lock
from core.authz import require_member
from core.errors import DomainError, IllegalTransition
from programs import services as program_services
from programs.models import Buyer, Facility, SourcingRelationship, Supplier

from . import parsing
from .analysis import analyse
from .matching import facility_key
from .models import ImportBatch, ImportStatus, MatchDecision, MatchTarget, OSHubFacility

ACTION = "registry.import"
# Above this many rows the preview and the apply run as a background job.
SYNC_ROWS = 500
PROGRESS_EVERY = 250


def progress_key(batch_id):
    return f"registry-import:{batch_id}:progress"


def batch_progress(batch):
    if batch.status in (ImportStatus.PREVIEW, ImportStatus.APPLIED):
        return 100
    return cache.get(progress_key(batch.pk)) or 0


def _set_progress(batch_id, done, total):
    cache.set(progress_key(batch_id), int(100 * done / max(total, 1)), 3600)


def _check_size(data):
    from django.conf import settings

    if len(data) > settings.MAX_UPLOAD_BYTES:
        limit = settings.MAX_UPLOAD_BYTES // (1024 * 1024)
        raise DomainError(_("The file is too large (limit %(n)s MB).") % {"n": limit})


def import_upload(*, actor, program, filename, data):
    """Read the file, guess the mapping, store the batch; the caller then analyses it
    (inline for a small file, as a job for a large one)."""
    require_member(actor, program, ACTION)
    _check_size(data)
    file_format, headers, rows = parsing.read_upload(filename, data)
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            program=program,
            created_by=actor,
            filename=(filename or "upload")[-200:],
            file_format=file_format,
            headers=headers,
            rows=rows,
            mapping=parsing.auto_map(headers),
        )
        audit_log(
            program=program,
            actor=actor,
            verb="import.uploaded",
            obj=batch,
            payload={"filename": batch.filename, "format": file_format, "rows": len(rows)},
        )
    return batch


def import_set_mapping(*, actor, batch, mapping):
    """Change which column holds which field (blank: not imported)."""
    require_member(actor, batch.program, ACTION)
    mapping = {k: v for k, v in (mapping or {}).items() if v}
    unknown = set(mapping) - set(parsing.FIELD_NAMES)
    if unknown:
        raise DomainError(_("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    missing = set(mapping.values()) - set(batch.headers)
    if missing:
        raise DomainError(
            _("The file has no column %(c)s.") % {"c": ", ".join(f"“{m}”" for m in missing)}
        )
    if len(set(mapping.values())) != len(mapping):
        raise DomainError(_("A column can feed one field only."))
    if "supplier_name" not in mapping:
        raise DomainError(_("Choose the column that holds the supplier's name."))
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status not in (ImportStatus.PREVIEW, ImportStatus.FAILED):
            raise IllegalTransition(_("This import can no longer be changed."))
        old = locked.mapping
        locked.mapping = mapping
        locked.status = ImportStatus.ANALYSING
        locked.save(update_fields=["mapping", "status"])
        audit_log(
            program=batch.program,
            actor=actor,
            verb="import.mapped",
            obj=locked,
            payload={"from": old, "to": mapping},
        )
    return locked


def import_analyse(*, batch_id):
    """Work out the preview of a batch (validation and matching per row) and store it.
    Reads only; a task or the view calls it after the upload, a mapping or a decision."""
    batch = ImportBatch.objects.select_related("program").get(pk=batch_id)
    if batch.status != ImportStatus.ANALYSING:
        return batch
    total = len(batch.rows)

    def progress(done):
        if done % PROGRESS_EVERY == 0:
            _set_progress(batch.pk, done, total)

    try:
        result = analyse(batch, progress=progress)
    except Exception as exc:
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportStatus.FAILED, error=str(exc)[:500]
        )
        raise
    ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.ANALYSING).update(
        preview=result.preview, summary=result.summary, status=ImportStatus.PREVIEW, error=""
    )
    batch.refresh_from_db()
    return batch


def match_decide(*, actor, batch, line, accept):
    """Confirm or reject the possible match a row asks about; remembered for the program
    (by the incoming facility's cleaned name, address and country)."""
    require_member(actor, batch.program, ACTION)
    entry = next((e for e in batch.preview if e["line"] == line), None)
    ask = entry and entry.get("ask")
    if not ask:
        raise DomainError(_("That row has no possible match to decide."))
    with transaction.atomic():
        chain_lock(batch.program_id)
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != ImportStatus.PREVIEW:
            raise IllegalTransition(_("This import can no longer be changed."))
        facility = None
        if ask["target"] == MatchTarget.FACILITY:
            facility = Facility.objects.filter(program=batch.program, pk=ask["ref"]).first()
            if facility is None:
                raise DomainError(_("That facility no longer exists."))
        decision, _created = MatchDecision.objects.update_or_create(
            program=batch.program,
            key=ask["key"],
            target=ask["target"],
            facility=facility,
            os_id=ask["ref"] if ask["target"] == MatchTarget.OSHUB else "",
            defaults={"accepted": accept, "score": ask["score"], "decided_by": actor},
        )
        audit_log(
            program=batch.program,
            actor=actor,
            verb="match.accepted" if accept else "match.rejected",
            obj=decision,
            payload={"target": ask["target"], "score": ask["score"], "line": line},
        )
        locked.status = ImportStatus.ANALYSING
        locked.save(update_fields=["status"])
    return locked


def import_apply(*, actor, batch_id):
    """Apply a previewed batch in one transaction (see the module's docstring). The
    preview is worked out again inside the transaction, on the data as it is now."""
    batch = ImportBatch.objects.select_related("program").get(pk=batch_id)
    program = batch.program
    require_member(actor, program, ACTION)
    with transaction.atomic():
        chain_lock(program.pk)  # the lock order (core/audit.py): chain, then rows
        batch = ImportBatch.objects.select_for_update().select_related("program").get(pk=batch.pk)
        if batch.status not in (ImportStatus.PREVIEW, ImportStatus.APPLYING):
            raise IllegalTransition(_("This import has already been applied."))
        result = analyse(batch)
        if result.summary.get("ask"):
            raise DomainError(
                _("Decide the %(n)s possible matches first.") % {"n": result.summary["ask"]}
            )
        report = _write(actor=actor, batch=batch, plans=result.plans)
        batch.preview = result.preview
        batch.summary = result.summary
        batch.report = report
        batch.status = ImportStatus.APPLIED
        batch.applied_at = timezone.now()
        batch.save(update_fields=["preview", "summary", "report", "status", "applied_at"])
        audit_log(
            program=program,
            actor=actor,
            verb="import.applied",
            obj=batch,
            payload={k: v for k, v in report.items() if k != "refused"}
            | {"refused": len(report["refused"])},
        )
    return batch


def _write(*, actor, batch, plans):
    """Apply the plans through the programs app's bulk services (one audit event per
    record). Each row is first checked as the model would check it, so a row the model
    refuses is reported and the others still apply."""
    program = batch.program
    refused = {p.line: p.errors for p in plans if p.errors}
    rows = [p for p in plans if not p.errors]
    suppliers = {s.legal_name.lower(): s for s in Supplier.objects.filter(program=program)}
    buyers = Buyer.objects.filter(program=program).in_bulk()
    existing = Facility.objects.filter(
        program=program, pk__in=[p.facility_id for p in rows if p.action == "update"]
    ).in_bulk()

    # 1. New suppliers (first row naming one gives its country).
    new_suppliers = {}
    for plan in rows:
        v = plan.values
        name = v["supplier_name"].lower()
        if name in suppliers or name in new_suppliers:
            continue
        candidate = Supplier(
            program=program, legal_name=v["supplier_name"], country=v["supplier_country"] or ""
        )
        try:
            _python_check(candidate, ["program"])
        except ValidationError as exc:
            refused[plan.line] = _messages(exc)
            continue
        new_suppliers[name] = {"legal_name": v["supplier_name"], "country": candidate.country}
    rows = [p for p in rows if p.line not in refused]
    rows = [
        p
        for p in rows
        if p.values["supplier_name"].lower() in suppliers
        or p.values["supplier_name"].lower() in new_suppliers
    ]
    _set_progress(batch.pk, 1, 4)

    # 2. Facilities to create and update, checked row by row.
    creates, updates = [], []
    for plan in rows:
        try:
            if plan.action == "create":
                fields = plan.create_fields()
                _python_check(Facility(program=program, **fields), ["program", "supplier"])
                creates.append((plan, fields))
            elif plan.action == "update":
                facility = existing[plan.facility_id]
                probe = Facility(
                    **{
                        f.attname: getattr(facility, f.attname)
                        for f in Facility._meta.concrete_fields
                    }
                )
                for name, value in plan.changes.items():
                    if name != "supplier":
                        setattr(probe, name, value)
                _python_check(probe, ["program", "supplier"])
                updates.append((plan, facility))
        except ValidationError as exc:
            refused[plan.line] = _messages(exc)
    ok = [p for p in rows if p.line not in refused]

    created = program_services.suppliers_create_many(
        actor=actor, program=program, suppliers=list(new_suppliers.values())
    )
    for supplier in created:
        suppliers[supplier.legal_name.lower()] = supplier
    _set_progress(batch.pk, 2, 4)

    def supplier_of(plan):
        return suppliers[plan.values["supplier_name"].lower()]

    program_services.facilities_create_many(
        actor=actor,
        program=program,
        facilities=[
            {"supplier": supplier_of(plan), **fields}
            for plan, fields in creates
            if plan.line not in refused
        ],
    )
    changed = program_services.facilities_update_many(
        actor=actor,
        program=program,
        updates=[
            (
                facility,
                {k: (supplier_of(plan) if k == "supplier" else v) for k, v in plan.changes.items()},
            )
            for plan, facility in updates
            if plan.line not in refused
        ],
    )
    _set_progress(batch.pk, 3, 4)

    # 3. Sourcing: one relationship per buyer and supplier, unless one is ongoing.
    ongoing = set(
        SourcingRelationship.objects.filter(program=program, until__isnull=True).values_list(
            "buyer_id", "supplier_id"
        )
    )
    relationships = []
    for plan in ok:
        v = plan.values
        if not v.get("buyer_id"):
            continue
        supplier = supplier_of(plan)
        if (v["buyer_id"], supplier.pk) in ongoing:
            continue
        ongoing.add((v["buyer_id"], supplier.pk))
        relationships.append(
            {"buyer": buyers[v["buyer_id"]], "supplier": supplier, "since": v["sourcing_since"]}
        )
    program_services.sourcing_create_many(actor=actor, program=program, relationships=relationships)
    counts = {
        "suppliers_created": len(created),
        "facilities_created": sum(1 for plan, _f in creates if plan.line not in refused),
        "facilities_updated": len(changed),
        "facilities_unchanged": sum(1 for p in ok if p.action == "unchanged"),
        "sourcing_created": len(relationships),
    }
    return counts | {
        "refused": [{"line": line, "errors": errors} for line, errors in sorted(refused.items())]
    }


def _python_check(obj, foreign_keys):
    obj.clean_fields(exclude=foreign_keys)
    obj.clean()


def _messages(exc):
    if isinstance(exc, ValidationError):
        return [str(m) for m in exc.messages]
    return [str(exc)]


# ---------------------------------------------------------------- Open Supply Hub


OSHUB_COLUMNS = ("os_id", "name", "address", "country_code")


def oshub_load(*, actor, program, filename, data):
    """Load (or refresh) the program's copy of an Open Supply Hub CSV download: rows are
    keyed by OS ID; a row already loaded is replaced. Returns the number of rows."""
    require_member(actor, program, ACTION)
    _check_size(data)
    _format, headers, rows = parsing.read_upload(filename, data)
    index = {parsing.clean_header(h): i for i, h in enumerate(headers)}
    missing = [c for c in OSHUB_COLUMNS if c not in index]
    if missing:
        raise DomainError(
            _("This is not an Open Supply Hub download: no column %(c)s.")
            % {"c": ", ".join(missing)}
        )
    records = {}
    index = {c: i for c, i in index.items() if c in ("lat", "lng", *OSHUB_COLUMNS)}
    for row in rows:
        cell = {c: row[i].strip() for c, i in index.items()}
        get = cell.get  # noqa: E731
        os_id, country = get("os_id").upper(), get("country_code").upper()
        if not os_id or len(country) != 2:
            continue
        records[os_id] = OSHubFacility(
            program=program,
            os_id=os_id[:32],
            name=get("name")[:300],
            address=get("address")[:500],
            country_code=country,
            lat=_coordinate(get("lat", ""), 90),
            lng=_coordinate(get("lng", ""), 180),
            key=facility_key(get("name"), get("address"), country),
        )
    if not records:
        raise DomainError(_("The file has no rows with an OS ID and a country code."))
    with transaction.atomic():
        chain_lock(program.pk)
        OSHubFacility.objects.filter(program=program, os_id__in=list(records)).delete()
        OSHubFacility.objects.bulk_create(records.values(), batch_size=2000)
        audit_log(
            program=program,
            actor=actor,
            verb="oshub.loaded",
            obj=program,
            payload={"filename": (filename or "")[-200:], "rows": len(records)},
        )
    return len(records)


def _coordinate(text, bound):
    import decimal

    try:
        value = decimal.Decimal(text)
    except (decimal.InvalidOperation, ValueError):
        return None
    if not (-bound <= value <= bound):
        return None
    return value.quantize(decimal.Decimal("0.000001"))


# ---------------------------------------------------------------- run now or as a job


def import_preview_start(batch):
    """Work the preview out now for a small file, as a job for a large one."""
    from .tasks import import_analyse_task

    if len(batch.rows) <= SYNC_ROWS:
        return import_analyse(batch_id=batch.pk)
    transaction.on_commit(lambda: import_analyse_task.delay(str(batch.pk), batch.program_id))
    return batch


def import_apply_start(*, actor, batch):
    """Apply now for a small file; for a large one mark it "applying" and queue the job
    (the job applies as ``actor``, whose membership the service checks again)."""
    from .tasks import import_apply_task

    require_member(actor, batch.program, ACTION)
    if len(batch.rows) <= SYNC_ROWS:
        return import_apply(actor=actor, batch_id=batch.pk)
    with transaction.atomic():
        claimed = ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.PREVIEW).update(
            status=ImportStatus.APPLYING, error=""
        )
        if not claimed:
            raise IllegalTransition(_("This import has already been applied."))
        if batch.summary.get("ask"):
            raise DomainError(
                _("Decide the %(n)s possible matches first.") % {"n": batch.summary["ask"]}
            )
        transaction.on_commit(
            lambda: import_apply_task.delay(str(batch.pk), batch.program_id, actor.pk)
        )
    batch.refresh_from_db()
    return batch
