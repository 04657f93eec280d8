"""Complaints: intake (public and hotline), receipt codes, the case file, SLA clocks.

Complainants risk retaliation. What identifies them (name, contact) is encrypted at rest
(``identity_ciphertext``, see complaints/crypto.py) and purged after the retention
period; the receipt code is never stored, only its HMAC; nothing here holds an address.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from core.models import ProgramOwned
from programs.models import Category, Severity


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    HOTLINE = "hotline", _("Hotline")
    IN_PERSON = "in_person", _("In person")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    VOICE = "voice", _("Voice message")


STAFF_CHANNELS = [c for c in Channel if c not in (Channel.WEB, Channel.VOICE)]
# What the worker channels (complaints/channels/) file by themselves, as the system.
WORKER_CHANNELS = (Channel.SMS, Channel.WHATSAPP, Channel.VOICE)


class CaseStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    TRIAGED = "triaged", _("Triaged")
    INVESTIGATING = "investigating", _("Investigating")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (CaseStatus.RECEIVED, CaseStatus.TRIAGED, CaseStatus.INVESTIGATING)

# Legal status changes; services refuse anything else with IllegalTransition (409).
# received/triaged → resolved exists for withdrawn or referred complaints only (checked
# by the service); resolved/closed → investigating is a reopen and needs a reason.
CASE_TRANSITIONS = {
    CaseStatus.RECEIVED: {CaseStatus.TRIAGED, CaseStatus.RESOLVED},
    CaseStatus.TRIAGED: {CaseStatus.INVESTIGATING, CaseStatus.RESOLVED},
    CaseStatus.INVESTIGATING: {CaseStatus.RESOLVED},
    CaseStatus.RESOLVED: {CaseStatus.CLOSED, CaseStatus.INVESTIGATING},
    CaseStatus.CLOSED: {CaseStatus.INVESTIGATING},
}


class Outcome(models.TextChoices):
    SUBSTANTIATED = "substantiated", _("Substantiated")
    NOT_SUBSTANTIATED = "not_substantiated", _("Not substantiated")
    REFERRED = "referred", _("Referred")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Outcomes that may end a case before any investigation started.
EARLY_OUTCOMES = {Outcome.REFERRED, Outcome.WITHDRAWN}


class Priority(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")


# Clock defaults (hours to acknowledge, hours to triage, days to resolve) per priority;
# a program overrides them in its ComplaintPolicy.
DEFAULT_CLOCKS = {
    Priority.URGENT: {"ack_hours": 24, "triage_hours": 48, "resolution_days": 14},
    Priority.HIGH: {"ack_hours": 48, "triage_hours": 120, "resolution_days": 30},
    Priority.NORMAL: {"ack_hours": 72, "triage_hours": 168, "resolution_days": 60},
}
DEFAULT_IDENTITY_RETENTION_DAYS = 180
DEFAULT_PUBLIC_THRESHOLD = 5

# Categories whose allegations are zero tolerance: they make a case urgent on intake.
URGENT_CATEGORIES = {
    Category.FORCED_LABOR,
    Category.CHILD_LABOR,
    Category.VIOLENCE,
    Category.SEXUAL_HARASSMENT,
    Category.RETALIATION,
}


class ComplaintPolicy(ProgramOwned):
    """A program's clocks and identity retention (one row per program, optional)."""

    clocks = models.JSONField(default=dict, blank=True)
    identity_retention_days = models.PositiveIntegerField(default=DEFAULT_IDENTITY_RETENTION_DAYS)
    # Identity custody (complaints/custody.py): when on, a member other than an admin sees
    # a complainant's identity only after one of the custodians approved their request.
    identity_requires_custodian = models.BooleanField(default=False)
    identity_custodians = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+"
    )
    # Retaliation watch (complaints/channels/checkins.py): days after closure on which a
    # worker who filed by SMS or WhatsApp is asked whether they faced retaliation, e.g.
    # [30, 90]. Empty: no check-ins (a message can endanger a worker whose phone is
    # seen by others, so the program chooses).
    retaliation_checkin_days = models.JSONField(default=list, blank=True)
    # Small-number suppression on the public page and open data: a month's or a
    # facility's count of complaints from 1 to this minus one is published as "fewer
    # than N", so no worker is identifiable (disclosure/policy.py).
    public_count_threshold = models.PositiveSmallIntegerField(default=DEFAULT_PUBLIC_THRESHOLD)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "complaint policies"
        constraints = [
            models.UniqueConstraint(fields=["program"], name="complaintpolicy_one_per_program")
        ]

    def clock_for(self, priority):
        clock = dict(DEFAULT_CLOCKS[priority])
        clock.update((self.clocks or {}).get(priority, {}))
        return clock


class IntakeNotice(ProgramOwned):
    """How far the program's staff have been told of new complaints: the highest case
    number already in a "new complaint" mail (one row per program; see notices.py)."""

    notified_through = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program"], name="intakenotice_one_per_program")
        ]


