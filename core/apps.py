from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The kernel: tenancy, roles, the audit chain, uploads, PDF rendering, base views.

    It imports no feature app (tests/infra/test_architecture.py checks the import graph).
    """

    name = "core"
    # The app label it had when the kernel was the ``wsr`` app: migrations, table names
    # (wsr_auditevent, ...), content types and permissions are keyed by the label, so an
    # existing database carries on unchanged.
    label = "wsr"
    verbose_name = "WSR Platform kernel"
