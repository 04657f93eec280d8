"""A program's channels, the phones that wrote in, and the messages both ways.

Imported by ``complaints/models.py`` so Django registers them in the complaints app.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import ProgramOwned


class Transport(models.TextChoices):
    TWILIO_SMS = "twilio_sms", _("SMS (Twilio)")
    TWILIO_WHATSAPP = "twilio_whatsapp", _("WhatsApp (Twilio)")
    TWILIO_VOICE = "twilio_voice", _("Voice (Twilio)")
    WEBHOOK = "webhook", _("SMS gateway (signed JSON webhook)")


class ChannelConfig(ProgramOwned):
    """One number (or WhatsApp sender) a program receives complaints on.

    The secret (Twilio's auth token, or the webhook's HMAC key) comes from the
    environment variable named in ``secret_env`` when set, else from
    ``secret_ciphertext`` (Fernet under FIELD_ENCRYPTION_KEYS, as complainant identity)."""

    transport = models.CharField(max_length=20, choices=Transport.choices)
    # E.164 number of the program ("+15551234567"); the WhatsApp sender without prefix.
    address = models.CharField(max_length=40)
    # Twilio's account SID (AC...); empty for the webhook transport.
    account_sid = models.CharField(max_length=64, blank=True)
    secret_env = models.CharField(max_length=100, blank=True)
    secret_ciphertext = models.TextField(blank=True)
    # The webhook transport's outbound endpoint (the gateway's URL); unused by Twilio.
    outbound_url = models.URLField(max_length=300, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "complaints"
        constraints = [
            models.UniqueConstraint(
                fields=["transport", "address"], name="channelconfig_transport_address"
            )
        ]

    def __str__(self):
        return f"{self.get_transport_display()} {self.address}"


class Step(models.TextChoices):
    START = "start", "start"
    LANGUAGE = "language", "language"
    WHAT = "what", "what happened"
    WHERE = "where", "where"
    WHERE_PICK = "where_pick", "where: pick from the list"
    WHEN = "when", "when"
    FILED = "filed", "filed: texts thread into the case"


class ChannelContact(ProgramOwned):
    """A phone that wrote to the program, and where its conversation stands.

    The number is the worker's identity: ``phone_hash`` (HMAC under the receipt-code key,
    per program) finds the row again when the next text comes; ``phone_ciphertext`` holds
    the number for replies. Both go when the case's identity is purged."""

    phone_hash = models.CharField(max_length=64)
    phone_ciphertext = models.TextField(blank=True)
    # The transport the worker last wrote on: replies go out on it.
    config = models.ForeignKey(ChannelConfig, on_delete=models.PROTECT, related_name="+")
    language = models.CharField(max_length=10, blank=True)
    step = models.CharField(max_length=20, choices=Step.choices, default=Step.START)
    # Answers so far (what, where, when, the workplace list offered), encrypted: a
    # half-told complaint is as sensitive as a filed one.
    draft_ciphertext = models.TextField(blank=True)
    case = models.ForeignKey(
        "complaints.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opted_out_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "complaints"
        constraints = [
            models.UniqueConstraint(fields=["program", "phone_hash"], name="channelcontact_phone")
        ]


class MessageState(models.TextChoices):
    RECEIVED = "received", _("Received")
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Not delivered")


class ChannelMessage(ProgramOwned):
    """A message on a channel. Inbound rows exist to refuse a replayed webhook (the
    provider's id is unique per transport); outbound rows are the outbox: claimed,
    sent with retries, then updated by the provider's delivery receipts."""

    config = models.ForeignKey(ChannelConfig, on_delete=models.PROTECT, related_name="+")
    contact = models.ForeignKey(
        ChannelContact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case = models.ForeignKey(
        "complaints.Case",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="channel_messages",
    )
    # The case message this carries to the worker (a staff reply), if any.
    message = models.ForeignKey(
        "complaints.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    inbound = models.BooleanField()
    # MessageSid / CallSid / RecordingSid, or the gateway's message id.
    provider_id = models.CharField(max_length=64, null=True, blank=True)
    # Outbound text, encrypted (it may carry a receipt code or a staff reply); emptied
    # once the provider accepted it. Inbound text goes to the case, never here.
    body_ciphertext = models.TextField(blank=True)
    # A recording to fetch (voice); emptied once stored as evidence.
    media_url = models.URLField(max_length=500, blank=True)
    state = models.CharField(max_length=12, choices=MessageState.choices)
    attempts = models.PositiveSmallIntegerField(default=0)
    not_before = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "complaints"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["config", "inbound", "provider_id"], name="channelmessage_provider_once"
            )
        ]
        indexes = [models.Index(fields=["state", "not_before"], name="channelmessage_due")]


class RetaliationCheckIn(ProgramOwned):
    """One check-in question after a case closed, to one phone (unique per case, phone
    and day, so a redelivered beat job asks once), and the worker's answer."""

    case = models.ForeignKey("complaints.Case", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(ChannelContact, on_delete=models.CASCADE, related_name="+")
    days = models.PositiveSmallIntegerField()
    asked_at = models.DateTimeField(auto_now_add=True)
    # "yes" / "no"; empty until the worker answers.
    answer = models.CharField(max_length=3, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # The urgent retaliation complaint a "yes" filed.
    reported_case = models.ForeignKey(
        "complaints.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        app_label = "complaints"
        constraints = [
            models.UniqueConstraint(
                fields=["case", "contact", "days"], name="retaliationcheckin_once"
            )
        ]