class Case(ProgramOwned):
    # Public case number (per program); the disclosure log shows it. Not the receipt code.
    number = models.PositiveIntegerField()
    reference = models.CharField(max_length=20)
    # HMAC-SHA256 of the 16-digit receipt code (settings.RECEIPT_CODE_HMAC_KEY).
    receipt_hash = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.WEB)
    status = models.CharField(
        max_length=20, choices=CaseStatus.choices, default=CaseStatus.RECEIVED
    )
    outcome = models.CharField(max_length=30, choices=Outcome.choices, blank=True)
    outcome_summary = models.TextField(blank=True)
    category = models.CharField(max_length=30, choices=Category.choices, default=Category.OTHER)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    facility = models.ForeignKey(
        "programs.Facility", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    facility_description = models.CharField(max_length=300, blank=True)
    supplier = models.ForeignKey(
        "programs.Supplier", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    narrative = models.TextField()
    occurred = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=10, default="en")
    is_anonymous = models.BooleanField(default=True)
    # Fernet token of a JSON object {name, phone, email, other}; "" when none or purged.
    identity_ciphertext = models.TextField(blank=True)
    identity_purged_at = models.DateTimeField(null=True, blank=True)
    is_retaliation = models.BooleanField(default=False)
    retaliation_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="retaliation_cases"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    triaged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    ack_due = models.DateTimeField()
    triage_due = models.DateTimeField()
    resolution_due = models.DateTimeField()
    last_reminder_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at"]
        permissions = [
            ("investigate_case", "Work on the case file"),
            ("view_complainant_identity", "See the complainant's identity"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["program", "number"], name="case_program_number"),
            models.CheckConstraint(
                condition=Q(outcome="") | Q(status__in=["resolved", "closed"]),
                name="case_outcome_only_when_resolved",
            ),
            models.CheckConstraint(
                condition=~Q(retaliation_of=models.F("id")), name="case_not_retaliation_of_self"
            ),
        ]
        indexes = [
            models.Index(fields=["program", "status", "received_at"]),
            models.Index(fields=["program", "assigned_to"]),
            models.Index(fields=["status", "resolution_due"]),
            # The staff case list's order: page 1 reads 25 index entries instead of
            # sorting every case of the program.
            models.Index(
                fields=["program", "-received_at", "-id"], name="case_program_received_desc"
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def has_identity(self):
        return bool(self.identity_ciphertext)


class CaseUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class CaseProvision(ProgramOwned):
    """A code provision the complaint alleges was broken (set at triage)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="case_provisions")
    provision = models.ForeignKey("programs.Provision", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "provision"], name="caseprovision_unique")
        ]


class Note(ProgramOwned):
    """Internal note on the case file; never shown to the complainant."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class Direction(models.TextChoices):
    FROM_WORKER = "from_worker", _("From the worker")
    TO_WORKER = "to_worker", _("To the worker")


class Message(ProgramOwned):
    """The two-way thread with the complainant (seen on the public status page)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=20, choices=Direction.choices)
    # The staff author of a message to the worker; null for the worker's own messages.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


def evidence_path(instance, filename):
    # The stored name never carries the uploader's file name (it can identify them).
    return f"complaints/{instance.program_id}/{instance.case_id}/{filename}"


class Evidence(ProgramOwned):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="evidence")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    file = models.FileField(upload_to=evidence_path, max_length=300)
    content_type = models.CharField(max_length=60)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(max_length=300, blank=True)
    from_worker = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "evidence"


class Interview(ProgramOwned):
    class Kind(models.TextChoices):
        COMPLAINANT = "complainant", _("Complainant")
        WITNESS = "witness", _("Witness")
        SUPERVISOR = "supervisor", _("Supervisor")
        MANAGEMENT = "management", _("Management")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="interviews")
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    conducted_on = models.DateField()
    language = models.CharField(max_length=10, blank=True)
    summary = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["conducted_on", "id"]


class Finding(ProgramOwned):
    """A fact established by the investigation against a code provision.

    A substantiated finding is what enforcement turns into a violation:
    ``finding_refer`` proposes it and links the violation here.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="findings")
    provision = models.ForeignKey("programs.Provision", on_delete=models.PROTECT, related_name="+")
    facility = models.ForeignKey(
        "programs.Facility", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    facts = models.TextField()
    severity = models.CharField(max_length=20, choices=Severity.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    violation = models.ForeignKey(
        "enforcement.Violation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaint_findings",
    )
    referred_at = models.DateTimeField(null=True, blank=True)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.case_id}: {self.provision_id}"


class RevealStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a custodian")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")


class IdentityRevealRequest(ProgramOwned):
    """A member's request to see a complainant's identity, decided by a custodian of the
    program who is not the requester (GlobaLeaks' identity custodian)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reveal_requests")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    status = models.CharField(
        max_length=10, choices=RevealStatus.choices, default=RevealStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One open request per member and case.
            models.UniqueConstraint(
                fields=["case", "requester"],
                condition=models.Q(status="pending"),
                name="revealrequest_one_pending",
            )
        ]


# The worker channels' tables (complaints/channels/models.py), registered in this app.
from complaints.channels.models import (  # noqa: E402, F401
    ChannelConfig,
    ChannelContact,
    ChannelMessage,
    RetaliationCheckIn,
)
