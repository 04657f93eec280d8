"""Named, expiring API tokens stored as digests: create, list, revoke (each audited),
expiry, and the migration of DRF's plaintext tokens."""

import datetime
import hashlib

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken
from core.models import AuditEvent
from core.roles import Role

pytestmark = pytest.mark.django_db


def api(secret, scheme="Token"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {secret}")
    return client


def test_token_page_creates_lists_and_revokes(personas, client_for):
    a = personas.a
    user = a.user(Role.VIEWER)
    page = client_for(user)
    assert "no token yet" in page.get("/accounts/tokens/").content.decode()
    created = page.post("/accounts/tokens/", {"name": "Procurement sync", "days": "30"})
    assert created.status_code == 200 and created["Cache-Control"] == "no-store"
    secret = created.context["secret"]
    token = ApiToken.objects.get(user=user)
    # Only the digest is kept: the secret appears in no column of the table.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        assert not any(secret in str(cell) for row in cursor.fetchall() for cell in row)
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert token.name == "Procurement sync"
    assert (
        abs(token.expires_at - (timezone.now() + datetime.timedelta(days=30))).total_seconds() < 60
    )
    listing = page.get("/accounts/tokens/").content.decode()
    assert "Procurement sync" in listing and token.prefix in listing and secret not in listing

    assert api(secret).get(f"/api/v1/programs/{a.slug}/suppliers/").status_code == 200
    assert api(secret, "Bearer").get(f"/api/v1/programs/{a.slug}/suppliers/").status_code == 200
    page.post("/accounts/tokens/", {"action": "revoke", "token": token.pk})
    assert api(secret).get(f"/api/v1/programs/{a.slug}/suppliers/").status_code in (401, 403)
    verbs = list(
        AuditEvent.objects.filter(program=None, object_type="accounts.apitoken").values_list(
            "verb", "actor"
        )
    )
    assert verbs == [("api_token.created", user.pk), ("api_token.revoked", user.pk)]


def test_bad_input_changes_nothing(personas, client_for):
    page = client_for(personas.a.user(Role.VIEWER))
    for data in ({"name": "", "days": "30"}, {"name": "x", "days": "9999"}, {"name": "x"}):
        response = page.post("/accounts/tokens/", data)
        assert response.status_code == 200 and response.context["form"].errors, data
    assert not ApiToken.objects.exists()


def test_a_users_token_cannot_be_revoked_by_another(personas, client_for):
    owner, other = personas.a.user(Role.VIEWER), personas.a.user(Role.ADMIN)
    token, secret = services.api_token_create(actor=owner, user=owner, name="mine")
    response = client_for(other).post("/accounts/tokens/", {"action": "revoke", "token": token.pk})
    assert response.status_code == 404
    assert api(secret).get(f"/api/v1/programs/{personas.a.slug}/suppliers/").status_code == 200
    with pytest.raises(Exception, match="your own"):
        services.api_token_create(actor=other, user=owner, name="not yours")


def test_token_expires(personas):
    user = personas.a.user(Role.VIEWER)
    _, secret = services.api_token_create(actor=user, user=user, name="short", days=7)
    url = f"/api/v1/programs/{personas.a.slug}/suppliers/"
    assert api(secret).get(url).status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(days=7, minutes=1)):
        assert api(secret).get(url).status_code in (401, 403)


def test_plaintext_tokens_are_migrated_to_digests(personas):
    import importlib

    from django.apps import apps
    from rest_framework.authtoken.models import Token

    user = personas.a.user(Role.VIEWER)
    old = Token.objects.create(user=user)
    migration = importlib.import_module("accounts.migrations.0002_hash_existing_plaintext_tokens")
    migration.forwards(apps, None)
    assert not Token.objects.exists()
    migrated = ApiToken.objects.get(user=user)
    assert migrated.digest == hashlib.sha256(old.key.encode()).hexdigest()
    assert migrated.expires_at > timezone.now() + datetime.timedelta(days=89)
    assert api(old.key).get(f"/api/v1/programs/{personas.a.slug}/suppliers/").status_code == 200
