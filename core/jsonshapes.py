"""The shape of every JSON field users can write, as a JSON schema per field.

A JSON field takes any JSON, and one bad value (a number where a list of strings
belongs) broke the page that reads it for every member of the program. Each such field
carries ``JSONShapeValidator(<name>)``: model ``full_clean`` (services), ModelForms and
DRF ModelSerializers run it, so a bad shape is a form error or a 400, never stored.
Migration ``*_repair_json_shapes`` repaired the rows stored before.
"""

import jsonschema
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

_TEXT = {"type": "string", "minLength": 1, "maxLength": 200}
_LANGUAGE = {"type": "string", "pattern": "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"}

SCHEMAS = {
    "confirm_roles": {
        "type": "array",
        "items": {"enum": ["admin", "staff", "investigator", "auditor", "viewer"]},
        "uniqueItems": True,
    },
    "approval_stages": {
        "type": "array",
        "items": {"type": "integer", "minimum": 1, "maximum": 3},
        "uniqueItems": True,
    },
    "languages": {"type": "array", "items": _LANGUAGE, "uniqueItems": True, "maxItems": 30},
    "translations": {
        "type": "object",
        "propertyNames": _LANGUAGE,
        "additionalProperties": {
            "type": "object",
            "properties": {
                "title": {"type": "string", "maxLength": 200},
                "text": {"type": "string", "maxLength": 20000},
                "section": {"type": "string", "maxLength": 120},
            },
            "additionalProperties": False,
        },
    },
    "document_checklist": {"type": "array", "items": _TEXT, "maxItems": 100},
    "documents_reviewed": {"type": "array", "items": _TEXT, "maxItems": 100},
    "topics": {"type": "array", "items": _TEXT, "maxItems": 100},
    "escalation_policy": {
        "type": "array",
        "maxItems": 10,
        "items": {
            "type": "object",
            "properties": {
                "days_overdue": {"type": "integer", "minimum": 0, "maximum": 3650},
                "stage": {"type": "integer", "minimum": 1, "maximum": 3},
            },
            "required": ["days_overdue", "stage"],
            "additionalProperties": False,
        },
    },
}


def shape_errors(name, value):
    """Human messages for what is wrong with ``value`` (empty when it fits)."""
    validator = jsonschema.Draft202012Validator(SCHEMAS[name])
    messages = []
    for error in sorted(validator.iter_errors(value), key=lambda e: list(e.path)):
        where = "".join(f"[{p}]" for p in error.path)
        messages.append(f"{where + ': ' if where else ''}{error.message}"[:300])
    return messages


def fits(name, value):
    return not shape_errors(name, value)


@deconstructible
class JSONShapeValidator:
    def __init__(self, name):
        if name not in SCHEMAS:
            raise ValueError(f"No JSON schema named {name!r}")
        self.name = name

    def __call__(self, value):
        errors = shape_errors(self.name, value)
        if errors:
            raise ValidationError(
                [f"Wrong shape: {message}" for message in errors[:5]], code="json_shape"
            )

    def __eq__(self, other):
        return isinstance(other, JSONShapeValidator) and other.name == self.name


def repaired(name, value, default):
    """``value`` made to fit: the list items or dict entries that fit on their own, else
    ``default``. For the data migrations that repair rows stored before validation."""
    if fits(name, value):
        return value
    if isinstance(value, list):
        kept = []
        for item in value:
            if fits(name, [*kept, item]):
                kept.append(item)
        value = kept
    elif isinstance(value, dict):
        value = {k: v for k, v in value.items() if fits(name, {k: v})}
    return value if fits(name, value) else default


def repair_rows(model, fields):
    """Rewrite the rows of ``model`` whose ``fields`` ({field: (schema name, default)})
    do not fit. Returns how many rows changed. Used by RunPython migrations."""
    changed = 0
    for row in model.objects.only("pk", *fields).iterator():
        updates = {}
        for field, (name, default) in fields.items():
            value = getattr(row, field)
            fixed = repaired(name, value, default() if callable(default) else default)
            if fixed != value:
                updates[field] = fixed
        if updates:
            model.objects.filter(pk=row.pk).update(**updates)
            changed += 1
    return changed
