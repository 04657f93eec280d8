"""The route behind an OpenAPI path template (``/api/v1/programs/{program}/x/{id}/``).

The schema names path parameters but the URL patterns decide what they accept: most ids
are integers (``\\d+``), an import batch's is a UUID (registry/api.py). A template is
resolved with program A's slug and the first sample id its pattern accepts.
"""

import re

from django.urls import Resolver404, resolve

PATH_PARAM = re.compile(r"\{(\w+)\}")
# One sample per id shape the API's URL patterns use: an integer pk, a UUID pk.
SAMPLE_IDS = ("1", "00000000-0000-4000-8000-000000000001")


def route_name(path, program="alpha"):
    """The view name of the URL pattern that serves the template ``path``."""
    for sample in SAMPLE_IDS:
        concrete = PATH_PARAM.sub(lambda m, s=sample: program if m[1] == "program" else s, path)
        try:
            return resolve(concrete).view_name
        except Resolver404:
            continue
    raise Resolver404({"path": path, "tried": SAMPLE_IDS})
