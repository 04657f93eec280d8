"""A mail backend for worker subprocesses: each message becomes one fsynced JSON line in
the file named by WSR_MAIL_LOG (so the test sees exactly what was handed over for
sending). While the file named by WSR_MAIL_GATE exists, sending waits at the gate (and
says so by creating ``<gate>.waiting``): the test can SIGKILL a worker mid-send."""

import json
import os
import time
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


class MailLogBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        gate = os.environ.get("WSR_MAIL_GATE")
        log = Path(os.environ["WSR_MAIL_LOG"])
        for message in email_messages:
            while gate and os.path.exists(gate):
                Path(f"{gate}.waiting").touch()
                time.sleep(0.05)
            line = {
                "to": list(message.to) + list(message.bcc),
                "subject": message.subject,
                "notification": message.extra_headers.get("X-WSR-Notification"),
            }
            with log.open("a") as handle:
                handle.write(json.dumps(line) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        return len(email_messages)
