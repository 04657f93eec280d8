"""A worker files by SMS in Haitian Creole, gets the receipt code, a staff reply
reaches them, they answer; unsigned and replayed requests are refused. Every webhook is
signed as Twilio signs it; every outbound text lands on the fake provider."""

import re

import pytest
from django.test import Client

from complaints import services
from complaints.channels import outbox
from complaints.channels.models import ChannelConfig, ChannelContact, ChannelMessage, MessageState
from complaints.models import Case, Channel, Direction, Message
from core.errors import DomainError
from core.models import AuditEvent
from core.roles import Role

from .conftest import ACCOUNT, PROGRAM_NUMBER, SETUP, TwilioPhone, connect

pytestmark = pytest.mark.django_db

WORKER = "+15095550123"
CODE = re.compile(r"\d{4} \d{4} \d{4} \d{4}")


@pytest.fixture
def world(personas):
    return personas.a


@pytest.fixture
def sms(world):
    return connect(world)


@pytest.fixture
def phone(sms, settings):
    return TwilioPhone(Client(), settings, sms, WORKER)


def file_in_creole(phone, provider):
    assert phone.text("Bonjou")[0].status_code == 200
    assert phone.text("3")[0].status_code == 200
    phone.text("Bòs la pa ban nou dlo nan jaden an depi twa jou.")
    phone.text("Farm 1")
    phone.text("semèn pase")
    outbox.deliver_due()
    return provider.bodies_to(WORKER)


def test_a_worker_files_by_sms_in_haitian_creole_and_the_thread_goes_both_ways(
    phone, provider, world, settings
):
    texts = file_in_creole(phone, provider)
    assert "Kreyòl ayisyen" in texts[0]  # the language menu
    assert texts[1].startswith("Plent ou an konfidansyèl")  # asked in Creole from here on
    assert texts[2].startswith("Ki kote sa te pase")
    assert texts[3].startswith("Kilè sa te pase")
    assert texts[4].startswith("Mèsi. Plent ou an anrejistre")
    code = CODE.search(texts[4]).group().replace(" ", "")
    # Every text went from the program's number, with a signed-webhook status callback.
    assert {m["From"] for m in provider.messages} == {PROGRAM_NUMBER}
    assert provider.messages[0]["StatusCallback"].startswith(settings.SITE_URL)

    case = Case.objects.get(program=world.program)
    assert case.channel == Channel.SMS
    assert case.language == "ht"
    assert case.facility == world.facility
    assert case.occurred == "semèn pase"
    assert "pa ban nou dlo" in case.narrative
    # The receipt code works like the web form's, and is stored nowhere in the clear.
    from complaints import crypto

    assert case.receipt_hash == crypto.receipt_hash(code)
    assert not ChannelMessage.objects.filter(body_ciphertext__contains=code).exists()
    assert all(not m.body_ciphertext for m in ChannelMessage.objects.filter(inbound=False))

    # Staff answer on the case; the reply goes out by SMS in the worker's language.
    staff = world.user(Role.STAFF)
    services.message_send(actor=staff, case=case, body="Nou pral vizite jaden an demen.")
    outbox.deliver_due()
    reply = provider.messages[-1]
    assert reply["To"] == WORKER
    assert reply["Body"] == "Mesaj sou plent ou: Nou pral vizite jaden an demen."

    # Twilio's delivery receipt (signed) marks it delivered.
    row = ChannelMessage.objects.get(message__case=case)
    response = phone.signed_post(
        phone.url("twilio_status"),
        {"MessageSid": reply["sid"], "MessageStatus": "delivered", "AccountSid": ACCOUNT},
    )
    assert response.status_code == 204
    row.refresh_from_db()
    assert row.state == MessageState.DELIVERED

    # The worker answers; it threads into the case as their message.
    phone.text("Mèsi anpil")
    worker_messages = Message.objects.filter(case=case, direction=Direction.FROM_WORKER)
    assert [m.body for m in worker_messages] == ["Mèsi anpil"]
    outbox.deliver_due()
    assert provider.bodies_to(WORKER)[-1].startswith("Nou resevwa")


