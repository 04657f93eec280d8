"""Export of all of a program's data as a zip of CSV files, for the worker organization
that owns it (data portability, an exit from the platform, an independent archive).

Tables are discovered, not listed: every installed model with a ``program`` foreign key
to Program (every ProgramOwned table, memberships, the audit log) is exported, so a
table added later is exported without touching this module. Per row, every concrete
column, foreign keys as ids (``<field>_id``), files as their stored names.

What is never exported: the complainant identity ciphertext and the receipt-code hashes
(useless without the platform's keys, and a target with them). Decrypted identities go
into a separate ``complainant_identities.csv`` only when asked for and only for a member
whose role may see identities; the audit event says whether they were included.

Memory stays flat: rows are read with a server-side cursor and written through a
deflating zip into a temporary file that the response then streams.
"""

import datetime
import decimal
import io
import json
import tempfile
import uuid
import zipfile

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import connection, models, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from complaints.crypto import decrypt_identity
from complaints.models import Case
from core import csvwriter
from core.audit import audit_log
from core.roles import ADMIN_ROLES, Role
from programs.models import Program

CHUNK = 2000


def is_secret_field(field) -> bool:
    name = field.name
    # A worker channel's phone hash is as telling as the number: phone numbers are few
    # enough to try every one against a keyed hash once the key is known.
    return name.endswith("_ciphertext") or (
        ("receipt" in name or "phone" in name) and name.endswith("hash")
    )


def exportable_models():
    """Every concrete model with a direct ``program`` FK to Program, sorted by label."""
    program_model = Program
    found = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        try:
            field = meta.get_field("program")
        except FieldDoesNotExist:
            continue
        if isinstance(field, models.ForeignKey) and field.related_model is program_model:
            found.append(model)
    return sorted(found, key=lambda m: m._meta.label_lower)


def export_columns(model):
    return [f for f in model._meta.concrete_fields if not is_secret_field(f)]


def csv_name(model):
    return f"{model._meta.app_label}/{model._meta.model_name}.csv"


def _cell(value, *, text):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (int, float, decimal.Decimal, uuid.UUID)):
        return value  # not text: a negative amount stays a number in the CSV
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, FieldFile):
        return value.name or ""
    # Text that came from an anonymous complaint form must never run as a formula on
    # the organization's laptop: the one CSV writer (core.csvwriter) neutralises it.
    return str(value)


def _write_csv(zf, name, header, rows):
    count = 0
    with zf.open(name, "w", force_zip64=True) as raw:
        out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        writer = csvwriter.writer(out)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
        out.flush()
        out.detach()
    return count


def _model_rows(model, program, columns):
    text = [isinstance(f, (models.CharField, models.TextField)) for f in columns]
    queryset = (
        model._base_manager.filter(program_id=program.pk)
        .order_by("pk")
        .values_list(*[f.attname for f in columns])
    )
    for values in queryset.iterator(chunk_size=CHUNK):
        yield [_cell(v, text=t) for v, t in zip(values, text, strict=True)]


def _identity_rows(program):
    cases = (
        Case._base_manager.filter(program_id=program.pk)
        .exclude(identity_ciphertext="")
        .order_by("pk")
        .values_list("pk", "reference", "identity_ciphertext")
    )
    for pk, reference, token in cases.iterator(chunk_size=CHUNK):
        try:
            identity = decrypt_identity(token)
        except RuntimeError:
            identity = {"other": "(cannot be decrypted with the configured keys)"}
        yield [
            pk,
            reference,
            *(_cell(identity.get(k, ""), text=True) for k in ("name", "phone", "email", "other")),
        ]


def may_export(membership) -> bool:
    return membership is not None and membership.is_active and membership.role in ADMIN_ROLES


def may_include_identity(membership) -> bool:
    # complaints.access: admins see complainant identities by role.
    return may_export(membership) and membership.role == Role.ADMIN


def program_export(*, actor, program, membership, include_identity=False, progress=None):
    """Write the program's export to a temporary file; return ``(file, manifest)``.

    The tables are read in one REPEATABLE READ transaction (one consistent snapshot,
    even while others write) when called outside a transaction. The audit event is
    written after, in its own transaction: inside the snapshot its chain position could
    be stale. The caller streams the file and closes it.
    """
    if not may_export(membership) or membership.program_id != program.pk:
        raise PermissionDenied("Only the program's admins may export its data.")
    if include_identity and not may_include_identity(membership):
        raise PermissionDenied("You are not allowed to export complainant identities.")

    # Handed to the response, which closes it once streamed (closed here on failure).
    handle = tempfile.TemporaryFile(prefix="wsr-export-")  # noqa: SIM115
    try:
        manifest = _build(actor, program, handle, include_identity, progress)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return handle, manifest


def _build(actor, program, handle, include_identity, progress=None):
    tables = {}
    identities = None
    snapshot = not connection.in_atomic_block
    with transaction.atomic():
        if snapshot:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            program_model = type(program)
            columns = list(program_model._meta.concrete_fields)
            tables["programs/program.csv"] = _write_csv(
                zf,
                "programs/program.csv",
                [f.attname for f in columns],
                [[_cell(getattr(program, f.attname), text=True) for f in columns]],
            )
            models_to_export = exportable_models()
            for done, model in enumerate(models_to_export, start=1):
                columns = export_columns(model)
                name = csv_name(model)
                tables[name] = _write_csv(
                    zf, name, [f.attname for f in columns], _model_rows(model, program, columns)
                )
                if progress is not None:  # a background job shows how far it is
                    progress(done, len(models_to_export))
            if include_identity and apps.is_installed("complaints"):
                identities = _write_csv(
                    zf,
                    "complaints/complainant_identities.csv",
                    ["case_id", "reference", "name", "phone", "email", "other"],
                    _identity_rows(program),
                )
            manifest = {
                "program": program.slug,
                "exported_at": timezone.now().isoformat(),
                "exported_by": getattr(actor, "username", str(actor)),
                "tables": tables,
                "complainant_identities": identities,
                "omitted_columns": sorted(
                    f"{m._meta.label_lower}.{f.name}"
                    for m in exportable_models()
                    for f in m._meta.concrete_fields
                    if is_secret_field(f)
                ),
            }
            zf.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
    with transaction.atomic():
        audit_log(
            program=program,
            actor=actor,
            verb="program.exported",
            obj=program,
            payload={
                "tables": len(tables),
                "rows": sum(tables.values()),
                "identity_included": identities is not None,
                "identities": identities or 0,
            },
        )
    return manifest
