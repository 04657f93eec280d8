"""The notification outbox: every mail the platform sends goes through here.

Why: a mail sent from ``transaction.on_commit`` in the worker that made the change is
lost when that worker dies after COMMIT (a SIGKILL of a worker applying a 300-buyer
consequence lost most of its mails, the staff summary always). Instead:

1. The service that makes a change calls ``notify`` inside its own transaction: one
   ``Notification`` row per recipient commits or rolls back with the change.
2. After commit it enqueues ``core.tasks.send_notifications`` (a thin task that calls
   ``deliver_due``). A broker outage here costs nothing: the rows wait.
3. ``deliver_due`` claims a few due rows at a time (``SELECT ... FOR UPDATE SKIP
   LOCKED``, then ``state=sending, claimed_at=now`` in the same short transaction),
   renders and sends each, and marks it sent with a conditional UPDATE on its claim.
4. The beat job ``core.tasks.sweep_notifications`` runs ``deliver_due`` every minute: it
   takes pending rows nobody sent (the publish was lost) and rows left ``sending`` past
   ``NOTIFICATION_LEASE`` seconds (the sender died mid-way).

Delivery is at least once: a sender killed between the SMTP handoff and its UPDATE to
``sent`` leaves a row that is sent again after the lease. In the normal path each row is
claimed by one sender and sent once; the unique constraint on (kind, object, key,
recipient) makes a second row for the same mail impossible.

Bodies are templates (``templates/mail/<kind>.subject.txt`` and ``<kind>.txt``)
rendered at send time from the row's JSON context under the recipient's language.
"""

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import (
    Notification,
    NotificationDelivery,
    NotificationKind,
    NotificationPreference,
    NotificationState,
)

log = logging.getLogger(__name__)

BATCH = 10
MAX_ATTEMPTS = 8
# Only the exception class goes into last_error: a backend's message may quote the mail.
_ERROR_LIMIT = 500


def _lease():
    return datetime.timedelta(seconds=getattr(settings, "NOTIFICATION_LEASE", 300))


def _languages():
    return {code for code, _ in settings.LANGUAGES}


def msgid(text):
    """The untranslated (English) form of a lazy or translated label, for a context:
    the mail template translates it into the recipient's language at send time."""
    with translation.override(None):
        return str(text)


def recipient_language(user, program=None, preferences=None):
    """The user's chosen mail language, else the program's first language, else
    English. ``preferences``: an optional {user_id: NotificationPreference} preload."""
    if preferences is not None:
        pref = preferences.get(user.pk)
    else:
        pref = NotificationPreference.objects.filter(user_id=user.pk).first()
    known = _languages()
    if pref and pref.language in known:
        return pref.language
    for code in getattr(program, "languages", None) or []:
        if code in known:
            return code
    return "en"


def delivery_of(user):
    pref = NotificationPreference.objects.filter(user_id=user.pk).first()
    return pref.delivery if pref else NotificationDelivery.IMMEDIATE


def notify(
    *,
    kind,
    recipients,
    context,
    program=None,
    obj=None,
    object_type="",
    object_id="",
    key="",
):
    """Record one mail of ``kind`` to each of ``recipients`` (users; those without an
    address are skipped) about ``obj``; the rows are sent after the caller's transaction
    commits. Must run inside that transaction. A row that already exists for the same
    (kind, object, key, recipient) is left as it is (ON CONFLICT DO NOTHING). Returns
    the number of recipients with an address."""
    item = {
        "obj": obj,
        "object_type": object_type,
        "object_id": object_id,
        "key": key,
        "recipients": recipients,
        "context": context,
    }
    return notify_many(kind=kind, program=program, items=[item])


