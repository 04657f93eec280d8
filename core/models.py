"""Cross-cutting models: the tenant-owned base and the append-only audit log."""

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import F, Q

# Events about complaint cases (object types of the complaints app) do not change the
# public register; see the partial index on AuditEvent and disclosure.selectors.
REGISTER_EXCLUDED_PREFIX = "complaints."


def get_tenant_model():
    """The Program model (settings.TENANT_MODEL)."""
    return apps.get_model(settings.TENANT_MODEL, require_ready=False)


def get_membership_model():
    """The Membership model (settings.MEMBERSHIP_MODEL): the only source of access."""
    return apps.get_model(settings.MEMBERSHIP_MODEL, require_ready=False)


class ProgramOwned(models.Model):
    """Base for every tenant-owned table.

    Each row carries a direct ``program`` foreign key, even when a parent row already
    implies it, so that scoping a query never depends on a join.
    """

    program = models.ForeignKey(settings.TENANT_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True


class AuditEvent(models.Model):
    """One entry of a program's tamper-evident audit log.

    Append-only: a database trigger (migration 0002) refuses UPDATE and DELETE. Each row
    is chained to the previous row of the same program by SHA-256 over the previous hash
    and the row's canonical JSON, so an edit made behind the trigger's back is detected by
    ``manage.py verify_audit_chain``. Rows without a program form the platform chain.
    """

    program = models.ForeignKey(
        settings.TENANT_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    seq = models.PositiveBigIntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    verb = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["program_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["program", "seq"], name="auditevent_program_seq"),
            models.UniqueConstraint(
                fields=["seq"],
                condition=models.Q(program__isnull=True),
                name="auditevent_platform_seq",
            ),
        ]
        indexes = [
            models.Index(fields=["program", "object_type", "object_id"]),
            models.Index(fields=["program", "verb"]),
            # The public register's data version: the latest event that is not about a
            # complaint case (disclosure.selectors.data_version). Intake writes an event
            # per submission; without this the lookup would walk back over all of them.
            models.Index(
                F("program"),
                F("seq").desc(),
                condition=~Q(object_type__startswith=REGISTER_EXCLUDED_PREFIX),
                name="auditevent_register_seq",
            ),
        ]

    def __str__(self):
        return f"{self.verb} {self.object_type}:{self.object_id}"
