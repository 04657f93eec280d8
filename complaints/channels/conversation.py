"""The text conversation: choose a language, tell what happened, where and when, get a
receipt code; later texts from the same number thread into the case.

State lives in ``ChannelContact`` (survives restarts). ``handle_text`` runs in one
transaction per inbound message. Lock order: the contact row (FOR NO KEY UPDATE) first,
then what the intake or message services take (the case-number lock, the program's
audit chain); nothing takes a contact row while holding the chain (the identity purge
blanks contacts in a transaction of its own, ``purge_contacts``), so no cycle."""

import json
import logging
import re

from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation

from complaints import crypto, throttle
from complaints.models import Case
from core.actors import SystemActor
from core.errors import DomainError
from programs.models import Facility
from programs.pickers import search

from . import outbox, texts
from .models import ChannelContact, ChannelMessage, MessageState, Step
from .secrets import encrypt_phone, phone_hash

log = logging.getLogger(__name__)

CHANNEL_ACTOR = SystemActor("worker-channel")
LANGUAGES = ["en", "es", "ht", "bn"]
LANGUAGE_WORDS = {
    "en": {"1", "en", "english", "inglés", "ingles", "angle"},
    "es": {"2", "es", "español", "espanol", "spanish", "espagnol"},
    "ht": {"3", "ht", "kreyol", "kreyòl", "creole", "créole", "kreyol ayisyen", "kreyòl ayisyen"},
    "bn": {"4", "bn", "bangla", "bengali", "বাংলা"},
}
# Carriers handle STOP themselves on SMS; we also stop every message of ours.
STOP_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "arete", "alto", "বন্ধ"}
START_WORDS = {"start", "unstop", "yes"}
NEW_WORDS = {"new", "nuevo", "nouvo", "নতুন"}
MAX_PICK = 5


class Duplicate(Exception):
    """The provider's message id was already received: a replay (or a retry)."""


def _word(body):
    return re.sub(r"\s+", " ", (body or "").strip().strip(".!").lower())


def _language_of(body):
    word = _word(body)
    for code, words in LANGUAGE_WORDS.items():
        if word in words:
            return code
    return None


def _draft(contact):
    return crypto.decrypt_identity(contact.draft_ciphertext) if contact.draft_ciphertext else {}


def _set_draft(contact, draft):
    # encrypt_identity keeps string values only; the offered list travels as JSON text.
    contact.draft_ciphertext = crypto.encrypt_identity(draft)


def record_inbound(*, config, inbound, case=None, contact=None):
    """The inbound row that makes a replay fail: unique per (channel, provider id)."""
    if not inbound.provider_id:
        raise Duplicate("no message id")
    try:
        with transaction.atomic():
            return ChannelMessage.objects.create(
                program_id=config.program_id,
                config=config,
                contact=contact,
                case=case,
                inbound=True,
                provider_id=inbound.provider_id,
                state=MessageState.RECEIVED,
            )
    except IntegrityError as exc:
        raise Duplicate(inbound.provider_id) from exc


def contact_for(*, config, phone):
    """The program's contact row for ``phone``, created if new, locked for this
    transaction. The channel it wrote on becomes the one replies go out on."""
    digest = phone_hash(config.program_id, phone)
    contact = (
        ChannelContact.objects.select_for_update(no_key=True)
        .filter(program_id=config.program_id, phone_hash=digest)
        .first()
    )
    if contact is None:
        try:
            with transaction.atomic():
                ChannelContact.objects.create(
                    program_id=config.program_id,
                    phone_hash=digest,
                    phone_ciphertext=encrypt_phone(phone),
                    config=config,
                )
        except IntegrityError:
            pass  # the same number's other message created it a moment ago
        contact = ChannelContact.objects.select_for_update(no_key=True).get(
            program_id=config.program_id, phone_hash=digest
        )
    if contact.config_id != config.pk:
        contact.config = config
    if not contact.phone_ciphertext:  # purged earlier: the worker wrote again
        contact.phone_ciphertext = encrypt_phone(phone)
    return contact


