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
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Max

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
    from . import tasks

    window = settings.COMPLAINT_NOTICE_WINDOW
    try:
        if window <= 0 or cache.add(_window_key(program_id), 1, window):
            tasks.notify_cases_received.delay(program_id)
            if window > 0:
                # A little after the key expires: a complaint committed while the key
                # stood is already in the database when this runs.
                tasks.notify_cases_received.apply_async((program_id,), countdown=window + 2)
    except Exception:  # the broker or the cache is down: the case is safe, say so
        log.exception("could not schedule the new-complaint notice of program %s", program_id)


def _recipients(program_id):
    return list(
        Membership.objects.filter(
            program_id=program_id, is_active=True, role__in=[Role.ADMIN, Role.STAFF]
        )
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )


@transaction.atomic
def send_pending(program_id):
    """Mail the program's admins and staff about every complaint not told yet; return
    the case numbers told (empty if none). The watermark row is locked, so concurrent
    runs tell each complaint once; the mail goes after commit."""
    notice, _ = IntakeNotice.objects.select_for_update().get_or_create(program_id=program_id)
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
    recipients = _recipients(program_id)
    if recipients:
        subject, body = _message(cases, total)
        transaction.on_commit(lambda: send_mail(subject, body, None, recipients))
    return [case.number for case in cases]


def _line(case):
    return (
        f"{case.reference}: {case.get_priority_display().lower()}, by "
        f"{case.get_channel_display()}; acknowledge by {case.ack_due:%Y-%m-%d %H:%M} UTC."
    )


def _message(cases, total):
    program = cases[0].program.name
    if total == 1:
        case = cases[0]
        return (
            f"[{program}] New complaint {case.reference}",
            f"A {case.get_priority_display().lower()} complaint arrived by "
            f"{case.get_channel_display()}. Acknowledge by {case.ack_due:%Y-%m-%d %H:%M} UTC.",
        )
    lines = [f"{total} complaints arrived:", "", *map(_line, cases)]
    if total > len(cases):
        lines += ["", f"... and {total - len(cases)} more: see the case list."]
    return f"[{program}] {total} new complaints", "\n".join(lines)
