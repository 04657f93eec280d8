from django.apps import AppConfig


class EnforcementConfig(AppConfig):
    name = "enforcement"

    def ready(self):
        # The program's own answer to "who confirms, who dismisses" (its enforcement
        # settings), for the kernel's authorization table.
        from core import authz

        from .services import policy

        authz.register_hook("confirm_roles", policy.confirm_roles)
        authz.register_hook("confirm_roles:many", policy.confirm_roles_many)
        authz.register_hook("dismiss_roles", policy.dismiss_roles)
