"""Buyer-portal notifications: deadline reminders, the per-officer digest option and the
daily digest.

A new obligation's e-mail is NOT sent here: enforcement's ``consequences_apply`` already
mails the obligated buyers' officers after commit (``notify_consequences``); sending it
twice would teach officers to ignore the second.

Both live in the kernel's notification tables (core/notifications.py):
- a reminder is a ``Notification`` row per officer (kind ``obligation_reminder``, the
  obligation, key = threshold), written with the obligation locked; the unique
  constraint makes a second reminder for the same threshold impossible, and the outbox
  sends it even if the worker dies after commit. (Until the outbox, reminders were
  "obligation.reminder_sent" audit events; those still count as sent.)
- the officer's choice between immediate reminders and a daily digest is their
  ``NotificationPreference``.
"""

import datetime
import logging

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from core.models import (
    AuditEvent,
    Notification,
    NotificationDelivery,
    NotificationKind,
    NotificationPreference,
)
from core.notifications import delivery_of, msgid, notify
from core.roles import Role
from enforcement.models import BuyerObligation, ObligationState
from programs.models import Membership

from . import selectors

log = logging.getLogger(__name__)

# Days before the due date at which an open obligation's officers are reminded. Only the
# tightest threshold reached is sent (a job that missed a day does not send two mails),
# and never one the obligation was already inside when it was created (its creation
# mail said the same thing).
REMINDER_THRESHOLDS = (7, 3, 1)
OVERDUE_THRESHOLD = 0  # the reminder sent once the obligation is past due
# Reminders recorded before the outbox, as audit events: they count as sent.
LEGACY_REMINDER_VERB = "obligation.reminder_sent"

DELIVERY_IMMEDIATE = NotificationDelivery.IMMEDIATE.value
DELIVERY_DIGEST = NotificationDelivery.DIGEST.value
DELIVERY_CHOICES = NotificationDelivery.choices


# ---------------------------------------------------------------- preferences


def officer_delivery(*, user):
    """The officer's reminder delivery: "immediate" (default) or "digest"."""
    return delivery_of(user)


@transaction.atomic
def portal_notifications_set(*, actor, delivery):
    """Record the officer's choice of reminder delivery (their NotificationPreference
    row, locked while it changes). Only a user with an active buyer_officer membership
    may set it. A no-op when nothing changes."""
    if delivery not in NotificationDelivery.values:
        raise DomainError("Choose immediate reminders or the daily digest.")
    if not selectors.officer_memberships(user=actor):
        raise DomainError("Only buyer compliance officers have portal notifications.")
    preference, _ = NotificationPreference.objects.select_for_update().get_or_create(
        user_id=actor.pk
    )
    if preference.delivery != delivery:
        preference.delivery = delivery
        preference.save(update_fields=["delivery", "updated_at"])
    return delivery


# ---------------------------------------------------------------- reminders


def reminder_threshold(obligation, today):
    """The threshold an open obligation is due a reminder for today, or None."""
    if obligation.state not in (
        ObligationState.PENDING,
        ObligationState.ACKNOWLEDGED,
        ObligationState.OVERDUE,
    ):
        return None
    days_left = (obligation.due_date - today).days
    if days_left < 0 or obligation.state == ObligationState.OVERDUE:
        return OVERDUE_THRESHOLD
    created = timezone.localdate(obligation.created_at)
    for threshold in sorted(REMINDER_THRESHOLDS):
        if days_left <= threshold:
            # Created already inside this window: the creation mail was the notice.
            if created >= obligation.due_date - datetime.timedelta(days=threshold):
                return None
            return threshold
    return None


