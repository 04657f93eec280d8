import pytest

from core.models import AuditEvent

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def events(program, verb=None):
    qs = AuditEvent.objects.filter(program=program)
    if verb:
        qs = qs.filter(verb=verb)
    return qs


@pytest.fixture
def a(personas):
    return personas.a


@pytest.fixture
def b(personas):
    return personas.b