def test_unsigned_wrongly_signed_and_replayed_requests_are_refused(phone, provider, world):
    response, _ = phone.text("Bonjou", sign=False)
    assert response.status_code == 403
    response, _ = phone.text("Bonjou", token="not-the-token")
    assert response.status_code == 403
    assert not ChannelContact.objects.exists()
    assert not ChannelMessage.objects.exists()

    response, params = phone.text("Bonjou")
    assert response.status_code == 200
    # The same signed request again (a replay): refused, nothing new happens.
    replay = phone.signed_post(phone.url("twilio_message"), params)
    assert replay.status_code == 409
    assert ChannelMessage.objects.filter(inbound=True).count() == 1
    assert ChannelMessage.objects.filter(inbound=False).count() == 1
    # A body changed after signing fails the signature.
    from twilio.request_validator import RequestValidator

    from .conftest import TOKEN

    forged = {**params, "MessageSid": "SM" + "9" * 32}
    signature = RequestValidator(TOKEN).compute_signature(
        "http://testserver" + phone.url("twilio_message"), forged
    )
    tampered = {**forged, "Body": "something else"}
    response = phone.client.post(
        phone.url("twilio_message"), tampered, HTTP_X_TWILIO_SIGNATURE=signature
    )
    assert response.status_code == 403
    # Another program's URL for this channel is a 404, not a way in.
    other = phone.url("twilio_message").replace(f"/{world.program.slug}/", "/bravo/")
    assert phone.client.post(other, params).status_code == 404


def test_the_receipt_code_from_another_phone_reaches_the_case(phone, provider, world, settings):
    texts = file_in_creole(phone, provider)
    code = CODE.search(texts[-1]).group()
    case = Case.objects.get(program=world.program)

    borrowed = TwilioPhone(phone.client, settings, phone.config, "+15095559999")
    borrowed.text(f"  {code} ")
    borrowed.text("Se mwen menm, m pèdi telefòn mwen.")
    outbox.deliver_due()
    assert provider.bodies_to("+15095559999")[0].startswith("Ou konekte")
    assert Message.objects.filter(case=case, direction=Direction.FROM_WORKER).count() == 1

    services.message_send(actor=world.user(Role.STAFF), case=case, body="Nou resevwa l.")
    outbox.deliver_due()
    assert provider.bodies_to(WORKER)[-1].endswith("Nou resevwa l.")
    assert provider.bodies_to("+15095559999")[-1].endswith("Nou resevwa l.")

    wrong = TwilioPhone(phone.client, settings, phone.config, "+15095558888")
    wrong.text("1234 5678 1234 5678")
    outbox.deliver_due()
    assert provider.bodies_to("+15095558888")[0].startswith("No complaint has this code")


def test_stop_is_honoured_and_start_resumes(phone, provider, world):
    file_in_creole(phone, provider)
    case = Case.objects.get(program=world.program)
    phone.text("STOP")
    sent_before = len(provider.messages)
    services.message_send(actor=world.user(Role.STAFF), case=case, body="Èske ou la?")
    outbox.deliver_due()
    assert len(provider.messages) == sent_before
    # While opted out, nothing they send is answered, nor filed as a message.
    phone.text("alo")
    assert not Message.objects.filter(case=case, direction=Direction.FROM_WORKER).exists()
    phone.text("START")
    outbox.deliver_due()
    assert provider.bodies_to(WORKER)[-1] == "N ap voye mesaj ba ou ankò."