def notify_many(*, kind, program, items):
    """``notify`` for several objects at once (each item: ``obj`` or ``object_type`` and
    ``object_id``, optional ``key``, ``recipients``, ``context``) in one read of the
    preferences and one INSERT: a consequence for 300 buyers costs two queries."""
    if not connection.in_atomic_block:
        raise RuntimeError("notify must be called inside the service's transaction")
    if kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    items = [
        {**item, "recipients": [u for u in item["recipients"] if getattr(u, "email", "")]}
        for item in items
    ]
    user_ids = {u.pk for item in items for u in item["recipients"]}
    if not user_ids:
        return 0
    preferences = {p.user_id: p for p in NotificationPreference.objects.filter(user__in=user_ids)}
    rows = []
    for item in items:
        obj = item.get("obj")
        object_type, object_id = item.get("object_type", ""), item.get("object_id", "")
        if obj is not None:
            object_type = object_type or obj._meta.label_lower
            object_id = object_id or str(obj.pk)
        for user in {u.pk: u for u in item["recipients"]}.values():
            rows.append(
                Notification(
                    program_id=getattr(program, "pk", program),
                    recipient_id=user.pk,
                    address=user.email,
                    kind=kind,
                    object_type=object_type,
                    object_id=str(object_id),
                    key=str(item.get("key", "")),
                    context=item["context"],
                    language=recipient_language(user, program, preferences),
                )
            )
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    # One publish per transaction, however many notify calls it made: a single sender
    # drains them all.
    if not any(entry[1] is enqueue_delivery for entry in connection.run_on_commit):
        transaction.on_commit(enqueue_delivery)
    return len(rows)


def enqueue_delivery():
    """Ask a worker to send what is due. Never raises: with the broker down the rows
    wait for the sweep."""
    from . import tasks

    try:
        tasks.send_notifications.delay()
    except Exception:  # noqa: BLE001 - the rows are committed; the sweep sends them
        log.warning("could not enqueue notification delivery; the sweep will send", exc_info=True)


def _due(now):
    return Q(state=NotificationState.PENDING) & (
        Q(not_before__isnull=True) | Q(not_before__lte=now)
    ) | Q(state=NotificationState.SENDING, claimed_at__lt=now - _lease())


def _claim(limit):
    """Claim up to ``limit`` due rows for this sender; return them with their claim
    time. Rows another sender holds locked are skipped, not waited for."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(_due(now))
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return [], now
        Notification.objects.filter(pk__in=ids).update(
            state=NotificationState.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    rows = list(Notification.objects.filter(pk__in=ids, claimed_at=now).order_by("pk"))
    return rows, now


def render(notification):
    """(subject, body) of a notification in its recipient's language."""
    context = dict(notification.context)
    context.update(_late_context(notification))
    with translation.override(notification.language):
        subject = render_to_string(f"mail/{notification.kind}.subject.txt", context)
        body = render_to_string(f"mail/{notification.kind}.txt", context)
    return " ".join(subject.split()), body


def _late_context(notification):
    """Values computed only when the mail is sent, never stored in the outbox."""
    extra = {"site_url": settings.SITE_URL}
    if notification.kind == NotificationKind.MEMBERSHIP_INVITE and notification.context.get(
        "new_account"
    ):
        # A password-set link is a credential: made at send time, not kept in the table.
        from django.contrib.auth.tokens import default_token_generator
        from django.urls import reverse
        from django.utils.encoding import force_bytes
        from django.utils.http import urlsafe_base64_encode

        user = notification.recipient
        path = reverse(
            "password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
        extra["password_url"] = f"{settings.SITE_URL}{path}"
    return extra


def send_one(notification):
    subject, body = render(notification)
    EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.address],
        headers={"X-WSR-Notification": str(notification.pk)},
    ).send()


def deliver_due(*, limit=None):
    """Send every due notification (pending, or sending past its lease), a batch at a
    time; return how many were sent. Safe to run in any number of workers at once."""
    sent = 0
    while limit is None or sent < limit:
        rows, claimed_at = _claim(BATCH)
        if not rows:
            break
        for row in rows:
            try:
                send_one(row)
            except Exception as exc:  # noqa: BLE001 - recorded on the row, retried later
                log.warning("notification %s failed: %r", row.pk, exc)
                failed = row.attempts >= MAX_ATTEMPTS
                Notification.objects.filter(
                    pk=row.pk, state=NotificationState.SENDING, claimed_at=claimed_at
                ).update(
                    state=NotificationState.FAILED if failed else NotificationState.PENDING,
                    last_error=f"{type(exc).__name__}: {exc}"[:_ERROR_LIMIT],
                    not_before=timezone.now()
                    + datetime.timedelta(seconds=min(30 * 2**row.attempts, 3600)),
                )
                continue
            Notification.objects.filter(
                pk=row.pk, state=NotificationState.SENDING, claimed_at=claimed_at
            ).update(state=NotificationState.SENT, sent_at=timezone.now(), last_error="")
            sent += 1
    return sent
