import hashlib
import hmac
import json
import time

import pytest
from twilio.request_validator import RequestValidator

from complaints.channels.models import Transport
from complaints.channels.services import channel_connect
from core.actors import SystemActor

from .fake_provider import FakeProvider

ACCOUNT = "AC" + "1" * 32
TOKEN = "twilio-auth-token-for-tests"
GATEWAY_SECRET = "gateway-hmac-secret-for-tests"
PROGRAM_NUMBER = "+15550001111"
SETUP = SystemActor("test-setup")


@pytest.fixture
def provider(settings):
    fake = FakeProvider(account_sid=ACCOUNT, auth_token=TOKEN, gateway_secret=GATEWAY_SECRET)
    fake.start()
    settings.TWILIO_API_BASE = fake.base
    settings.CHANNEL_HTTP_TIMEOUT = 5
    yield fake
    fake.stop()


def connect(world, transport=Transport.TWILIO_SMS, address=PROGRAM_NUMBER, **extra):
    data = {"account_sid": ACCOUNT, "secret": TOKEN}
    if transport == Transport.WEBHOOK:
        data = {"secret": GATEWAY_SECRET, "outbound_url": "https://gateway.example.org/out"}
    data.update(extra)
    return channel_connect(
        actor=SETUP, program=world.program, transport=transport, address=address, **data
    )


class TwilioPhone:
    """A worker's phone as Twilio presents it to the platform: form posts signed with
    the account's auth token (X-Twilio-Signature over the URL and the sorted params)."""

    def __init__(self, client, settings, config, number, *, prefix=""):
        self.client, self.settings, self.config = client, settings, config
        self.number, self.prefix = number, prefix
        self.count = 0

    def url(self, name, query=""):
        from django.urls import reverse

        return (
            reverse(
                f"complaints-channels:{name}",
                kwargs={"program": self.config.program.slug, "config": self.config.pk},
            )
            + query
        )

    def signed_post(self, path, params, *, token=TOKEN, sign=True):
        headers = {}
        if sign:
            signature = RequestValidator(token).compute_signature(
                self.settings.SITE_URL + path, params
            )
            headers["HTTP_X_TWILIO_SIGNATURE"] = signature
        return self.client.post(path, params, **headers)

    def text(self, body, *, sid=None, media=(), **kw):
        self.count += 1
        params = {
            "MessageSid": sid or f"SM{self.number[-4:]}{self.count:028d}",
            "AccountSid": ACCOUNT,
            "From": f"{self.prefix}{self.number}",
            "To": f"{self.prefix}{PROGRAM_NUMBER}",
            "Body": body,
            "NumMedia": str(len(media)),
        }
        for i, (url, content_type) in enumerate(media):
            params[f"MediaUrl{i}"] = url
            params[f"MediaContentType{i}"] = content_type
        return self.signed_post(self.url("twilio_message"), params, **kw), params


def gateway_post(client, path, payload, *, secret=GATEWAY_SECRET, timestamp=None):
    raw = json.dumps(payload).encode()
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()
    return client.post(
        path,
        raw,
        content_type="application/json",
        HTTP_X_WSR_TIMESTAMP=timestamp,
        HTTP_X_WSR_SIGNATURE=f"sha256={mac}",
    )
