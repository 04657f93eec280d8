from django.apps import AppConfig


class DemoConfig(AppConfig):
    """`manage.py seed_demo`: the demo programs, seeded through every app's services."""

    name = "demo"
    verbose_name = "Demo data"
