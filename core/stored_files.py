"""Every stored file the database refers to, found from the models (core imports no
feature app): each non-empty FileField value, with the SHA-256 of its content when the
model records one (a sibling field ``sha256`` for a field named ``file``, else
``<field>_sha256``). Backup, restore and ``encrypt_files`` work from this list."""

from dataclasses import dataclass

from django.apps import apps
from django.db import models

from . import filecrypt
from .storage import open_raw


@dataclass(frozen=True)
class Reference:
    model: str  # "complaints.Evidence"
    pk: object
    field: str
    name: str  # storage name
    sha256: str  # of the plaintext, "" when the model keeps none

    def __str__(self):
        return f"{self.name} ({self.model} {self.pk}, {self.field})"


def checksum_field(model, field):
    wanted = "sha256" if field.name == "file" else f"{field.name}_sha256"
    try:
        model._meta.get_field(wanted)
    except Exception:  # noqa: BLE001 - FieldDoesNotExist: the model keeps no checksum
        return None
    return wanted


def file_fields():
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                yield model, field


def references(using="default"):
    found = []
    for model, field in file_fields():
        checksum = checksum_field(model, field)
        columns = ["pk", field.attname] + ([checksum] if checksum else [])
        rows = (
            model._base_manager.using(using)
            .exclude(**{field.attname: ""})
            .exclude(**{f"{field.attname}__isnull": True})
            .order_by("pk")
            .values_list(*columns)
        )
        label = model._meta.label
        for row in rows:
            found.append(Reference(label, row[0], field.name, row[1], row[2] if checksum else ""))
    return found


def raw_sha256(storage, name):
    with open_raw(storage, name) as handle:
        return filecrypt.plaintext_sha256(handle)


def content_sha256(storage, name):
    """SHA-256 of the file as the application reads it (decrypted)."""
    with storage.open(name, "rb") as handle:
        return filecrypt.plaintext_sha256(handle)
