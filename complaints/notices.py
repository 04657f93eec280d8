"""Telling a program's admins and staff that complaints arrived, without a mail each.

The first complaint after a quiet spell is mailed at once. Complaints arriving in the
next ``COMPLAINT_NOTICE_WINDOW`` seconds go together in one mail when the window ends:
after a workers' meeting fifty complaints can come in within minutes, and fifty mails
teach staff to ignore them (and cost a Celery task each).

What has been told is a watermark in the database (``IntakeNotice.notified_through``,
the highest case number mailed), so a notice lists every complaint since the last one
exactly once, whatever redelivery or concurrency does to the tasks. The window itself
is a key in the cache: if it is lost, a complaint is mailed at once, never skipped.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, F, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce

from core import cache as resilient_cache
from core.models import Notification, NotificationKind
from core.notifications import msgid, notify, render
from core.roles import Role
from programs.models import Membership

from .models import Case, IntakeNotice

log = logging.getLogger(__name__)

# How many complaints one mail lists by reference (the count covers them all).
LISTED = 50


def _window_key(program_id):
    return f"complaints:intake-notice-window:{program_id}"


def schedule(program_id):
    """After a complaint is committed: mail now if the program's window is closed
    (opening it, with a closing run at its end), else leave it to that closing run.

    Never raises: the complaint is stored and its receipt code must reach the worker
    even when Redis is down (the next complaint's notice, or the next window, lists it).
    """
    from core import broker

    from . import tasks

    window = settings.COMPLAINT_NOTICE_WINDOW
    what = f"the new-complaint notice of program {program_id}"
    try:
        # With the cache unavailable the window is unknown: tell now, never skip.
        if (
            window <= 0
            or cache.add(_window_key(program_id), 1, window)
            or not resilient_cache.available()
        ):
            if not broker.publish(tasks.notify_cases_received, (program_id,), what=what):
                raise RuntimeError("the broker is unavailable")
            if window > 0:
                # A little after the key expires: a complaint committed while the key
                # stood is already in the database when this runs.
                broker.publish(
                    tasks.notify_cases_received, (program_id,), countdown=window + 2, what=what
                )
    except Exception:  # the broker or the cache is down: the case is safe, say so
        # The beat sweep (tasks.sweep_intake_notices) tells it within minutes.
        log.exception("could not schedule the new-complaint notice of program %s", program_id)


def programs_untold(*, received_before):
    """Ids of programs with a complaint received before ``received_before`` that no
    notice has told yet (its number above the program's watermark): what the beat sweep
    tells. One query (a complaint of a program without a watermark row is untold)."""
    told = IntakeNotice.objects.filter(program_id=OuterRef("program_id")).values("notified_through")
    return list(
        Case.objects.filter(received_at__lt=received_before)
        .annotate(told=Coalesce(Subquery(told), 0))
        .filter(number__gt=F("told"))
        .values_list("program_id", flat=True)
        .distinct()
    )


def _recipients(program_id):
    return [
        m.user
        for m in Membership.objects.filter(
            program_id=program_id, is_active=True, role__in=[Role.ADMIN, Role.STAFF]
        )
        .exclude(user__email="")
        .select_related("user")
    ]


@transaction.atomic
def send_pending(program_id):
    """Mail the program's admins and staff about every complaint not told yet; return
    the case numbers told (empty if none). The watermark row is locked, so concurrent
    runs tell each complaint once. The mails are outbox rows (core/notifications.py)
    written in this transaction, keyed by the new watermark: they commit with it, and
    are sent after commit even if this worker dies then."""
    notice, _ = IntakeNotice.objects.select_for_update(no_key=True).get_or_create(
        program_id=program_id
    )
    pending = Case.objects.filter(program_id=program_id, number__gt=notice.notified_through)
    # The bound first, in one statement: a complaint committed while this runs is either
    # inside it (counted, listed, told) or after it (left for the next notice), never
    # passed by the watermark without a mail.
    bound = pending.aggregate(total=Count("pk"), last=Max("number"))
    if not bound["total"]:
        return []
    cases = list(
        pending.filter(number__lte=bound["last"])
        .select_related("program")
        .order_by("number")[:LISTED]
        .only("number", "reference", "priority", "channel", "ack_due", "program__name")
    )
    total = bound["total"]
    notice.notified_through = bound["last"]
    notice.save(update_fields=["notified_through", "updated_at"])
    notify(
        kind=NotificationKind.COMPLAINTS_RECEIVED,
        program=cases[0].program,
        obj=notice,
        key=bound["last"],
        recipients=_recipients(program_id),
        context=_context(cases, total),
    )
    return [case.number for case in cases]


def _context(cases, total):
    # References, priority, channel and clock only: never a narrative or an identity.
    return {
        "program": cases[0].program.name,
        "total": total,
        "more": total - len(cases),
        "cases": [
            {
                "reference": case.reference,
                "priority": msgid(case.get_priority_display()).lower(),
                "channel": msgid(case.get_channel_display()),
                "ack_due": f"{case.ack_due:%Y-%m-%d %H:%M}",
            }
            for case in cases
        ],
    }


def _message(cases, total):
    """(subject, body) of the notice, in English (what the template renders)."""
    notice = Notification(
        kind=NotificationKind.COMPLAINTS_RECEIVED, context=_context(cases, total), language="en"
    )
    return render(notice)
