"""One class per transport: check an inbound request, read it, send a message.

As healthchecks' ``transports.py``: the rest of the channel code asks ``transport_for
(config)`` and never branches on the provider. A request that fails its signature check
raises ``BadSignature`` before anything is read or written."""

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from django.conf import settings
from twilio.request_validator import RequestValidator, get_signature_algorithm

from complaints.models import Channel

from .models import Transport
from .secrets import channel_secret, normalize_phone


class BadSignature(Exception):
    """The request is unsigned, wrongly signed or too old: refuse it (403)."""


class SendError(Exception):
    """The provider refused or could not be reached; ``permanent`` when retrying is
    pointless (an invalid number, an opted-out recipient)."""

    def __init__(self, message, *, permanent=False):
        super().__init__(message)
        self.permanent = permanent


@dataclass
class Inbound:
    provider_id: str
    sender: str
    body: str = ""
    media: list = field(default_factory=list)  # [(url, content_type)]


def public_url(request) -> str:
    """The URL the provider called and signed: SITE_URL (what the program configured at
    the provider) plus the path and query, not the Host header a proxy may rewrite."""
    return settings.SITE_URL + request.get_full_path()


def _http(method, url, *, data=None, headers=None, auth=None):
    headers = dict(headers or {})
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=settings.CHANNEL_HTTP_TIMEOUT) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        raise SendError(f"{type(exc).__name__}: {exc}") from exc


class TwilioTransport:
    case_channel = Channel.SMS
    address_prefix = ""

    def __init__(self, config):
        self.config = config

    # ---- inbound
    def verify(self, request):
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature:
            raise BadSignature("unsigned")
        algorithm = get_signature_algorithm(
            request.headers.get("X-Twilio-Webhooks-Signature-Settings", "")
        )
        validator = RequestValidator(channel_secret(self.config))
        if not validator.validate(public_url(request), request.POST, signature, algorithm):
            raise BadSignature("signature does not match")

    def parse(self, request) -> Inbound:
        post = request.POST
        media = []
        for i in range(min(int(post.get("NumMedia") or 0), 10)):
            url = post.get(f"MediaUrl{i}", "")
            if url:
                media.append((url, post.get(f"MediaContentType{i}", "")))
        return Inbound(
            provider_id=post.get("MessageSid") or post.get("SmsSid") or "",
            sender=normalize_phone(post.get("From", "")),
            body=post.get("Body", ""),
            media=media,
        )

    # ---- outbound
    def send(self, *, to, body, status_url) -> str:
        config = self.config
        url = f"{settings.TWILIO_API_BASE}/2010-04-01/Accounts/{config.account_sid}/Messages.json"
        data = urllib.parse.urlencode(
            {
                "From": f"{self.address_prefix}{config.address}",
                "To": f"{self.address_prefix}{to}",
                "Body": body,
                "StatusCallback": status_url,
            }
        ).encode()
        status, content = _http(
            "POST",
            url,
            data=data,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            auth=(config.account_sid, channel_secret(config)),
        )
        return _twilio_result(status, content)

    def download(self, url) -> bytes:
        """A recording or media file of this account (Twilio asks for the account's
        credentials on media URLs)."""
        if not url.startswith(settings.TWILIO_API_BASE + "/"):
            raise SendError("media is not on the provider's API", permanent=True)
        status, content = _http(
            "GET", url, auth=(self.config.account_sid, channel_secret(self.config))
        )
        if status != 200:
            raise SendError(f"download answered {status}", permanent=status in (401, 403))
        return content


# Twilio's error codes that no retry can fix: invalid or unreachable "To", the recipient
# replied STOP, the number cannot receive this channel.
_PERMANENT = {21211, 21408, 21610, 21612, 21614, 63003, 63024}


def _twilio_result(status, content):
    try:
        payload = json.loads(content or b"{}")
    except ValueError:
        payload = {}
    if 200 <= status < 300 and payload.get("sid"):
        return payload["sid"]
    code = payload.get("code")
    raise SendError(
        f"provider answered {status} (code {code})",
        permanent=code in _PERMANENT or status in (400, 401, 403, 404),
    )


class TwilioSMS(TwilioTransport):
    case_channel = Channel.SMS


class TwilioWhatsApp(TwilioTransport):
    case_channel = Channel.WHATSAPP
    address_prefix = "whatsapp:"


class TwilioVoice(TwilioTransport):
    """Calls; the receipt code it reads back also goes out by SMS from the same number."""

    case_channel = Channel.VOICE


class JsonWebhook:
    """Any gateway that can sign JSON: ``X-WSR-Timestamp`` (Unix seconds) and
    ``X-WSR-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">``. Inbound
    body ``{"id", "from", "text"}``; outbound the same shape, signed the same way, POSTed
    to the program's gateway URL, which answers ``{"id": ...}``. A request older than
    CHANNEL_WEBHOOK_WINDOW is refused; within it, the message id is accepted once."""

    case_channel = Channel.SMS

    def __init__(self, config):
        self.config = config

    @staticmethod
    def sign(secret, timestamp, raw: bytes) -> str:
        mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256)
        return "sha256=" + mac.hexdigest()

    def verify(self, request):
        timestamp = request.headers.get("X-WSR-Timestamp", "")
        signature = request.headers.get("X-WSR-Signature", "")
        if not timestamp or not signature:
            raise BadSignature("unsigned")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > (
            settings.CHANNEL_WEBHOOK_WINDOW
        ):
            raise BadSignature("outside the replay window")
        expected = self.sign(channel_secret(self.config), timestamp, request.body)
        if not hmac.compare_digest(expected, signature):
            raise BadSignature("signature does not match")

    def parse(self, request) -> Inbound:
        try:
            data = json.loads(request.body)
        except ValueError as exc:
            raise BadSignature("not JSON") from exc
        if not isinstance(data, dict):
            raise BadSignature("not a JSON object")
        return Inbound(
            provider_id=str(data.get("id") or "")[:64],
            sender=normalize_phone(str(data.get("from") or "")),
            body=str(data.get("text") or ""),
        )

    def send(self, *, to, body, status_url) -> str:
        if not self.config.outbound_url:
            raise SendError("the gateway has no outbound URL", permanent=True)
        raw = json.dumps({"to": to, "text": body, "status_url": status_url}).encode()
        timestamp = str(int(time.time()))
        status, content = _http(
            "POST",
            self.config.outbound_url,
            data=raw,
            headers={
                "Content-Type": "application/json",
                "X-WSR-Timestamp": timestamp,
                "X-WSR-Signature": self.sign(channel_secret(self.config), timestamp, raw),
            },
        )
        if not 200 <= status < 300:
            raise SendError(f"gateway answered {status}", permanent=400 <= status < 500)
        try:
            return str(json.loads(content).get("id") or "")[:64] or None
        except (ValueError, AttributeError):
            return None


TRANSPORTS = {
    Transport.TWILIO_SMS: TwilioSMS,
    Transport.TWILIO_WHATSAPP: TwilioWhatsApp,
    Transport.TWILIO_VOICE: TwilioVoice,
    Transport.WEBHOOK: JsonWebhook,
}


def transport_for(config):
    return TRANSPORTS[config.transport](config)
