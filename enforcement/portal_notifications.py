"""Buyer-portal notifications: deadline reminders, the per-officer digest option and the
daily digest.

A new obligation's e-mail is NOT sent here: enforcement's ``consequences_apply`` already
mails the obligated buyers' officers after commit (``notify_consequences``); sending it
twice would teach officers to ignore the second.

No table of our own (the enforcement app owns the schema). Two records live in the
append-only audit log instead, which suits them:
- "obligation.reminder_sent" (program chain, on the obligation): one per obligation and
  threshold. In a dispute about notice, the record of who was reminded, and when, holds.
- "buyer_portal.notifications_set" (platform chain, on the user): the officer's choice
  between immediate reminders and a daily digest; the latest event wins.
"""

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.audit import audit_log
from core.errors import DomainError
from core.models import AuditEvent
from core.roles import Role
from programs.models import Membership

from . import portal_selectors
from .models import BuyerObligation, ObligationState

log = logging.getLogger(__name__)

# Days before the due date at which an open obligation's officers are reminded. Only the
# tightest threshold reached is sent (a job that missed a day does not send two mails),
# and never one the obligation was already inside when it was created (its creation
# mail said the same thing).
REMINDER_THRESHOLDS = (7, 3, 1)
OVERDUE_THRESHOLD = 0  # the reminder sent once the obligation is past due
REMINDER_VERB = "obligation.reminder_sent"
PREFERENCE_VERB = "buyer_portal.notifications_set"
USER_OBJECT_TYPE = "auth.user"

DELIVERY_IMMEDIATE = "immediate"
DELIVERY_DIGEST = "digest"
DELIVERY_CHOICES = [
    (DELIVERY_IMMEDIATE, "A reminder for each obligation as its deadline nears"),
    (DELIVERY_DIGEST, "One daily digest of all my open obligations"),
]


# ---------------------------------------------------------------- preferences


def officer_delivery(*, user):
    """The officer's reminder delivery: "immediate" (default) or "digest"."""
    event = (
        AuditEvent.objects.filter(
            program__isnull=True,
            verb=PREFERENCE_VERB,
            object_type=USER_OBJECT_TYPE,
            object_id=str(user.pk),
        )
        .order_by("-seq")
        .values_list("payload", flat=True)
        .first()
    )
    if event and event.get("delivery") == DELIVERY_DIGEST:
        return DELIVERY_DIGEST
    return DELIVERY_IMMEDIATE


def _delivery_subquery():
    return Subquery(
        AuditEvent.objects.filter(
            program__isnull=True,
            verb=PREFERENCE_VERB,
            object_type=USER_OBJECT_TYPE,
            object_id=OuterRef("user_id_text"),
        )
        .order_by("-seq")
        .values("payload__delivery")[:1]
    )