def test_a_failed_message_is_retried_then_shown_on_the_case(phone, provider, world, client_for):
    file_in_creole(phone, provider)
    case = Case.objects.get(program=world.program)
    staff = world.user(Role.STAFF)
    provider.failures = [(503, {"code": 20500}), (400, {"code": 21211, "message": "invalid"})]
    services.message_send(actor=staff, case=case, body="Rele nou tanpri.")
    outbox.deliver_due()
    row = ChannelMessage.objects.get(message__case=case)
    assert row.state == MessageState.PENDING and row.attempts == 1  # 503: retried later
    ChannelMessage.objects.filter(pk=row.pk).update(not_before=None)
    outbox.deliver_due()
    row.refresh_from_db()
    assert row.state == MessageState.FAILED  # 21211: an invalid number, not retried
    page = client_for(staff).get(f"/p/{world.program.slug}/complaints/{case.pk}/")
    assert b"Not delivered by SMS" in page.content
    assert WORKER.encode() not in page.content


def test_the_number_is_identity_encrypted_hashed_and_purged(
    phone, provider, world, django_capture_on_commit_callbacks
):
    file_in_creole(phone, provider)
    case = Case.objects.get(program=world.program)
    contact = ChannelContact.objects.get()
    digits = WORKER.lstrip("+")
    assert digits not in contact.phone_ciphertext and digits not in contact.phone_hash
    assert digits not in case.identity_ciphertext
    assert not case.is_anonymous
    # Staff without the identity grant are refused; the admin sees it, audited.
    with pytest.raises(DomainError):
        services.case_identity_reveal(actor=world.user(Role.STAFF), case=case)
    assert services.case_identity_reveal(actor=world.user(Role.ADMIN), case=case) == {
        "phone": WORKER
    }
    assert AuditEvent.objects.filter(verb="case.identity_revealed").exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.case_identity_purge(actor=world.user(Role.ADMIN), case=case)
    contact.refresh_from_db()
    assert contact.phone_ciphertext == "" and contact.case_id is None
    assert contact.phone_hash.startswith("purged-")
    # Nothing more goes to the number; a later text starts afresh, unlinked.
    services.message_send(actor=world.user(Role.STAFF), case=case, body="Still there?")
    assert not ChannelMessage.objects.filter(message__case=case).exists()


def test_whatsapp_texts_thread_and_replies_go_back_on_whatsapp(world, provider, settings):
    from complaints.channels.models import Transport

    config = connect(world, Transport.TWILIO_WHATSAPP, address="+15550002222")
    phone = TwilioPhone(Client(), settings, config, WORKER, prefix="whatsapp:")
    for text in ("Español", "No nos pagan las horas extra.", "Farm 1", "ayer"):
        assert phone.text(text)[0].status_code == 200
    outbox.deliver_due()
    assert provider.messages[-1]["To"] == f"whatsapp:{WORKER}"
    assert provider.messages[-1]["From"] == "whatsapp:+15550002222"
    assert provider.messages[-1]["Body"].startswith("Gracias. Su queja quedó registrada.")
    case = Case.objects.get(program=world.program)
    assert (case.channel, case.language) == (Channel.WHATSAPP, "es")
    # The SMS number's webhook cannot be fed WhatsApp's URL for another transport.
    voice_url = phone.url("voice_call")
    assert phone.signed_post(voice_url, {"From": WORKER}).status_code == 404


def test_connect_command_prints_the_webhook_urls(world, settings, monkeypatch):
    import io

    from django.core.management import call_command

    monkeypatch.setenv("ALPHA_TWILIO_TOKEN", "token")
    out = io.StringIO()
    call_command(
        "channel_connect",
        world.program.slug,
        "--transport=twilio_sms",
        "--number=+15550003333",
        f"--account-sid={ACCOUNT}",
        "--secret-env=ALPHA_TWILIO_TOKEN",
        stdout=out,
    )
    assert f"{settings.SITE_URL}/public/{world.program.slug}/channels/" in out.getvalue()
    assert AuditEvent.objects.filter(verb="channel.connected").exists()
    config = ChannelConfig.objects.get(address="+15550003333")
    assert config.secret_ciphertext == "" and config.secret_env == "ALPHA_TWILIO_TOKEN"