@transaction.atomic
def handle_text(*, config, inbound):
    """One inbound text from a worker; the replies are queued in the channel outbox.
    Raises ``Duplicate`` for a message id already received (nothing else happens)."""
    row = record_inbound(config=config, inbound=inbound)
    contact = contact_for(config=config, phone=inbound.sender)
    row.contact = contact
    with translation.override(contact.language or "en"):
        replies = _respond(config, contact, inbound)
        contact.save()
        row.case = contact.case
        row.save(update_fields=["contact", "case"])
        _keep_media(config, contact, inbound)
        for reply in replies:
            outbox.queue(contact=contact, body=str(reply), case=contact.case)
    return replies


def _keep_media(config, contact, inbound):
    """Photos, recordings or documents sent with a text: one inbound row each (the
    provider's id plus the position, so a replay adds none), fetched after commit into
    the case's evidence through the upload checks (metadata stripped). Media sent before
    the case exists waits on the contact and is fetched once it is filed."""
    if contact.opted_out_at is not None:
        return
    for position, (url, _content_type) in enumerate(inbound.media):
        ChannelMessage.objects.create(
            program_id=config.program_id,
            config=config,
            contact=contact,
            case=contact.case,
            inbound=True,
            provider_id=f"{inbound.provider_id}/{position}"[:64],
            media_url=url[:500],
            state=MessageState.RECEIVED,
        )
    if contact.case_id is None:
        return
    waiting = list(
        ChannelMessage.objects.filter(contact=contact, inbound=True)
        .exclude(media_url="")
        .filter(models.Q(case_id=contact.case_id) | models.Q(case__isnull=True))
        .values_list("pk", flat=True)
    )
    if waiting:
        ChannelMessage.objects.filter(pk__in=waiting, case__isnull=True).update(
            case_id=contact.case_id
        )
        program_id = config.program_id
        transaction.on_commit(lambda: _enqueue_fetches(waiting, program_id))


def _enqueue_fetches(row_ids, program_id):
    from complaints import tasks
    from core import broker

    for row_id in row_ids:
        broker.publish(tasks.fetch_recording, (row_id, program_id), what="channel media")


def _respond(config, contact, inbound):
    body = (inbound.body or "").strip()
    word = _word(body)
    if word in STOP_WORDS:
        contact.opted_out_at = timezone.now()
        return []
    if contact.opted_out_at is not None:
        if word not in START_WORDS:
            return []  # opted out: we read what comes in but say nothing
        contact.opted_out_at = None
        return [texts.RESUBSCRIBED]
    code = crypto.normalize_receipt_code(body)
    if code is not None:
        return _link_by_code(config, contact, code)
    if word in NEW_WORDS:
        contact.case = None
        contact.draft_ciphertext = ""
        contact.step = Step.WHAT if contact.language else Step.LANGUAGE
        return [texts.ASK_WHAT if contact.language else _menu(config)]
    if contact.step == Step.FILED and contact.case_id:
        from . import checkins

        checkin = checkins.open_checkin(contact)
        if checkin is not None:
            replies = checkins.answer(config, contact, checkin, word)
            if replies is not None:
                return replies
        return _thread(contact, body)
    return _interview(config, contact, body)


def _menu(config):
    return texts.LANGUAGE_MENU.format(program=config.program.name)


def _set_language(contact, code):
    contact.language = code
    translation.activate(code)


def _interview(config, contact, body):
    draft = _draft(contact)
    step = contact.step
    if step in (Step.START, Step.FILED):
        language = _language_of(body)
        if language:
            _set_language(contact, language)
            contact.step = Step.WHAT
            return [texts.ASK_WHAT]
        if body:  # nothing they send is lost: a first message is part of their story
            draft["first"] = body
            _set_draft(contact, draft)
        contact.step = Step.LANGUAGE
        return [_menu(config)]
    if step == Step.LANGUAGE:
        language = _language_of(body)
        if not language:
            return [_menu(config)]
        _set_language(contact, language)
        contact.step = Step.WHAT
        return [texts.ASK_WHAT]
    if step == Step.WHAT:
        if not body:
            return [texts.ASK_WHAT]
        draft["what"] = body
        _set_draft(contact, draft)
        contact.step = Step.WHERE
        return [texts.ASK_WHERE]
    if step == Step.WHERE_PICK:
        offered = json.loads(draft.get("offered", "[]"))
        if body.isdigit() and 0 <= int(body) <= len(offered):
            if int(body):
                draft["facility"] = str(offered[int(body) - 1])
            draft.pop("offered", None)
            _set_draft(contact, draft)
            contact.step = Step.WHEN
            return [texts.ASK_WHEN]
        step = Step.WHERE  # a name instead of a number: search again
    if step == Step.WHERE:
        if not body:
            return [texts.ASK_WHERE]
        draft["where"] = body
        matches = list(
            search(Facility.objects.filter(program_id=config.program_id), "facilities", body)
            .order_by("name", "pk")
            .values_list("pk", "name")[: MAX_PICK + 1]
        )
        if len(matches) == 1:
            draft["facility"] = str(matches[0][0])
        elif 1 < len(matches) <= MAX_PICK:
            draft["offered"] = json.dumps([pk for pk, _name in matches])
            _set_draft(contact, draft)
            contact.step = Step.WHERE_PICK
            lines = [str(texts.ASK_PICK)]
            lines += [f"{i} {name}" for i, (_pk, name) in enumerate(matches, 1)]
            lines.append(f"0 {texts.NONE_OF_THESE}")
            return ["\n".join(lines)]
        _set_draft(contact, draft)
        contact.step = Step.WHEN
        return [texts.ASK_WHEN]
    if step == Step.WHEN:
        draft["when"] = body
        return _file(config, contact, draft)
    return [_menu(config)]


