"""Outbound channel messages: an outbox beside the mail outbox (core/notifications.py),
with the same claim-send-mark protocol, and the provider's delivery receipts.

1. ``queue`` writes a pending ``ChannelMessage`` in the caller's transaction and, after
   commit, enqueues ``complaints.tasks.send_channel_messages``.
2. ``deliver_due`` claims due rows (``FOR UPDATE SKIP LOCKED``, then ``sending`` with a
   claim time), sends each through its transport and marks it ``sent`` (with the
   provider's id) by a conditional UPDATE on the claim; a failure goes back to
   ``pending`` with a backoff, or to ``failed`` when it is permanent or after
   ``MAX_ATTEMPTS``. The beat sweep runs it every minute (lost publishes, dead senders).
3. The provider's status callback (``receipt``) moves a sent row to ``delivered`` or
   ``failed``; a failed row shows on the case (``complaints/selectors.py``).

The worker's number is read from their contact at send time and never copied here, so
purging the contact leaves nothing to send to (the row fails, visibly)."""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from complaints import crypto

from .models import ChannelMessage, MessageState
from .secrets import decrypt_phone
from .transports import SendError, transport_for

log = logging.getLogger(__name__)

BATCH = 10
MAX_ATTEMPTS = 6
LEASE = datetime.timedelta(minutes=5)


def queue(*, contact, body, case=None, message=None):
    """Record one outbound message to ``contact`` on the channel they last used; sent
    after the caller's transaction commits. Nothing is queued to an opted-out number."""
    if contact.opted_out_at is not None or not contact.phone_ciphertext:
        return None
    row = ChannelMessage.objects.create(
        program_id=contact.program_id,
        config_id=contact.config_id,
        contact=contact,
        case=case,
        message=message,
        inbound=False,
        body_ciphertext=crypto.encrypt_identity({"body": body}),
        state=MessageState.PENDING,
    )
    if not any(entry[1] is enqueue for entry in transaction.get_connection().run_on_commit):
        transaction.on_commit(enqueue)
    return row


def enqueue():
    from complaints import tasks
    from core import broker

    broker.publish(tasks.send_channel_messages, (), what="the channel outbox")


def status_url(config):
    from .models import Transport

    name = "gateway_status" if config.transport == Transport.WEBHOOK else "twilio_status"
    return settings.SITE_URL + reverse(
        f"complaints-channels:{name}",
        kwargs={"program": config.program.slug, "config": config.pk},
    )


def _claim(limit):
    now = timezone.now()
    due = Q(state=MessageState.PENDING, inbound=False) & (
        Q(not_before__isnull=True) | Q(not_before__lte=now)
    ) | Q(state=MessageState.SENDING, inbound=False, claimed_at__lt=now - LEASE)
    with transaction.atomic():
        ids = list(
            ChannelMessage.objects.select_for_update(skip_locked=True)
            .filter(due)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return [], now
        ChannelMessage.objects.filter(pk__in=ids).update(
            state=MessageState.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    rows = list(
        ChannelMessage.objects.filter(pk__in=ids, claimed_at=now)
        .select_related("config__program", "contact")
        .order_by("pk")
    )
    return rows, now


def _send(row):
    contact = row.contact
    if contact is None or not contact.phone_ciphertext:
        raise SendError("the worker's number was erased", permanent=True)
    if contact.opted_out_at is not None:
        raise SendError("the worker opted out", permanent=True)
    if not row.config.is_active:
        raise SendError("the channel is switched off", permanent=True)
    return transport_for(row.config).send(
        to=decrypt_phone(contact.phone_ciphertext),
        body=crypto.decrypt_identity(row.body_ciphertext).get("body", ""),
        status_url=status_url(row.config),
    )


def deliver_due(*, limit=None):
    """Send every due outbound message; return how many were handed to a provider."""
    sent = 0
    while limit is None or sent < limit:
        rows, claimed_at = _claim(BATCH)
        if not rows:
            break
        for row in rows:
            mine = ChannelMessage.objects.filter(
                pk=row.pk, state=MessageState.SENDING, claimed_at=claimed_at
            )
            try:
                provider_id = _send(row)
            except Exception as exc:  # noqa: BLE001 - recorded on the row, retried later
                permanent = getattr(exc, "permanent", False)
                failed = permanent or row.attempts >= MAX_ATTEMPTS
                log.warning("channel message %s failed: %s", row.pk, type(exc).__name__)
                mine.update(
                    state=MessageState.FAILED if failed else MessageState.PENDING,
                    last_error=f"{type(exc).__name__}: {exc}"[:500],
                    not_before=timezone.now()
                    + datetime.timedelta(seconds=min(30 * 2**row.attempts, 3600)),
                )
                continue
            # The text is gone once the provider has it: a receipt code is never kept.
            mine.update(
                state=MessageState.SENT, provider_id=provider_id, last_error="", body_ciphertext=""
            )
            sent += 1
    return sent


# Twilio's MessageStatus → ours. Receipts can arrive out of order ("sent" after
# "delivered"): a row only moves forward.
_RECEIPT = {
    "sent": MessageState.SENT,
    "delivered": MessageState.DELIVERED,
    "read": MessageState.DELIVERED,
    "undelivered": MessageState.FAILED,
    "failed": MessageState.FAILED,
}
_BEFORE = {
    MessageState.SENT: [MessageState.SENDING],
    MessageState.DELIVERED: [MessageState.SENDING, MessageState.SENT],
    MessageState.FAILED: [MessageState.SENDING, MessageState.SENT],
}


def receipt(*, config, provider_id, status, error_code=""):
    """Apply a delivery receipt; return the number of rows changed (0 for an unknown id,
    a status we do not track, or one that would move the row backwards)."""
    state = _RECEIPT.get(status)
    if state is None or not provider_id:
        return 0
    changes = {"state": state}
    if state == MessageState.FAILED:
        changes["last_error"] = f"provider reported {status} (code {error_code or '-'})"
    return ChannelMessage.objects.filter(
        config=config, inbound=False, provider_id=provider_id, state__in=_BEFORE[state]
    ).update(**changes, updated_at=timezone.now())