def reminders_due(*, today=None):
    """(obligation id, program id, threshold) for every open obligation that is due a
    reminder today, has not had it, and has an officer who takes reminders one by one
    (officers who chose the digest get it there). A few queries whatever the number of
    obligations."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=max(REMINDER_THRESHOLDS))
    candidates = list(
        BuyerObligation.objects.filter(
            state__in=[
                ObligationState.PENDING,
                ObligationState.ACKNOWLEDGED,
                ObligationState.OVERDUE,
            ],
            due_date__lte=horizon,
        ).only("id", "program_id", "buyer_id", "state", "due_date", "created_at")
    )
    wanted = {}
    for obligation in candidates:
        threshold = reminder_threshold(obligation, today)
        if threshold is not None:
            wanted[obligation.pk] = (obligation.program_id, obligation.buyer_id, threshold)
    if not wanted:
        return []
    listening = set(
        _officer_memberships(buyer_ids={b for _, b, _ in wanted.values()})
        .exclude(user__notification_preference__delivery=DELIVERY_DIGEST)
        .values_list("buyer_id", flat=True)
    )
    sent = set(
        Notification.objects.filter(
            kind=NotificationKind.OBLIGATION_REMINDER,
            object_type=BuyerObligation._meta.label_lower,
            object_id__in=[str(pk) for pk in wanted],
        ).values_list("object_id", "key")
    )
    sent |= {
        (object_id, str(payload.get("threshold")))
        for object_id, payload in AuditEvent.objects.filter(
            verb=LEGACY_REMINDER_VERB,
            object_type=BuyerObligation._meta.label_lower,
            object_id__in=[str(pk) for pk in wanted],
        ).values_list("object_id", "payload")
    }
    return [
        (pk, program_id, threshold)
        for pk, (program_id, buyer_id, threshold) in sorted(wanted.items())
        if buyer_id in listening and (str(pk), str(threshold)) not in sent
    ]


def _officer_memberships(*, buyer_ids, program_id=None):
    memberships = Membership.objects.filter(
        buyer_id__in=buyer_ids, role=Role.BUYER_OFFICER, is_active=True, user__is_active=True
    ).exclude(user__email="")
    if program_id is not None:
        memberships = memberships.filter(program_id=program_id)
    return memberships


@transaction.atomic
def obligation_reminder_send(*, obligation_id, program_id, threshold, today=None):
    """Remind the obligation's officers once for ``threshold`` (days before due; 0 =
    overdue). Locks the obligation row (SELECT ... FOR UPDATE), then checks for an earlier
    reminder under that lock, so redelivered or concurrent runs record one; the unique
    constraint of the outbox is the backstop. Officers who chose the daily digest are
    left to it. The outbox sends the mails after commit. Returns the recipients'
    addresses, or None when nothing was due."""
    today = today or timezone.localdate()
    obligation = (
        BuyerObligation.objects.select_for_update(of=("self",))
        .select_related("program", "buyer", "supplier", "violation__provision")
        .filter(pk=obligation_id, program_id=program_id)
        .first()
    )
    if obligation is None or reminder_threshold(obligation, today) != threshold:
        return None
    object_type = BuyerObligation._meta.label_lower
    already = (
        Notification.objects.filter(
            kind=NotificationKind.OBLIGATION_REMINDER,
            object_type=object_type,
            object_id=str(obligation.pk),
            key=str(threshold),
        ).exists()
        or AuditEvent.objects.filter(
            program_id=program_id,
            verb=LEGACY_REMINDER_VERB,
            object_type=object_type,
            object_id=str(obligation.pk),
            payload__threshold=threshold,
        ).exists()
    )
    if already:
        return None
    users = [
        m.user
        for m in _officer_memberships(buyer_ids=[obligation.buyer_id], program_id=program_id)
        .exclude(user__notification_preference__delivery=DELIVERY_DIGEST)
        .select_related("user")
        .order_by("user_id")
    ]
    if not users:
        return []
    program = obligation.program
    notify(
        kind=NotificationKind.OBLIGATION_REMINDER,
        program=program,
        obj=obligation,
        key=threshold,
        recipients=users,
        context={
            "program": program.name,
            "buyer": obligation.buyer.name,
            "supplier": obligation.supplier.legal_name,
            "kind": msgid(obligation.get_kind_display()),
            "category": msgid(obligation.violation.provision.get_category_display()),
            "required": obligation.required,
            "due_date": obligation.due_date.isoformat(),
            "overdue": threshold == OVERDUE_THRESHOLD,
            "days_left": (obligation.due_date - today).days,
            "obligation_path": reverse("buyer:obligation_detail", kwargs={"pk": obligation.pk}),
        },
    )
    return [u.email for u in users]


# ---------------------------------------------------------------- digest


def digest_officers():
    """Users with an active buyer_officer membership who chose the daily digest."""
    User = get_user_model()
    return list(
        User.objects.filter(
            memberships__role=Role.BUYER_OFFICER,
            memberships__is_active=True,
            is_active=True,
            notification_preference__delivery=DELIVERY_DIGEST,
        )
        .exclude(email="")
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def officer_digest_send(*, user_id, today=None):
    """Queue one officer's digest for ``today`` in the outbox: every open obligation of
    their buyers across their programs, overdue first. At most one per officer and day:
    the officer's preference row is locked while this checks for today's digest, and the
    outbox's unique constraint (kind, user, day) is the backstop. Returns True when a
    digest was queued."""
    today = today or timezone.localdate()
    preference = (
        NotificationPreference.objects.select_for_update()
        .select_related("user")
        .filter(user_id=user_id, user__is_active=True, delivery=DELIVERY_DIGEST)
        .first()
    )
    if preference is None or not preference.user.email:
        return False
    user = preference.user
    key = today.isoformat()
    if Notification.objects.filter(
        kind=NotificationKind.OBLIGATION_DIGEST, recipient=user, key=key
    ).exists():
        return False
    memberships = selectors.officer_memberships(user=user)
    if not memberships:
        return False
    obligations = list(
        selectors.obligation_list(memberships=memberships, status="open", today=today)
    )
    if not obligations:
        return False
    overdue = [o for o in obligations if o.is_overdue]
    items = [
        {
            "overdue": o.is_overdue,
            "due_date": o.due_date.isoformat(),
            "program": o.program.name,
            "buyer": o.buyer.name,
            "kind": msgid(o.get_kind_display()),
            "supplier": o.supplier.legal_name,
            "category": msgid(o.violation.provision.get_category_display()),
            "required": o.required,
            "path": reverse("buyer:obligation_detail", kwargs={"pk": o.pk}),
        }
        for o in sorted(obligations, key=lambda o: (not o.is_overdue, o.due_date))
    ]
    notify(
        kind=NotificationKind.OBLIGATION_DIGEST,
        object_type=get_user_model()._meta.label_lower,
        object_id=user.pk,
        key=key,
        recipients=[user],
        context={
            "today": key,
            "obligations": items,
            "overdue_count": len(overdue),
            "notifications_path": reverse("buyer:notifications"),
        },
    )
    return True
