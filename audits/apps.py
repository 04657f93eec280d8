from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "audits"

    def ready(self):
        # Where an auditor may act (the facilities of their audits), for the kernel's
        # authorization table.
        from core import authz

        from .access import auditor_reach

        authz.register_hook(authz.AUDITOR_REACH, auditor_reach)
