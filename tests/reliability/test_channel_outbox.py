"""The channel outbox under concurrent senders: three real processes drain the same
outbox at once, and every text reaches the (fake) provider exactly once."""

import subprocess
import sys

import pytest
from django.db import transaction

from complaints.channels import outbox
from complaints.channels.conversation import contact_for
from complaints.channels.models import ChannelMessage, MessageState
from tests.complaints.channels.conftest import ACCOUNT, TOKEN, connect
from tests.complaints.channels.fake_provider import FakeProvider
from tests.reliability.procs import REPO, _env

SENDER = (
    "import django; django.setup();"
    "from complaints.channels import outbox; print(outbox.deliver_due())"
)


@pytest.mark.django_db(transaction=True)
def test_three_senders_send_each_text_once(personas, settings):
    world = personas.a
    provider = FakeProvider(account_sid=ACCOUNT, auth_token=TOKEN).start()
    try:
        settings.TWILIO_API_BASE = provider.base
        config = connect(world)
        with transaction.atomic():
            contacts = [contact_for(config=config, phone=f"+1509555{i:04d}") for i in range(30)]
            for i, contact in enumerate(contacts):
                contact.save()
                outbox.queue(contact=contact, body=f"text {i}")
        env = {**_env("redis://127.0.0.1:1/0"), "TWILIO_API_BASE": provider.base}
        senders = [
            subprocess.Popen(
                [sys.executable, "-c", SENDER],
                cwd=REPO,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(3)
        ]
        outputs = [p.communicate(timeout=120)[0] for p in senders]
        assert all(p.returncode == 0 for p in senders), outputs
        counts = [int(out.strip().splitlines()[-1]) for out in outputs]
        assert sum(counts) == 30
        bodies = sorted(m["Body"] for m in provider.messages)
        assert bodies == sorted(f"text {i}" for i in range(30))  # each once
        assert set(ChannelMessage.objects.values_list("state", flat=True)) == {MessageState.SENT}
    finally:
        provider.stop()
