"""A stand-in for api.twilio.com (and a program's SMS gateway) on loopback: a tiny
threaded http.server that records what the platform sends and answers as the provider
does. No network: settings.TWILIO_API_BASE points here."""

import base64
import hashlib
import hmac
import io
import json
import re
import secrets
import threading
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")
RECORDING = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Recordings/(RE\w+)$")


def wav_bytes(seconds=1):
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x01" * 8000 * seconds)
    return buffer.getvalue()


class FakeProvider:
    def __init__(self, *, account_sid, auth_token, gateway_secret=""):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.gateway_secret = gateway_secret
        self.messages = []  # dicts of what was POSTed to Messages.json
        self.gateway = []  # JSON bodies the gateway received
        self.failures = []  # (status, payload) to answer the next sends with
        self.recordings = {}  # RecordingSid -> bytes
        self.files = {}  # path -> (content type, bytes): media of inbound messages
        self.unauthorized = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self):
        host, port = self.server.server_address
        return f"http://{host}:{port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def bodies_to(self, number):
        return [m["Body"] for m in self.messages if m["To"].split(":")[-1] == number]

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status, payload, content_type="application/json"):
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorized(self):
                expected = base64.b64encode(
                    f"{provider.account_sid}:{provider.auth_token}".encode()
                ).decode()
                if self.headers.get("Authorization") != f"Basic {expected}":
                    provider.unauthorized += 1
                    self._answer(401, {"code": 20003, "message": "Authenticate"})
                    return False
                return True

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/gateway/outbound":
                    timestamp = self.headers.get("X-WSR-Timestamp", "")
                    mac = hmac.new(
                        provider.gateway_secret.encode(),
                        f"{timestamp}.".encode() + raw,
                        hashlib.sha256,
                    ).hexdigest()
                    if self.headers.get("X-WSR-Signature") != f"sha256={mac}":
                        self._answer(403, {"error": "bad signature"})
                        return
                    provider.gateway.append(json.loads(raw))
                    self._answer(200, {"id": f"gw-{secrets.token_hex(8)}"})
                    return
                if not MESSAGES.match(self.path):
                    self._answer(404, {"code": 20404})
                    return
                if not self._authorized():
                    return
                if provider.failures:
                    status, payload = provider.failures.pop(0)
                    self._answer(status, payload)
                    return
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                sid = "SM" + secrets.token_hex(16)
                provider.messages.append({**form, "sid": sid})
                self._answer(201, {"sid": sid, "status": "queued"})

            def do_GET(self):
                if self.path in provider.files:
                    if not self._authorized():
                        return
                    content_type, data = provider.files[self.path]
                    self._answer(200, data, content_type=content_type)
                    return
                match = RECORDING.match(self.path)
                if not match:
                    self._answer(404, {"code": 20404})
                    return
                if not self._authorized():
                    return
                data = provider.recordings.get(match.group(2))
                if data is None:
                    self._answer(404, {"code": 20404})
                    return
                self._answer(200, data, content_type="audio/x-wav")

        return Handler
