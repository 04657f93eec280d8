"""Issue 21: password reset throttled per address and per client, the same answer
whether the address exists, and links single-use and short-lived."""

import datetime
import re

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client

from core.roles import Role

pytestmark = pytest.mark.django_db

RESET = "/accounts/password_reset/"


def ask(client, email):
    return client.post(RESET, {"email": email})


def test_same_answer_whether_the_address_exists_and_throttled_per_address(personas):
    a = personas.a
    known = a.user(Role.STAFF).email
    client = Client()
    answers = [ask(client, "nobody@example.org"), ask(client, known)]
    assert [r.status_code for r in answers] == [302, 302]
    assert answers[0]["Location"] == answers[1]["Location"]
    assert len(mail.outbox) == 1
    # Per address: after the limit, the same answer and no more mail, whatever client.
    for i in range(settings.PASSWORD_RESET_LIMIT_PER_ADDRESS + 2):
        response = ask(Client(REMOTE_ADDR=f"10.0.0.{i + 1}"), known)
        assert response.status_code == 302 and response["Location"] == answers[0]["Location"]
    assert len(mail.outbox) == settings.PASSWORD_RESET_LIMIT_PER_ADDRESS


def test_throttled_per_client_across_addresses(personas):
    users = [personas.a.user(role) for role in Role.values] + [
        personas.b.user(role) for role in Role.values
    ]
    client = Client(REMOTE_ADDR="192.0.2.7")
    for user in users:
        assert ask(client, user.email).status_code == 302
    assert len(mail.outbox) == settings.PASSWORD_RESET_LIMIT_PER_CLIENT < len(users)
    # Another client is not held back by this one.
    ask(Client(REMOTE_ADDR="192.0.2.8"), users[-1].email)
    assert len(mail.outbox) == settings.PASSWORD_RESET_LIMIT_PER_CLIENT + 1


def _link(message):
    return re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", message.body).group(1)


def test_reset_links_are_single_use_and_short_lived(personas):
    assert settings.PASSWORD_RESET_TIMEOUT <= 3600
    user = personas.a.user(Role.VIEWER)
    client = Client()
    ask(client, user.email)
    link = _link(mail.outbox[-1])
    form = client.get(link, follow=True)
    assert "new_password1" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-long-new-passphrase-1", "new_password2": "a-long-new-passphrase-1"},
    )
    assert done.status_code == 302
    again = Client().get(link, follow=True)
    assert "new_password1" not in again.content.decode()  # used once: invalid now

    ask(Client(REMOTE_ADDR="192.0.2.50"), user.email)
    late = _link(mail.outbox[-1])
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(
        seconds=settings.PASSWORD_RESET_TIMEOUT + 60
    )
    with time_machine.travel(later):
        expired = Client().get(late, follow=True)
    assert "new_password1" not in expired.content.decode()
