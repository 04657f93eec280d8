"""Retaliation watch: after a case closes, on the days the program chose (e.g. 30 and
90), ask the worker on their channel whether they faced retaliation. "Yes" files an
urgent retaliation complaint linked to the closed case (through ``complaint_submit``,
so clocks, staff notice and receipt code are the usual ones); "no" is recorded."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from complaints import crypto
from complaints.models import Case, CaseStatus, ComplaintPolicy
from core.audit import audit_log
from programs.models import Category

from . import outbox, texts
from .models import ChannelContact, RetaliationCheckIn, Step

# How long after its day a check-in may still go out (a program that turns check-ins on
# does not message every worker of years past; a beat outage of days loses nothing).
WINDOW = datetime.timedelta(days=14)
YES = {"yes", "y", "si", "sí", "wi", "hwi", "হ্যাঁ", "হা", "হাঁ"}
NO = {"no", "n", "non", "না"}


def send_due(now=None):
    """Ask every due check-in once; return how many were queued."""
    now = now or timezone.now()
    asked = 0
    for policy in ComplaintPolicy.objects.exclude(retaliation_checkin_days=[]):
        for days in policy.retaliation_checkin_days:
            due = now - datetime.timedelta(days=days)
            cases = Case.objects.filter(
                program_id=policy.program_id,
                status=CaseStatus.CLOSED,
                closed_at__lte=due,
                closed_at__gt=due - WINDOW,
            ).values_list("pk", flat=True)
            contacts = ChannelContact.objects.filter(
                case_id__in=list(cases), opted_out_at__isnull=True
            ).exclude(phone_ciphertext="")
            for contact in contacts:
                asked += _ask(contact, days)
    return asked


@transaction.atomic
def _ask(contact, days):
    contact = ChannelContact.objects.select_for_update(no_key=True).get(pk=contact.pk)
    if contact.case_id is None:
        return 0
    try:
        with transaction.atomic():
            RetaliationCheckIn.objects.create(
                program_id=contact.program_id, case_id=contact.case_id, contact=contact, days=days
            )
    except IntegrityError:
        return 0  # asked already
    with translation.override(contact.language or "en"):
        body = str(texts.CHECKIN % {"days": days})
    return 1 if outbox.queue(contact=contact, body=body, case=contact.case) else 0


def open_checkin(contact):
    if contact.case_id is None:
        return None
    return (
        RetaliationCheckIn.objects.filter(contact=contact, case_id=contact.case_id, answer="")
        .order_by("-asked_at")
        .first()
    )


def answer(config, contact, checkin, word):
    """The worker's reply to an open check-in, or None when it is not YES or NO (then
    the text is handled as any other). Runs in the caller's transaction, the contact
    row locked (conversation.handle_text)."""
    if word in NO:
        checkin.answer, checkin.answered_at = "no", timezone.now()
        checkin.save(update_fields=["answer", "answered_at"])
        return [texts.CHECKIN_NO]
    if word not in YES:
        return None
    from complaints.services import complaint_submit

    from .conversation import CHANNEL_ACTOR
    from .secrets import decrypt_phone
    from .transports import transport_for

    original = checkin.case
    case, code = complaint_submit(
        actor=CHANNEL_ACTOR,
        program=config.program,
        narrative=(
            f"Retaliation check-in {checkin.days} days after case {original.reference} "
            "closed: the worker answered yes (faced retaliation for complaining)."
        ),
        category=Category.RETALIATION,
        facility=original.facility,
        facility_description=original.facility_description,
        language=contact.language or original.language,
        channel=transport_for(config).case_channel,
        identity={"phone": decrypt_phone(contact.phone_ciphertext)},
    )
    # Urgent already (a retaliation complaint is); linked to the case it retaliates for.
    Case.objects.filter(pk=case.pk).update(is_retaliation=True, retaliation_of=original)
    checkin.answer, checkin.answered_at, checkin.reported_case = "yes", timezone.now(), case
    checkin.save(update_fields=["answer", "answered_at", "reported_case"])
    audit_log(
        program=config.program,
        actor=CHANNEL_ACTOR,
        verb="case.retaliation_reported",
        obj=case,
        payload={"original": original.pk, "original_reference": original.reference},
    )
    contact.case = case
    contact.step = Step.FILED
    return [texts.CHECKIN_YES % {"code": crypto.format_receipt_code(code)}]
