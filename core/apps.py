from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The kernel: tenancy, roles, the audit chain, uploads, PDF rendering, base views.

    It imports no feature app (tests/infra/test_architecture.py checks the import graph).
    """

    name = "core"
    verbose_name = "WSR Platform kernel"