@transaction.atomic
def portal_notifications_set(*, actor, delivery):
    """Record the officer's choice of reminder delivery (an audit event on the platform
    chain; the chain's advisory lock serializes concurrent changes). Only a user with an
    active buyer_officer membership may set it. A no-op when nothing changes."""
    if delivery not in dict(DELIVERY_CHOICES):
        raise DomainError("Choose immediate reminders or the daily digest.")
    if not portal_selectors.officer_memberships(user=actor):
        raise DomainError("Only buyer compliance officers have portal notifications.")
    if officer_delivery(user=actor) == delivery:
        return delivery
    audit_log(
        program=None,
        actor=actor,
        verb=PREFERENCE_VERB,
        object_type=USER_OBJECT_TYPE,
        object_id=str(actor.pk),
        payload={"delivery": delivery},
    )
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
    reminder today and has not had it. Two queries whatever the number of obligations."""
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
        ).only("id", "program_id", "state", "due_date", "created_at")
    )
    wanted = {}
    for obligation in candidates:
        threshold = reminder_threshold(obligation, today)
        if threshold is not None:
            wanted[obligation.pk] = (obligation.program_id, threshold)
    if not wanted:
        return []
    sent = set(
        (int(object_id), payload.get("threshold"))
        for object_id, payload in AuditEvent.objects.filter(
            verb=REMINDER_VERB,
            object_type=BuyerObligation._meta.label_lower,
            object_id__in=[str(pk) for pk in wanted],
        ).values_list("object_id", "payload")
    )
    return [
        (pk, program_id, threshold)
        for pk, (program_id, threshold) in sorted(wanted.items())
        if (pk, threshold) not in sent
    ]


def _officers(obligation):
    return list(
        Membership.objects.filter(
            program_id=obligation.program_id,
            buyer_id=obligation.buyer_id,
            role=Role.BUYER_OFFICER,
            is_active=True,
        )
        .exclude(user__email="")
        .select_related("user")
    )


@transaction.atomic
def obligation_reminder_send(*, obligation_id, program_id, threshold, today=None):
    """Remind the obligation's officers once for ``threshold`` (days before due; 0 =
    overdue). Locks the obligation row (SELECT ... FOR UPDATE), then checks for an earlier
    reminder record under that lock, so redelivered or concurrent runs send one mail.
    Officers who chose the daily digest are left to it. The mail goes out after commit.
    Returns the recipients, or None when nothing was due."""
    today = today or timezone.localdate()
    obligation = (
        BuyerObligation.objects.select_for_update(of=("self",))
        .select_related("program", "buyer", "supplier", "violation__provision")
        .filter(pk=obligation_id, program_id=program_id)
        .first()
    )
    if obligation is None or reminder_threshold(obligation, today) != threshold:
        return None
    already = AuditEvent.objects.filter(
        program_id=program_id,
        verb=REMINDER_VERB,
        object_type=BuyerObligation._meta.label_lower,
        object_id=str(obligation.pk),
        payload__threshold=threshold,
    ).exists()
    if already:
        return None
    recipients = [
        m.user.email
        for m in _officers(obligation)
        if officer_delivery(user=m.user) == DELIVERY_IMMEDIATE
    ]
    audit_log(
        program=program_id,
        actor="buyer-portal",
        verb=REMINDER_VERB,
        obj=obligation,
        payload={
            "buyer": obligation.buyer_id,
            "threshold": threshold,
            "due_date": obligation.due_date,
            "recipients": len(recipients),
        },
    )
    if recipients:
        subject, body = _reminder_text(obligation, threshold, today)
        transaction.on_commit(lambda: _send(subject, body, recipients))
    return recipients


def _reminder_text(obligation, threshold, today):
    program = obligation.program
    if threshold == OVERDUE_THRESHOLD:
        subject = (
            f"[{program.name}] OVERDUE: {obligation.get_kind_display()} — "
            f"{obligation.supplier.legal_name} (was due {obligation.due_date:%Y-%m-%d})"
        )
    else:
        days = (obligation.due_date - today).days
        subject = (
            f"[{program.name}] Due in {days} day{'s' if days != 1 else ''}: "
            f"{obligation.get_kind_display()} — {obligation.supplier.legal_name}"
        )
    body = render_to_string(
        "buyer/email/reminder.txt",
        {
            "obligation": obligation,
            "program": program,
            "category": obligation.violation.provision.get_category_display(),
            "overdue": threshold == OVERDUE_THRESHOLD,
            "obligation_url": _absolute(
                reverse("buyer:obligation_detail", kwargs={"pk": obligation.pk})
            ),
        },
    )
    return subject, body


def _absolute(path):
    # SITE_URL may be absent in older settings; a path still tells the officer where.
    return f"{getattr(settings, 'SITE_URL', '')}{path}"


def _send(subject, body, recipients):
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except Exception:  # noqa: BLE001 - the reminder record stands; the failure is logged
        log.exception("buyer-portal reminder mail failed (%s)", subject)


# ---------------------------------------------------------------- digest


def digest_officers():
    """Users with an active buyer_officer membership who chose the daily digest (one
    query: the latest preference event per user, as a subquery)."""
    from django.db.models.functions import Cast

    User = get_user_model()
    return list(
        User.objects.filter(
            memberships__role=Role.BUYER_OFFICER,
            memberships__is_active=True,
            is_active=True,
        )
        .exclude(email="")
        .distinct()
        .annotate(user_id_text=Cast("pk", output_field=AuditEvent._meta.get_field("object_id")))
        .annotate(delivery=_delivery_subquery())
        .filter(delivery=DELIVERY_DIGEST)
        .values_list("pk", flat=True)
    )


def officer_digest_send(*, user_id, today=None):
    """Send one officer their digest for ``today``: every open obligation of their buyers
    across their programs, overdue first. At most one per officer and day: the claim is
    an atomic Redis SET NX (a duplicate digest is harmless; a missing one is not, so the
    key is only taken right before sending). Returns True when a mail was sent."""
    today = today or timezone.localdate()
    User = get_user_model()
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email or officer_delivery(user=user) != DELIVERY_DIGEST:
        return False
    memberships = portal_selectors.officer_memberships(user=user)
    if not memberships:
        return False
    obligations = list(
        portal_selectors.obligation_list(memberships=memberships, status="open", today=today)
    )
    if not obligations:
        return False
    key = f"buyer-portal:digest:{user.pk}:{today.isoformat()}"
    if not cache.add(key, 1, timeout=60 * 60 * 48):
        return False
    overdue = [o for o in obligations if o.is_overdue]
    subject = f"Your compliance obligations: {len(obligations)} open" + (
        f", {len(overdue)} overdue" if overdue else ""
    )
    body = render_to_string(
        "buyer/email/digest.txt",
        {
            "user": user,
            "obligations": sorted(obligations, key=lambda o: (not o.is_overdue, o.due_date)),
            "overdue_count": len(overdue),
            "today": today,
            "portal_url": _absolute(reverse("buyer:portal")),
            "notifications_url": _absolute(reverse("buyer:notifications")),
        },
    )
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    except Exception:
        cache.delete(key)  # let the next run try again
        raise
    return True