def _file(config, contact, draft):
    from complaints.services import complaint_submit

    from .secrets import decrypt_phone
    from .transports import transport_for

    facility = None
    if draft.get("facility"):
        facility = Facility.objects.filter(
            program_id=config.program_id, pk=int(draft["facility"])
        ).first()
    narrative = "\n\n".join(p for p in (draft.get("first", ""), draft.get("what", "")) if p)
    case, code = complaint_submit(
        actor=CHANNEL_ACTOR,
        program=config.program,
        narrative=narrative,
        facility=facility,
        facility_description="" if facility else draft.get("where", "")[:300],
        occurred=draft.get("when", "")[:200],
        language=contact.language or "en",
        channel=transport_for(config).case_channel,
        identity={"phone": decrypt_phone(contact.phone_ciphertext)},
    )
    contact.case = case
    contact.step = Step.FILED
    contact.draft_ciphertext = ""
    return [texts.FILED % {"code": crypto.format_receipt_code(code)}]


def _thread(contact, body):
    from complaints.services import message_receive

    case = contact.case
    if not body:
        return []
    try:
        message_receive(case=case, body=body)
    except DomainError:  # closed: the next text starts a new complaint
        contact.step = Step.START
        contact.case = None
        return [texts.CLOSED]
    return [texts.RECEIVED]


def _link_by_code(config, contact, code):
    if not throttle.allow("lookup", config.program.slug):
        return [texts.TOO_MANY_TRIES]
    case = Case.objects.filter(
        program_id=config.program_id, receipt_hash=crypto.receipt_hash(code)
    ).first()
    if case is None:
        return [texts.UNKNOWN_CODE]
    contact.case = case
    contact.step = Step.FILED
    contact.draft_ciphertext = ""
    if not contact.language:
        _set_language(contact, case.language if case.language in LANGUAGES else "en")
    return [texts.LINKED]


def purge_contacts(case_ids):
    """Erase the numbers of the workers of ``case_ids`` (their identity was purged): the
    contact row forgets the number and its hash, so nothing threads or is sent again."""
    import secrets as _secrets

    erased = 0
    for contact in ChannelContact.objects.filter(case_id__in=case_ids).exclude(phone_ciphertext=""):
        with transaction.atomic():
            updated = ChannelContact.objects.filter(pk=contact.pk).update(
                phone_ciphertext="",
                draft_ciphertext="",
                phone_hash=f"purged-{_secrets.token_hex(16)}",
                case=None,
                step=Step.START,
                updated_at=timezone.now(),
            )
            erased += updated
    return erased


def queue_staff_reply(*, case, message):
    """Queue a staff message to every phone linked to ``case`` (the worker's, and any
    that texted its receipt code), in the language each chose; return how many."""
    queued = 0
    for contact in ChannelContact.objects.filter(case=case, opted_out_at__isnull=True).exclude(
        phone_ciphertext=""
    ):
        with translation.override(contact.language or case.language or "en"):
            body = str(texts.FROM_TEAM % {"body": message.body})
        if outbox.queue(contact=contact, body=body, case=case, message=message):
            queued += 1
    return queued
