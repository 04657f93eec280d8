"""Complainant identity: encrypted at rest, shown only with the grant, audited, purged."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from complaints import crypto, services, tasks
from complaints.models import Case, ComplaintPolicy, Outcome
from core.actors import SystemActor
from core.models import AuditEvent
from core.roles import Role

from .conftest import assigned, submit, triaged

pytestmark = pytest.mark.django_db

IDENTITY = {"name": "Rosa Martínez", "phone": "+1 239 555 0101"}


def filed(world):
    case, _ = submit(world, identity=IDENTITY)
    return case


def raw_identity(case):
    with connection.cursor() as cursor:
        cursor.execute("SELECT identity_ciphertext FROM complaints_case WHERE id = %s", [case.pk])
        return cursor.fetchone()[0]


def test_raw_sql_shows_only_ciphertext(personas):
    case = filed(personas.a)
    raw = raw_identity(case)
    assert raw and raw.startswith("gAAAAA")
    assert "Rosa" not in raw and "555" not in raw
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT row_to_json(c)::text FROM complaints_case c WHERE id = %s", [case.pk]
        )
        row = cursor.fetchone()[0]
    assert "Rosa" not in row and "555 0101" not in row
    for payload in AuditEvent.objects.values_list("payload", flat=True):
        assert "Rosa" not in str(payload)


def test_assigned_investigator_sees_identity_and_each_reveal_is_audited(personas, client_for):
    world = personas.a
    case = filed(world)
    triaged(world, case)
    assigned(world, case)
    inv = client_for(world.user(Role.INVESTIGATOR))
    detail = reverse("complaints:case_detail", kwargs={"program": world.slug, "pk": case.pk})
    page = inv.get(detail).content.decode()
    assert "Rosa" not in page and "Show identity" in page  # hidden until asked
    url = reverse("complaints:case_identity", kwargs={"program": world.slug, "pk": case.pk})
    for expected in (1, 2):
        response = inv.post(url)
        assert response.status_code == 200
        assert "Rosa Martínez" in response.content.decode()
        assert (
            AuditEvent.objects.filter(
                verb="case.identity_revealed",
                object_id=str(case.pk),
                actor=world.user(Role.INVESTIGATOR),
            ).count()
            == expected
        )
    api = reverse("complaints-api:case-identity", kwargs={"program": world.slug, "pk": case.pk})
    response = inv.post(api)
    assert response.status_code == 200 and response.json()["name"] == "Rosa Martínez"
    assert AuditEvent.objects.filter(verb="case.identity_revealed").count() == 3
    # The case itself, in the API, never carries the identity.
    case_api = reverse("complaints-api:case-detail", kwargs={"program": world.slug, "pk": case.pk})
    assert "Rosa" not in inv.get(case_api).content.decode()


def test_staff_without_grant_other_investigators_and_other_programs_cannot_see(
    personas, client_for
):
    world = personas.a
    case = filed(world)
    triaged(world, case)
    assigned(world, case)
    url = reverse("complaints:case_identity", kwargs={"program": world.slug, "pk": case.pk})
    api = reverse("complaints-api:case-identity", kwargs={"program": world.slug, "pk": case.pk})
    detail = reverse("complaints:case_detail", kwargs={"program": world.slug, "pk": case.pk})

    staff = client_for(world.user(Role.STAFF))
    page = staff.get(detail).content.decode()
    assert "Rosa" not in page and "hidden" in page
    assert staff.post(url).status_code == 403
    assert staff.post(api).status_code == 403

    # Another investigator of the same program does not even see the case.
    from programs import services as program_services
    from tests.conftest import make_user

    other = make_user("second-investigator@alpha.example.org")
    program_services.membership_invite(
        actor=SystemActor("test"),
        program=world.program,
        email=other.email,
        role=Role.INVESTIGATOR,
        send_email=False,
    )
    other_client = client_for(other)
    assert other_client.get(detail).status_code == 404
    assert other_client.post(url).status_code == 404

    for user in personas.b.members.values():
        assert client_for(user).post(url).status_code == 404
        assert client_for(user).post(api).status_code == 404
    assert not AuditEvent.objects.filter(verb="case.identity_revealed").exists()

    # Sharing with identity grants it; the admin sees it by role.
    services.case_share(actor=world.user(Role.STAFF), case=case, user=other, with_identity=True)
    assert "Rosa" in other_client.post(url).content.decode()
    assert "Rosa" in client_for(world.user(Role.ADMIN)).post(url).content.decode()


def test_reassignment_withdraws_the_previous_grant(personas, client_for):
    world = personas.a
    case = filed(world)
    triaged(world, case)
    assigned(world, case)
    services.case_assign(
        actor=world.user(Role.STAFF), case=case, investigator=world.user(Role.AUDITOR)
    )
    detail = reverse("complaints:case_detail", kwargs={"program": world.slug, "pk": case.pk})
    assert client_for(world.user(Role.INVESTIGATOR)).get(detail).status_code == 404
    assert client_for(world.user(Role.AUDITOR)).get(detail).status_code == 200


def _closed(world, case):
    triaged(world, case)
    assigned(world, case)
    inv = world.user(Role.INVESTIGATOR)
    services.case_start_investigation(actor=inv, case=case)
    services.case_resolve(actor=inv, case=case, outcome=Outcome.NOT_SUBSTANTIATED)
    return services.case_close(actor=world.user(Role.STAFF), case=case)


def test_purge_job_removes_identity_after_retention(personas):
    world = personas.a
    start = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        case = filed(world)
        still_open = filed(world)
        _closed(world, case)
        ComplaintPolicy.objects.create(program=world.program, identity_retention_days=30)
    with time_machine.travel(start + datetime.timedelta(days=29), tick=False):
        assert tasks.purge_expired_identities() == 0
    case.refresh_from_db()
    assert case.identity_ciphertext and case.identity_purged_at is None
    with time_machine.travel(start + datetime.timedelta(days=30, hours=1), tick=False):
        assert tasks.purge_expired_identities() == 1
        assert tasks.purge_expired_identities() == 0  # idempotent
    case.refresh_from_db()
    still_open.refresh_from_db()
    assert case.identity_ciphertext == "" and case.identity_purged_at is not None
    assert raw_identity(case) == ""
    assert still_open.identity_ciphertext  # open cases keep it
    assert (
        AuditEvent.objects.filter(verb="case.identity_purged", object_id=str(case.pk)).count() == 1
    )
    # A reveal after the purge returns nothing (and is still audited).
    assert services.case_identity_reveal(actor=world.user(Role.ADMIN), case=case) == {}


def test_identity_keys_rotate(personas):
    from cryptography.fernet import Fernet

    world = personas.a
    case = filed(world)
    from django.conf import settings

    new_key = Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, *settings.FIELD_ENCRYPTION_KEYS]):
        old_raw = raw_identity(case)
        assert services.identity_keys_rotate(actor=SystemActor("test"), program=world.program) == 1
        new_raw = raw_identity(case)
        assert new_raw != old_raw
        assert Fernet(new_key.encode()).decrypt(new_raw.encode())
        assert crypto.decrypt_identity(new_raw)["name"] == "Rosa Martínez"
    # Case rows of program B are untouched.
    assert Case.objects.filter(program=personas.b.program).count() == 0