def test_where_offers_a_numbered_list_when_several_workplaces_match(phone, provider, world):
    from programs import services as program_services

    second = program_services.facility_create(
        actor=SETUP,
        program=world.program,
        supplier=world.supplier,
        name="Alpha Fair Food Farm 2",
        address="2 Field Road",
        country="US",
    )
    for text in ("English", "They took our passports."):
        phone.text(text)
    phone.text("Alpha Fair Food")
    outbox.deliver_due()
    offered = provider.bodies_to(WORKER)[-1]
    assert offered.splitlines() == [
        "Reply with the number of your workplace:",
        "1 Alpha Fair Food Farm 1",
        "2 Alpha Fair Food Farm 2",
        "0 None of these",
    ]
    phone.text("2")
    phone.text("today")
    case = Case.objects.get(program=world.program)
    assert case.facility == second
    assert case.priority == "normal" and case.facility_description == ""


def test_a_text_to_a_closed_case_says_so_and_new_starts_a_complaint(phone, provider, world):
    file_in_creole(phone, provider)
    case = Case.objects.get(program=world.program)
    Case.objects.filter(pk=case.pk).update(status="closed")
    phone.text("Yo mete m deyò paske m te pote plent.")
    outbox.deliver_due()
    assert provider.bodies_to(WORKER)[-1].startswith("Plent ou an fèmen.")
    phone.text("NOUVO")
    outbox.deliver_due()
    assert provider.bodies_to(WORKER)[-1].startswith("Plent ou an konfidansyèl")


def test_the_admin_connects_and_stops_a_number_on_the_channels_page(world, client_for):
    admin = client_for(world.user(Role.ADMIN))
    url = f"/p/{world.program.slug}/complaints/channels/"
    response = admin.post(
        url,
        {
            "transport": "twilio_whatsapp",
            "address": "+15550004444",
            "account_sid": ACCOUNT,
            "secret": "s3cret-token-value",
        },
    )
    assert response.status_code == 302
    config = ChannelConfig.objects.get(address="+15550004444")
    assert "s3cret-token-value" not in config.secret_ciphertext
    page = admin.get(url)
    assert b"s3cret-token-value" not in page.content
    assert f"/channels/{config.pk}/twilio/message/".encode() in page.content
    # Bad input: a clear error, nothing changes.
    bad = admin.post(url, {"transport": "twilio_sms", "address": "555-1234", "secret": "x"})
    assert bad.status_code == 400 and b"international form" in bad.content
    assert ChannelConfig.objects.count() == 1
    # Staff may not manage channels.
    assert client_for(world.user(Role.STAFF)).get(url).status_code == 403
    admin.post(f"/p/{world.program.slug}/complaints/channels/{config.pk}/stop/")
    config.refresh_from_db()
    assert not config.is_active


def _close_days_ago(case, days):
    import datetime

    from django.utils import timezone

    Case.objects.filter(pk=case.pk).update(
        status="closed",
        outcome="substantiated",
        closed_at=timezone.now() - datetime.timedelta(days=days),
    )


def test_retaliation_checkins_ask_once_on_the_programs_days_and_yes_files_urgently(
    phone, provider, world
):
    from complaints.channels import checkins
    from complaints.channels.models import RetaliationCheckIn
    from complaints.tasks import send_retaliation_checkins

    file_in_creole(phone, provider)
    case = Case.objects.get(program=world.program)
    _close_days_ago(case, 31)
    assert send_retaliation_checkins() == 0  # the program has not chosen check-ins
    services.complaint_policy_set(
        actor=world.user(Role.ADMIN), program=world.program, retaliation_checkin_days=[30, 90]
    )
    assert send_retaliation_checkins() == 1
    assert send_retaliation_checkins() == 0  # once, whatever the redelivery
    outbox.deliver_due()
    assert provider.bodies_to(WORKER)[-1].startswith(
        "Yon kesyon sou plent ou, ki fèmen depi 30 jou"
    )
    phone.text("Wi")
    outbox.deliver_due()
    assert provider.bodies_to(WORKER)[-1].startswith("Mèsi paske w di nou sa.")
    reported = Case.objects.exclude(pk=case.pk).get(program=world.program)
    assert reported.is_retaliation and reported.retaliation_of == case
    assert (reported.priority, reported.category) == ("urgent", "retaliation")
    assert reported.channel == Channel.SMS and reported.facility == world.facility
    assert RetaliationCheckIn.objects.get().answer == "yes"
    assert AuditEvent.objects.filter(verb="case.retaliation_reported").exists()
    # Later texts thread into the new, open case.
    phone.text("Yo koupe lè travay mwen.")
    assert Message.objects.filter(case=reported, body="Yo koupe lè travay mwen.").exists()
    # Too old for its day's window: not asked (turning check-ins on does not message
    # every worker of years past).
    _close_days_ago(reported, 200)
    assert checkins.send_due() == 0


