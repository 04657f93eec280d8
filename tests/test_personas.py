"""The personas are built once per test process and rolled back per test (conftest):
each test gets fresh objects of the same worlds; tests that do not ask for them, or that
need committed rows, never run inside that shared transaction."""

import psycopg
import pytest
from django.conf import settings
from django.db import transaction

from core.roles import Role
from programs.models import Program
from tests.conftest import SHARED_PERSONAS


def test_each_test_gets_fresh_objects_of_the_shared_worlds(personas):
    assert SHARED_PERSONAS.is_open
    builds = SHARED_PERSONAS.builds
    program = personas.a.program
    staff = personas.a.user(Role.STAFF)
    # What a test does: change a row and the Python objects; its savepoint goes.
    sid = transaction.savepoint_create()
    Program.objects.filter(pk=program.pk).update(name="Renamed by a test")
    program.name = staff.email = "changed in Python"
    transaction.savepoint_rollback(sid)

    again = SHARED_PERSONAS.fetch()  # what the next test receives
    assert SHARED_PERSONAS.builds == builds  # the same worlds, not built again
    assert again.a.program.pk == program.pk and again.a.program is not program
    assert again.a.program.name == "Alpha Fair Food"
    assert again.a.user(Role.STAFF).email == f"{Role.STAFF}@alpha.example.org"
    assert again.b.buyer.program_id == again.b.program.pk != again.a.program.pk
    assert set(again.a.members) == set(Role.values)


@pytest.mark.django_db
def test_a_database_test_without_personas_finds_no_worlds():
    assert not SHARED_PERSONAS.is_open
    assert not Program.objects.filter(slug__in=["alpha", "bravo"]).exists()


def test_a_transactional_test_gets_committed_worlds_of_its_own(transactional_db, personas):
    assert not SHARED_PERSONAS.is_open
    # Another connection (a worker, a live server) sees them: they are committed.
    with psycopg.connect(dbname=settings.DATABASES["default"]["NAME"], autocommit=True) as other:
        names = other.execute(
            "SELECT name FROM programs_program WHERE id = %s", [personas.a.program.pk]
        ).fetchall()
    assert names == [("Alpha Fair Food",)]
