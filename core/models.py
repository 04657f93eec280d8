"""Cross-cutting models: the tenant-owned base and the append-only audit log."""

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.scoping import tenant_manager

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

    # Scoped to the active program (core/scoping.py) when TENANT_SCOPES_ENFORCED.
    objects = tenant_manager()

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


# ---------------------------------------------------------------- notification outbox


class NotificationKind(models.TextChoices):
    """Every mail the platform sends. A template pair per kind lives under
    ``templates/mail/`` (``<kind>.subject.txt`` and ``<kind>.txt``)."""

    CONSEQUENCE_BUYER = "consequence_buyer", "Consequence: buyer obligation"
    CONSEQUENCE_STAFF = "consequence_staff", "Consequence: staff summary"
    TERMINATION = "termination", "Escalation reached termination"
    OBLIGATION_REMINDER = "obligation_reminder", "Obligation deadline reminder"
    OBLIGATION_DIGEST = "obligation_digest", "Daily obligation digest"
    OBLIGATION_REJECTED = "obligation_rejected", "Obligation attestation rejected"
    MEMBERSHIP_INVITE = "membership_invite", "Invitation to a program"
    COMPLAINTS_RECEIVED = "complaints_received", "New complaints"
    CASE_ASSIGNED = "case_assigned", "Case assigned"
    CASE_OVERDUE = "case_overdue", "Case overdue"


class NotificationState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Notification(models.Model):
    """One mail to one recipient: the outbox (core/notifications.py).

    Written by the service that makes the change the mail reports, in the same
    transaction, so a committed change always has its mail waiting; a worker claims and
    sends it and marks it sent. ``(kind, object, key, recipient)`` is unique: a second
    mail about the same thing to the same person cannot be recorded, whatever the
    redelivery. ``key`` tells apart mails about one object that are meant to repeat (a
    reminder's threshold, a digest's day, a notice's watermark).
    """

    program = models.ForeignKey(
        "programs.Program", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    address = models.EmailField()
    kind = models.CharField(max_length=40, choices=NotificationKind.choices)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    key = models.CharField(max_length=64, blank=True, default="")
    context = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=10, default="en")
    state = models.CharField(
        max_length=10, choices=NotificationState.choices, default=NotificationState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When a sender claimed it (state sending): past the lease, another sender may retry.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Earliest next attempt after a failed send (backoff).
    not_before = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_type", "object_id", "key", "recipient"],
                name="notification_once_per_recipient",
            ),
        ]
        indexes = [
            # The senders' and the sweep's scan: only unsent rows, which stay few.
            models.Index(
                fields=["state", "id"],
                condition=Q(state__in=["pending", "sending"]),
                name="notification_unsent",
            ),
            models.Index(fields=["kind", "object_type", "object_id"]),
        ]

    def __str__(self):
        return f"{self.kind} {self.object_type}:{self.object_id} to {self.address}"


class NotificationDelivery(models.TextChoices):
    IMMEDIATE = "immediate", "A reminder for each obligation as its deadline nears"
    DIGEST = "digest", "One daily digest of all my open obligations"


class NotificationPreference(models.Model):
    """A user's mail preferences: how buyer-portal reminders arrive, and the language of
    the mails (blank: the program's first language, else English)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    delivery = models.CharField(
        max_length=10, choices=NotificationDelivery.choices, default=NotificationDelivery.IMMEDIATE
    )
    language = models.CharField(max_length=10, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.user}: {self.delivery}"


class ExportJobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


class ExportJobKind(models.TextChoices):
    """What a job builds (exports/jobs.py ``KINDS`` maps each to its builder)."""

    PROGRAM_EXPORT = "program_export", "Program export (zip)"
    OBLIGATIONS_STATEMENT = "obligations_statement", "Obligations statement (PDF)"


class ExportJob(ProgramOwned):
    """A long output built by a Celery worker instead of inside the web request (the
    program export, a buyer officer's obligations statement); the requester downloads it
    when ready (exports/jobs.py). Only its requester can download it, while they may
    still see what it holds, and it is deleted after ``EXPORT_JOB_KEEP``.

    ``program`` is empty for an obligations statement: it spans the officer's programs
    (``params["pairs"]``: the (program, buyer) pairs it was built for)."""

    program = models.ForeignKey(
        settings.TENANT_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    id = models.UUIDField(primary_key=True)  # not guessable: it is in the status URL
    kind = models.CharField(
        max_length=30, choices=ExportJobKind.choices, default=ExportJobKind.PROGRAM_EXPORT
    )
    params = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    include_identity = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=ExportJobStatus.choices, default=ExportJobStatus.QUEUED
    )
    file = models.FileField(upload_to="exports/", blank=True)
    size = models.PositiveBigIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="program_export") | models.Q(program__isnull=False),
                name="exportjob_program_export_has_program",
            )
        ]

    def __str__(self):
        return f"Export {self.pk} ({self.status})"
