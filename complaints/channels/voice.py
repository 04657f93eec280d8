"""A call that leaves a voice message: language menu, <Record>, the receipt code read
back and sent by text. The recording is fetched after commit (``fetch_recording``) and
stored as evidence through the same upload checks as the web form's files."""

import logging

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from twilio.twiml.voice_response import VoiceResponse

from complaints import crypto
from complaints.uploads import inspect_upload
from core import audit
from core.audit import audit_log

from . import outbox, texts
from .conversation import CHANNEL_ACTOR, contact_for, record_inbound
from .models import ChannelMessage, MessageState, Step
from .secrets import decrypt_phone
from .transports import Inbound, transport_for

log = logging.getLogger(__name__)

DIGIT_LANGUAGES = {"1": "en", "2": "es", "3": "ht", "4": "bn"}
# Twilio's text-to-speech voices; Haitian Creole and Bengali have none, so their prompts
# are read with the default voice (a program can record its own prompts instead).
SAY_LANGUAGE = {"en": "en-US", "es": "es-US"}
MENU = [
    ("For English, press 1.", "en-US"),
    ("Para español, marque 2.", "es-US"),
    ("Pou kreyòl ayisyen, peze 3.", None),
    ("বাংলার জন্য ৪ চাপুন।", None),
]
MAX_RECORDING_SECONDS = 300


def _url(config, name, query=""):
    path = reverse(
        f"complaints-channels:{name}", kwargs={"program": config.program.slug, "config": config.pk}
    )
    return path + query


def _say(node, text, language):
    if SAY_LANGUAGE.get(language):
        node.say(str(text), language=SAY_LANGUAGE[language])
    else:
        node.say(str(text))


def call_menu(config):
    response = VoiceResponse()
    gather = response.gather(
        num_digits=1, action=_url(config, "voice_language"), method="POST", timeout=8
    )
    for text, language in MENU:
        if language:
            gather.say(text, language=language)
        else:
            gather.say(text)
    response.redirect(_url(config, "voice_call"), method="POST")
    return str(response)


def language_chosen(config, digits):
    language = DIGIT_LANGUAGES.get((digits or "").strip())
    response = VoiceResponse()
    if language is None:
        response.redirect(_url(config, "voice_call"), method="POST")
        return str(response)
    with translation.override(language):
        _say(response, texts.SAY_RECORD, language)
    response.record(
        action=_url(config, "voice_recorded", f"?lang={language}"),
        method="POST",
        max_length=MAX_RECORDING_SECONDS,
        finish_on_key="#",
        play_beep=True,
    )
    return str(response)


@transaction.atomic
def recorded(*, config, post, language):
    """The <Record> action: file the case, queue the receipt code by text, and answer
    the TwiML that reads it back. Raises ``conversation.Duplicate`` on a replay."""
    from complaints.services import complaint_submit

    language = language if language in DIGIT_LANGUAGES.values() else "en"
    response = VoiceResponse()
    url = post.get("RecordingUrl", "")
    inbound = Inbound(provider_id=post.get("RecordingSid", ""), sender=post.get("From", ""))
    row = record_inbound(config=config, inbound=inbound)
    if not url or post.get("RecordingDuration", "0") in ("", "0"):
        with translation.override(language):
            _say(response, texts.SAY_NOTHING_HEARD, language)
        return str(response)
    contact = contact_for(config=config, phone=inbound.sender)
    contact.language = language
    case, code = complaint_submit(
        actor=CHANNEL_ACTOR,
        program=config.program,
        narrative=texts.VOICE_NARRATIVE,
        facility_description=texts.VOICE_WHERE,
        language=language,
        channel=transport_for(config).case_channel,
        identity={"phone": decrypt_phone(contact.phone_ciphertext)},
    )
    contact.case = case
    contact.step = Step.FILED
    contact.save()
    row.contact, row.case, row.media_url = contact, case, url
    row.save(update_fields=["contact", "case", "media_url"])
    with translation.override(language):
        outbox.queue(
            contact=contact,
            case=case,
            body=str(texts.FILED % {"code": crypto.format_receipt_code(code)}),
        )
        digits = ", ".join(" ".join(code[i : i + 4]) for i in range(0, len(code), 4))
        _say(response, texts.SAY_FILED % {"digits": digits}, language)
    transaction.on_commit(lambda: _enqueue_fetch(row.pk, config.program_id))
    return str(response)


def _enqueue_fetch(row_id, program_id):
    from complaints import tasks
    from core import broker

    broker.publish(tasks.fetch_recording, (row_id, program_id), what="a voice recording")


def fetch_recording(row_id, program_id):
    """Download a call's recording (or a photo, document or audio sent with a text) and
    store it as the case's evidence. Idempotent: the
    row's ``media_url`` is emptied in the transaction that stores the file. Returns the
    Evidence, or None when there is nothing (left) to fetch."""
    row = (
        ChannelMessage.objects.select_related("config__program", "case")
        .filter(pk=row_id, program_id=program_id, inbound=True)
        .exclude(media_url="")
        .first()
    )
    if row is None or row.case is None:
        return None
    data = transport_for(row.config).download(row.media_url)
    upload = ContentFile(data, name="recording")
    try:
        info = inspect_upload(upload)
    except ValidationError as exc:
        # Not a file we accept (type, size, an unreadable photo): retrying cannot help.
        # Recorded on the row; nothing is stored.
        ChannelMessage.objects.filter(pk=row.pk).update(
            media_url="", state=MessageState.FAILED, last_error="; ".join(exc.messages)[:500]
        )
        return None
    return _store(row, upload, info)


@transaction.atomic
def _store(row, upload, info):
    from complaints.services._common import _store_evidence

    audit.chain_lock(row.program_id)  # the lock order (core/audit.py): chain, then rows
    locked = (
        ChannelMessage.objects.select_for_update(no_key=True)
        .filter(pk=row.pk)
        .exclude(media_url="")
        .first()
    )
    if locked is None:
        return None  # another fetch stored it
    transport = row.config.get_transport_display()
    evidence = _store_evidence(
        case=row.case,
        inspected=info,
        upload=upload,
        from_worker=True,
        uploaded_by=None,
        desc="Voice message" if row.config.transport == "twilio_voice" else f"Sent by {transport}",
    )
    locked.media_url = ""
    locked.state = MessageState.RECEIVED
    locked.save(update_fields=["media_url", "state", "updated_at"])
    audit_log(
        program=row.config.program,
        actor=CHANNEL_ACTOR,
        verb="evidence.received",
        obj=evidence,
        payload={"case": row.case_id, "sha256": evidence.sha256, "type": evidence.content_type},
    )
    return evidence