def test_a_checkin_answered_no_is_recorded_and_opted_out_workers_are_not_asked(
    phone, provider, world, settings
):
    from complaints.channels import checkins
    from complaints.channels.models import RetaliationCheckIn

    file_in_creole(phone, provider)
    case = Case.objects.get(program=world.program)
    _close_days_ago(case, 91)
    services.complaint_policy_set(
        actor=world.user(Role.ADMIN), program=world.program, retaliation_checkin_days=[90]
    )
    assert checkins.send_due() == 1
    phone.text("non")
    assert RetaliationCheckIn.objects.get().answer == "no"
    assert Case.objects.filter(program=world.program).count() == 1

    other = TwilioPhone(phone.client, settings, phone.config, "+15095557777")
    other.text(CODE.search(provider.bodies_to(WORKER)[4]).group())  # connects to the case
    other.text("STOP")
    RetaliationCheckIn.objects.all().delete()
    ChannelContact.objects.filter(phone_hash__isnull=False).update(step="filed")
    assert checkins.send_due() == 1  # the worker's phone only, not the opted-out one


def test_a_photo_sent_on_whatsapp_becomes_evidence_without_its_metadata(world, provider, settings):
    from complaints.channels import voice
    from complaints.channels.models import Transport
    from complaints.models import Evidence
    from tests.upload_metadata import assert_clean, phone_jpeg

    config = connect(world, Transport.TWILIO_WHATSAPP, address="+15550002222")
    phone = TwilioPhone(Client(), settings, config, WORKER, prefix="whatsapp:")
    path = f"/2010-04-01/Accounts/{ACCOUNT}/Messages/MM{'5' * 32}/Media/ME{'6' * 32}"
    provider.files[path] = ("image/jpeg", phone_jpeg())
    bad = f"/2010-04-01/Accounts/{ACCOUNT}/Messages/MM{'5' * 32}/Media/ME{'7' * 32}"
    provider.files[bad] = ("application/zip", b"PK\x03\x04 not a photo")
    phone.text("English")
    # A photo sent while telling the story waits for the case.
    phone.text("Look at the wound.", media=[(provider.base + path, "image/jpeg")])
    phone.text("Farm 1")
    phone.text("today")
    case = Case.objects.get(program=world.program)
    rows = ChannelMessage.objects.filter(inbound=True).exclude(media_url="")
    assert [r.case_id for r in rows] == [case.pk]
    evidence = voice.fetch_recording(rows[0].pk, world.program.pk)
    assert evidence.case == case and evidence.content_type == "image/jpeg"
    with evidence.file.open("rb") as handle:
        assert_clean(handle.read())
    # A file the upload checks refuse is recorded as failed, not retried, not stored.
    phone.text("and this", media=[(provider.base + bad, "application/zip")])
    row = ChannelMessage.objects.filter(inbound=True).exclude(media_url="").get()
    assert voice.fetch_recording(row.pk, world.program.pk) is None
    row.refresh_from_db()
    assert row.state == MessageState.FAILED and row.media_url == ""
    assert Evidence.objects.filter(case=case).count() == 1
