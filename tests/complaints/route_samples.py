"""Sample arguments for the complaints routes (tests/test_route_isolation.py)."""

import io

from complaints import services
from core.roles import Role


def samples(world):
    from tests.complaints.conftest import investigating

    case = investigating(world)
    investigator = world.user(Role.INVESTIGATOR)
    finding = services.finding_add(
        actor=investigator, case=case, provision=world.provision, facts="Confirmed by 3 workers."
    )
    upload = io.BytesIO(b"%PDF-1.4\n% sample evidence\n")
    upload.name = "x.pdf"
    upload.size = len(upload.getvalue())
    from django.core.files.uploadedfile import SimpleUploadedFile

    evidence = services.evidence_add(
        actor=investigator,
        case=case,
        upload=SimpleUploadedFile("x.pdf", upload.getvalue(), content_type="application/pdf"),
    )
    from complaints import custody

    custody.identity_custody_set(
        actor=world.user(Role.ADMIN),
        program=world.program,
        required=True,
        custodians=[world.user(Role.ADMIN)],
    )
    reveal_request = custody.identity_reveal_request(
        actor=investigator, case=case, reason="To call the worker back."
    )
    from complaints.channels.services import channel_connect

    channel = channel_connect(
        actor=world.user(Role.ADMIN),
        program=world.program,
        transport="twilio_sms",
        address=f"+1555{world.program.pk:07d}",
        account_sid="AC" + "0" * 32,
        secret_env="ROUTE_SAMPLE_TOKEN",
    )
    # The public webhooks resolve a channel of their own transport (a voice URL does not
    # take an SMS channel): one channel each, with a stored secret, so an unsigned
    # request reaches the signature check (403) and the header walk sees that answer.
    voice = channel_connect(
        actor=world.user(Role.ADMIN),
        program=world.program,
        transport="twilio_voice",
        address=f"+1556{world.program.pk:07d}",
        account_sid="AC" + "0" * 32,
        secret="route-sample-twilio-token",
    )
    gateway = channel_connect(
        actor=world.user(Role.ADMIN),
        program=world.program,
        transport="webhook",
        address=f"+1557{world.program.pk:07d}",
        secret="route-sample-gateway-secret",
        outbound_url="https://gateway.example.org/out",
    )
    webhooks = {
        "twilio_message": channel,
        "twilio_status": channel,
        "voice_call": voice,
        "voice_language": voice,
        "voice_recorded": voice,
        "gateway_message": gateway,
        "gateway_status": gateway,
    }
    pk = {"pk": case.pk}
    child = {"case_pk": case.pk}
    return {
        "complaints:case_detail": pk,
        "complaints:channel_stop": {"pk": channel.pk},
        "complaints:case_triage": pk,
        "complaints:case_assign": pk,
        "complaints:case_share": pk,
        "complaints:case_transition": pk,
        "complaints:case_retaliation": pk,
        "complaints:case_identity": pk,
        "complaints:identity_request": pk,
        "complaints:identity_request_decide": {"pk": reveal_request.pk},
        "complaints:note_add": pk,
        "complaints:message_send": pk,
        "complaints:evidence_add": pk,
        "complaints:interview_add": pk,
        "complaints:finding_add": pk,
        "complaints:case_pdf": pk,
        "complaints:finding_refer": {"pk": finding.pk},
        "complaints:evidence_download": {"pk": evidence.pk},
        "complaints-api:case-detail": pk,
        "complaints-api:case-triage": pk,
        "complaints-api:case-assign": pk,
        "complaints-api:case-share": pk,
        "complaints-api:case-transition": pk,
        "complaints-api:case-retaliation": pk,
        "complaints-api:case-identity": pk,
        "complaints-api:finding-detail": {"pk": finding.pk},
        "complaints-api:finding-refer": {"pk": finding.pk},
        "complaints-api:case-note-list": child,
        "complaints-api:case-message-list": child,
        "complaints-api:case-evidence-list": child,
        "complaints-api:case-interview-list": child,
        "complaints-api:case-finding-list": child,
        **{f"complaints-channels:{name}": {"config": c.pk} for name, c in webhooks.items()},
    }
