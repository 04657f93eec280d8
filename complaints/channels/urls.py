"""Mounted by config/urls.py at public/<program>/channels/ (public: no login, no
address logged; every view checks the provider's signature)."""

from django.urls import path

from . import views

app_name = "complaints-channels"

urlpatterns = [
    path("<int:config>/twilio/message/", views.TwilioMessageView.as_view(), name="twilio_message"),
    path("<int:config>/twilio/status/", views.TwilioStatusView.as_view(), name="twilio_status"),
    path("<int:config>/twilio/voice/", views.VoiceCallView.as_view(), name="voice_call"),
    path(
        "<int:config>/twilio/voice/language/",
        views.VoiceLanguageView.as_view(),
        name="voice_language",
    ),
    path(
        "<int:config>/twilio/voice/recorded/",
        views.VoiceRecordedView.as_view(),
        name="voice_recorded",
    ),
    path(
        "<int:config>/gateway/message/", views.GatewayMessageView.as_view(), name="gateway_message"
    ),
    path("<int:config>/gateway/status/", views.GatewayStatusView.as_view(), name="gateway_status"),
]
