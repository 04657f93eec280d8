"""Demo history for the complaint line, created through the services.

Idempotent: a program that already has complaints is left alone. Received dates are then
spread over the past months (a demo-only shortcut, so the public statistics have a shape).
"""

import datetime

from django.utils import timezone

from core.actors import PUBLIC
from core.roles import Role
from programs.models import Category
from programs.selectors import current_provisions, facility_list

from . import services
from .models import Case, Channel, Outcome, Priority

STORIES = [
    # (category, narrative, channel, identity, language, days ago, path)
    (
        Category.HEALTH_SAFETY,
        "There was no shade and no water at the far fields all week. Two workers felt sick.",
        Channel.WEB,
        None,
        "es",
        150,
        "substantiated",
    ),
    (
        Category.WAGES,
        "The crew leader made us fill the buckets over the top and did not pay for the extra.",
        Channel.HOTLINE,
        {"name": "Jean P.", "phone": "+1 239 555 0141"},
        "ht",
        95,
        "not_substantiated",
    ),
    (
        Category.SEXUAL_HARASSMENT,
        "A supervisor touches women on the crew and says things. We are afraid to say it.",
        Channel.WHATSAPP,
        None,
        "es",
        40,
        "investigating",
    ),
    (
        Category.HOURS,
        "We start before sunrise and the hours are not written on the card we keep.",
        Channel.WEB,
        None,
        "en",
        12,
        "triaged",
    ),
    (
        Category.RETALIATION,
        "After I called the line, the crew leader stopped giving me work.",
        Channel.IN_PERSON,
        {"name": "Maria L.", "other": "ask at the community center on Tuesdays"},
        "es",
        3,
        "received",
    ),
]


def seed(*, program, members):
    if Case.objects.filter(program=program).exists():
        return
    admin = members.get(Role.ADMIN)
    staff = members.get(Role.STAFF) or admin
    investigator = members.get(Role.INVESTIGATOR) or staff
    if staff is None:
        return
    facilities = list(facility_list(program=program)[:3])
    provisions = list(current_provisions(program=program))
    now = timezone.now()
    first_case = None
    for i, (category, narrative, channel, identity, lang, days_ago, path) in enumerate(STORIES):
        facility = facilities[i % len(facilities)] if facilities else None
        actor = PUBLIC if channel == Channel.WEB else staff
        case, _code = services.complaint_submit(
            actor=actor,
            program=program,
            narrative=narrative,
            category=category,
            facility=facility,
            facility_description="" if facility else "the big farm past the river",
            occurred="last week",
            language=lang,
            channel=channel,
            identity=identity,
        )
        first_case = first_case or case
        received = now - datetime.timedelta(days=days_ago)
        # Demo-only: move the receipt into the past so clocks and statistics look lived-in.
        Case.objects.filter(pk=case.pk).update(received_at=received)
        case.refresh_from_db()
        if path == "received":
            if category == Category.RETALIATION and first_case.pk != case.pk:
                services.case_flag_retaliation(
                    actor=staff, case=case, original=first_case, note="Same crew as the first case."
                )
            continue
        matching = [p for p in provisions if p.category == category] or provisions[:1]
        services.case_triage(
            actor=staff,
            case=case,
            category=category,
            priority=Priority.HIGH,
            provisions=matching,
            facility=facility,
        )
        services.case_assign(actor=staff, case=case, investigator=investigator)
        services.message_send(
            actor=investigator,
            case=case,
            body="Thank you for telling us. I am the investigator for your complaint. "
            "Can you tell me which crew you work in?",
        )
        services.message_receive(case=case, body="Crew 4, with the blue bus.")
        if path == "triaged":
            continue
        services.case_start_investigation(actor=investigator, case=case)
        services.interview_record(
            actor=investigator,
            case=case,
            kind="witness",
            conducted_on=timezone.localdate(),
            summary="Two co-workers confirm the account.",
            language=lang,
        )
        if path == "investigating":
            continue
        if path == "substantiated" and matching:
            services.finding_add(
                actor=investigator,
                case=case,
                provision=matching[0],
                facts="Shade structures missing at fields 7-9 for five days; water ran out daily.",
                facility=facility,
            )
            services.case_resolve(
                actor=investigator,
                case=case,
                outcome=Outcome.SUBSTANTIATED,
                summary="Grower installed shade and a water trailer per field.",
            )
        else:
            services.case_resolve(
                actor=investigator,
                case=case,
                outcome=Outcome.NOT_SUBSTANTIATED,
                summary="Bucket weights checked on three days; no overfilling found.",
            )
        services.case_close(actor=staff, case=case)
        # Demo-only: resolution some weeks after receipt.
        Case.objects.filter(pk=case.pk).update(
            resolved_at=received + datetime.timedelta(days=9 + i * 3),
            closed_at=received + datetime.timedelta(days=12 + i * 3),
        )
