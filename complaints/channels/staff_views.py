"""The admin's page of the program's channels: what is connected, the webhook URLs to
give the provider, connect a number, stop one. Secrets are never shown back."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from core.forms import run_service
from core.tenancy import ProgramViewMixin

from . import services
from .models import ChannelConfig, ChannelMessage, MessageState, Transport

INBOUND_ROUTE = {
    Transport.TWILIO_SMS: "twilio_message",
    Transport.TWILIO_WHATSAPP: "twilio_message",
    Transport.TWILIO_VOICE: "voice_call",
    Transport.WEBHOOK: "gateway_message",
}


class ConnectForm(forms.Form):
    transport = forms.ChoiceField(choices=Transport.choices)
    address = forms.CharField(label="Number (international form, e.g. +15551234567)")
    account_sid = forms.CharField(label="Twilio account SID", required=False)
    secret_env = forms.CharField(
        label="Environment variable holding the auth token or secret (preferred)",
        required=False,
    )
    secret = forms.CharField(
        label="…or the secret itself (stored encrypted)",
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )
    outbound_url = forms.URLField(label="Gateway sending URL (own gateway only)", required=False)


def webhook_url(config):
    path = reverse(
        f"complaints-channels:{INBOUND_ROUTE[config.transport]}",
        kwargs={"program": config.program.slug, "config": config.pk},
    )
    return settings.SITE_URL + path


class ChannelListView(ProgramViewMixin, TemplateView):
    template_name = "complaints/channels.html"
    read_action = "channel.manage"
    write_action = "channel.manage"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        configs = list(
            ChannelConfig.objects.filter(program=self.program).order_by("-is_active", "pk")
        )
        for config in configs:
            config.program = self.program
            config.webhook_url = webhook_url(config)
        failed = ChannelMessage.objects.filter(
            program=self.program, inbound=False, state=MessageState.FAILED
        ).count()
        context.setdefault("form", ConnectForm())
        context.update(configs=configs, failed=failed)
        return context

    def post(self, request, *args, **kwargs):
        form = ConnectForm(request.POST)
        if form.is_valid():
            config = run_service(
                form,
                services.channel_connect,
                actor=request.user,
                program=self.program,
                **form.cleaned_data,
            )
            if config is not None:
                messages.success(request, f"Connected {config}. Give the provider its webhook URL.")
                return redirect("complaints:channel_list", program=self.program.slug)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ChannelStopView(ProgramViewMixin, View):
    http_method_names = ["post"]
    read_action = "channel.manage"
    write_action = "channel.manage"

    def post(self, request, *args, **kwargs):
        config = get_object_or_404(ChannelConfig, program=self.program, pk=kwargs["pk"])
        services.channel_disconnect(actor=request.user, config=config)
        messages.success(request, f"Stopped {config}.")
        return redirect("complaints:channel_list", program=self.program.slug)
