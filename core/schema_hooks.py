"""drf-spectacular postprocessing: the error answers every operation can give.

Any operation may refuse its input (400: validation, a NUL byte, a bad page number),
its caller (401/403), an object that is missing or not the caller's (404), an illegal
transition (409) or a burst (429). The schema listed only the success answer, so every
refusal was "undocumented". They are added here, once, with one error shape.
"""

# "code" and "field" are strings in a {"detail": ...} answer, but an input field may
# itself be called "code" or "field": its validation messages are then a list.
STRING_OR_MESSAGES = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
ERROR_SCHEMA = {
    "type": "object",
    "description": (
        'An error: {"detail": "...", "code": "..."} or, for invalid input, '
        '{"<field>": ["message", ...]}.'
    ),
    "additionalProperties": True,
    "properties": {
        "detail": {"type": "string"},
        "code": STRING_OR_MESSAGES,
        "field": STRING_OR_MESSAGES,
    },
}
ERRORS = {
    "400": "The input was refused (the answer names the field).",
    "401": "Authentication is needed.",
    "403": "Not allowed for this account.",
    "404": "Not found, or not yours.",
    "405": "Method not allowed.",
    "409": "Not allowed in the object's current state.",
    "429": "Too many requests; try again later.",
}
METHODS = {"get", "put", "patch", "post", "delete", "head", "options"}


def add_error_responses(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR_SCHEMA)
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                responses.setdefault(
                    status,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
    return result
