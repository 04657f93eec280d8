from django.apps import AppConfig


class WsrConfig(AppConfig):
    name = "wsr"
    verbose_name = "WSR Platform"
