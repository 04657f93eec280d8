"""The public webhooks. Every request's signature is checked before anything is read:
unsigned or wrongly signed → 403; a provider id already received (a replay) → 409."""

import logging

from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from . import conversation, outbox, voice
from .models import ChannelConfig, Transport
from .secrets import MissingSecret
from .transports import BadSignature, transport_for

log = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _twiml(xml, status=200):
    return HttpResponse(xml, content_type="text/xml", status=status)


@method_decorator(csrf_exempt, name="dispatch")
class WebhookView(View):
    """Resolve the channel from the URL (program and config, active, of the expected
    transports: a WhatsApp webhook cannot be fed through a voice channel's URL), then
    check the signature; only then ``handle``."""

    http_method_names = ["post"]
    transports = ()

    def post(self, request, program, config):
        self.config = get_object_or_404(
            ChannelConfig.objects.select_related("program"),
            pk=config,
            program__slug=program,
            is_active=True,
            transport__in=self.transports,
        )
        transport = transport_for(self.config)
        try:
            transport.verify(request)
        except BadSignature as exc:
            log.warning("channel %s: refused a webhook (%s)", self.config.pk, exc)
            return HttpResponseForbidden("signature check failed")
        except MissingSecret:
            log.error("channel %s has no usable secret; refusing its webhooks", self.config.pk)
            return HttpResponseForbidden("channel not configured")
        try:
            return self.handle(request, transport)
        except conversation.Duplicate:
            return HttpResponse("already received", status=409, content_type="text/plain")


TWILIO_TEXT = (Transport.TWILIO_SMS, Transport.TWILIO_WHATSAPP)
TWILIO_ALL = (*TWILIO_TEXT, Transport.TWILIO_VOICE)


class TwilioMessageView(WebhookView):
    transports = TWILIO_TEXT

    def handle(self, request, transport):
        conversation.handle_text(config=self.config, inbound=transport.parse(request))
        # Replies go through the outbox (retries, receipts), not this response.
        return _twiml(EMPTY_TWIML)


class TwilioStatusView(WebhookView):
    transports = TWILIO_ALL

    def handle(self, request, transport):
        outbox.receipt(
            config=self.config,
            provider_id=request.POST.get("MessageSid", ""),
            status=request.POST.get("MessageStatus", ""),
            error_code=request.POST.get("ErrorCode", ""),
        )
        return HttpResponse(status=204)


class VoiceCallView(WebhookView):
    transports = (Transport.TWILIO_VOICE,)

    def handle(self, request, transport):
        return _twiml(voice.call_menu(self.config))


class VoiceLanguageView(WebhookView):
    transports = (Transport.TWILIO_VOICE,)

    def handle(self, request, transport):
        return _twiml(voice.language_chosen(self.config, request.POST.get("Digits")))


class VoiceRecordedView(WebhookView):
    transports = (Transport.TWILIO_VOICE,)

    def handle(self, request, transport):
        return _twiml(
            voice.recorded(config=self.config, post=request.POST, language=request.GET.get("lang"))
        )


class GatewayMessageView(WebhookView):
    transports = (Transport.WEBHOOK,)

    def handle(self, request, transport):
        inbound = transport.parse(request)
        if not inbound.sender or not inbound.provider_id:
            # The id is what refuses a replay inside the timestamp window: required.
            return HttpResponse("id and from are required", status=400, content_type="text/plain")
        conversation.handle_text(config=self.config, inbound=inbound)
        return HttpResponse(status=204)


class GatewayStatusView(WebhookView):
    """The gateway's delivery receipts: ``{"id", "status": sent|delivered|failed}``."""

    transports = (Transport.WEBHOOK,)

    def handle(self, request, transport):
        import json

        try:
            data = json.loads(request.body)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return HttpResponse("JSON object expected", status=400, content_type="text/plain")
        outbox.receipt(
            config=self.config,
            provider_id=str(data.get("id") or "")[:64],
            status=str(data.get("status") or ""),
        )
        return HttpResponse(status=204)
