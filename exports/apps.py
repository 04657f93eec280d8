from django.apps import AppConfig


class ExportsConfig(AppConfig):
    """A program's whole record as one archive, so a worker organization can leave."""

    name = "exports"
    verbose_name = "Program export"
