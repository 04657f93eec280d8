"""Connect a program's SMS, WhatsApp or voice number, or its own SMS gateway, and print
the webhook addresses to give the provider (docs/channels.md)."""

import sys

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from complaints.channels.models import Transport
from complaints.channels.services import channel_connect
from core.actors import SystemActor
from programs.models import Program

WEBHOOKS = {
    Transport.TWILIO_SMS: [("A message comes in", "twilio_message")],
    Transport.TWILIO_WHATSAPP: [("When a message comes in", "twilio_message")],
    Transport.TWILIO_VOICE: [("A call comes in", "voice_call")],
    Transport.WEBHOOK: [
        ("Incoming messages (POST, signed JSON)", "gateway_message"),
        ("Delivery receipts (POST, signed JSON)", "gateway_status"),
    ],
}


class Command(BaseCommand):
    help = "Connect a number to a program's complaint line and print its webhook URLs."

    def add_arguments(self, parser):
        parser.add_argument("program", help="the program's slug")
        parser.add_argument("--transport", required=True, choices=Transport.values)
        parser.add_argument("--number", required=True, help="E.164, e.g. +15551234567")
        parser.add_argument("--account-sid", default="", help="Twilio account SID")
        parser.add_argument(
            "--secret-env",
            default="",
            help="environment variable holding the auth token / HMAC secret (preferred)",
        )
        parser.add_argument(
            "--secret-stdin",
            action="store_true",
            help="read the secret from standard input; it is stored encrypted",
        )
        parser.add_argument("--outbound-url", default="", help="the gateway's sending URL")

    def handle(self, *args, **opts):
        program = Program.objects.filter(slug=opts["program"]).first()
        if program is None:
            raise CommandError(f"no program {opts['program']!r}")
        secret = sys.stdin.read().strip() if opts["secret_stdin"] else ""
        try:
            config = channel_connect(
                actor=SystemActor("channel_connect"),
                program=program,
                transport=opts["transport"],
                address=opts["number"],
                account_sid=opts["account_sid"],
                secret=secret,
                secret_env=opts["secret_env"],
                outbound_url=opts["outbound_url"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"Connected {config} to {program.name}. Give the provider:")
        for label, name in WEBHOOKS[config.transport]:
            path = reverse(
                f"complaints-channels:{name}", kwargs={"program": program.slug, "config": config.pk}
            )
            self.stdout.write(f"  {label}: {settings.SITE_URL}{path}")
