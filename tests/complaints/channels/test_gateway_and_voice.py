"""The generic signed JSON webhook (a program's own SMS gateway) and the voice line."""

import re
import time

import pytest
from django.test import Client

from complaints.channels import outbox, voice
from complaints.channels.models import ChannelMessage, MessageState, Transport
from complaints.models import Case, Channel, Evidence

from .conftest import ACCOUNT, GATEWAY_SECRET, TwilioPhone, connect, gateway_post
from .fake_provider import wav_bytes

pytestmark = pytest.mark.django_db

WORKER = "+8801711000222"


@pytest.fixture
def world(personas):
    return personas.a


def _url(config, name):
    from django.urls import reverse

    return reverse(
        f"complaints-channels:{name}", kwargs={"program": config.program.slug, "config": config.pk}
    )


def test_gateway_files_in_bengali_and_refuses_unsigned_stale_and_replayed(
    world, provider, settings
):
    config = connect(world, Transport.WEBHOOK, address="+8801711000111")
    config.outbound_url = provider.base + "/gateway/outbound"
    config.save()
    client = Client()
    path = _url(config, "gateway_message")

    def send(text, n, **kw):
        return gateway_post(client, path, {"id": f"gw-in-{n}", "from": WORKER, "text": text}, **kw)

    assert send("বাংলা", 1).status_code == 204
    # Unsigned, wrongly signed and stale requests: 403, nothing recorded.
    assert client.post(path, {"id": "x"}, content_type="application/json").status_code == 403
    assert send("x", 2, secret="wrong").status_code == 403
    stale = int(time.time()) - settings.CHANNEL_WEBHOOK_WINDOW - 5
    assert send("x", 3, timestamp=stale).status_code == 403
    # A replay inside the window (same id): 409.
    assert send("বাংলা", 1).status_code == 409
    assert ChannelMessage.objects.filter(inbound=True).count() == 1
    # Signed but without an id (nothing to refuse a replay by) or a sender: 400.
    assert gateway_post(client, path, {"from": WORKER, "text": "x"}).status_code == 400
    assert gateway_post(client, path, {"id": "gw-in-9", "text": "x"}).status_code == 400

    send("মালিক তিন মাস ধরে ওভারটাইমের টাকা দেয়নি।", 4)
    send("Farm 1", 5)
    send("গত মাসে", 6)
    outbox.deliver_due()
    texts = [m["text"] for m in provider.gateway]
    assert all(m["to"] == WORKER for m in provider.gateway)
    assert texts[0].startswith("আপনার অভিযোগ গোপন রাখা হবে")
    assert texts[-1].startswith("ধন্যবাদ। আপনার অভিযোগ জমা হয়েছে।")
    assert re.search(r"\d{4} \d{4} \d{4} \d{4}", texts[-1])
    case = Case.objects.get(program=world.program)
    assert (case.channel, case.language, case.facility) == (Channel.SMS, "bn", world.facility)

    # The gateway's signed delivery receipt.
    row = ChannelMessage.objects.filter(inbound=False).last()
    receipt = gateway_post(
        client, _url(config, "gateway_status"), {"id": row.provider_id, "status": "delivered"}
    )
    assert receipt.status_code == 204
    row.refresh_from_db()
    assert row.state == MessageState.DELIVERED
    forged = gateway_post(
        client,
        _url(config, "gateway_status"),
        {"id": row.provider_id, "status": "failed"},
        secret=GATEWAY_SECRET + "x",
    )
    assert forged.status_code == 403


def test_a_voice_message_lands_as_evidence_with_the_code_read_back_and_texted(
    world, provider, settings
):
    config = connect(world, Transport.TWILIO_VOICE)
    phone = TwilioPhone(Client(), settings, config, WORKER)
    call = {"CallSid": "CA" + "2" * 32, "AccountSid": ACCOUNT, "From": WORKER, "To": config.address}

    menu = phone.signed_post(phone.url("voice_call"), call)
    assert menu.status_code == 200 and b"<Gather" in menu.content
    assert "Pou kreyòl ayisyen, peze 3." in menu.content.decode()
    assert phone.signed_post(phone.url("voice_call"), call, sign=False).status_code == 403

    chosen = phone.signed_post(phone.url("voice_language"), {**call, "Digits": "3"})
    body = chosen.content.decode()
    assert "<Record" in body and "Apre son an" in body

    sid = "RE" + "3" * 32
    provider.recordings[sid] = wav_bytes()
    recording_url = f"{provider.base}/2010-04-01/Accounts/{ACCOUNT}/Recordings/{sid}"
    recorded = {
        **call,
        "RecordingSid": sid,
        "RecordingUrl": recording_url,
        "RecordingDuration": "14",
    }
    path = phone.url("voice_recorded", "?lang=ht")
    answer = phone.signed_post(path, recorded)
    assert answer.status_code == 200
    said = answer.content.decode()
    assert "Kòd resi ou se:" in said
    case = Case.objects.get(program=world.program)
    assert (case.channel, case.language) == (Channel.VOICE, "ht")
    # Replayed: refused, no second case.
    assert phone.signed_post(path, recorded).status_code == 409
    assert Case.objects.filter(program=world.program).count() == 1

    # The code by SMS from the program's number.
    outbox.deliver_due()
    [sms] = provider.messages
    assert sms["To"] == WORKER and sms["Body"].startswith("Mèsi. Plent ou an anrejistre")
    digits = re.search(r"\d{4} \d{4} \d{4} \d{4}", sms["Body"]).group().replace(" ", "")
    assert " ".join(digits[:4]) in said  # read back digit by digit

    # The recording is fetched with the account's credentials and stored as evidence
    # through the upload checks; a second fetch finds nothing to do.
    row = ChannelMessage.objects.get(inbound=True, provider_id=sid)
    evidence = voice.fetch_recording(row.pk, world.program.pk)
    assert evidence.case == case and evidence.content_type == "audio/wav"
    assert evidence.from_worker and evidence.size == len(wav_bytes())
    assert voice.fetch_recording(row.pk, world.program.pk) is None
    assert Evidence.objects.filter(case=case).count() == 1
    assert provider.unauthorized == 0
    # Another program's id cannot fetch it (tasks re-check scope).
    assert voice.fetch_recording(row.pk, world.program.pk + 1000) is None
