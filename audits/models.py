"""Audits, findings, corrective action plans (CAPs), worker education and reports."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from core.jsonshapes import JSONShapeValidator
from core.models import ProgramOwned
from programs.models import Severity

DEFAULT_DOCUMENT_CHECKLIST = [
    "Payroll records",
    "Time records",
    "Employment contracts",
    "Premium pass-through paystubs",
    "Health and safety logs",
    "Complaint and discipline records",
]
# days overdue → escalation stage (Accord: notice, warning, termination).
DEFAULT_ESCALATION_POLICY = [
    {"days_overdue": 1, "stage": 1},
    {"days_overdue": 30, "stage": 2},
    {"days_overdue": 90, "stage": 3},
]


class AuditPolicy(ProgramOwned):
    """A program's audit settings (one row per program, created on first use)."""

    # The Fair Food Program interviews a majority of the workers on each farm.
    min_interview_coverage = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.5"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    document_checklist = models.JSONField(
        default=list, blank=True, validators=[JSONShapeValidator("document_checklist")]
    )
    escalation_policy = models.JSONField(
        default=list, blank=True, validators=[JSONShapeValidator("escalation_policy")]
    )
    # Month the worker-education season starts (1 = calendar year; 10 = Oct–Sep harvest).
    season_start_month = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )

    class Meta:
        verbose_name_plural = "audit policies"
        constraints = [models.UniqueConstraint(fields=["program"], name="auditpolicy_one")]

    def __str__(self):
        return f"Audit policy of program {self.program_id}"

    def escalation_thresholds(self):
        """[(days_overdue, stage)] sorted by days."""
        rows = []
        for row in self.escalation_policy or []:
            rows.append((int(row["days_overdue"]), int(row["stage"])))
        return sorted(rows)


class AuditType(models.TextChoices):
    INITIAL = "initial", _("Initial")
    PERIODIC = "periodic", _("Periodic")
    FOLLOW_UP = "follow_up", _("Follow-up")
    UNANNOUNCED = "unannounced", _("Unannounced")
    COMPLAINT_DRIVEN = "complaint_driven", _("Complaint-driven")


class AuditStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    FIELDWORK = "fieldwork", _("Fieldwork")
    DRAFT_REPORT = "draft_report", _("Draft report")
    FINAL = "final", _("Final")


AUDIT_TRANSITIONS = {
    AuditStatus.PLANNED: {AuditStatus.FIELDWORK},
    AuditStatus.FIELDWORK: {AuditStatus.DRAFT_REPORT},
    # A draft can go back to fieldwork when the review asks for more interviews.
    AuditStatus.DRAFT_REPORT: {AuditStatus.FINAL, AuditStatus.FIELDWORK},
    AuditStatus.FINAL: set(),
}


class Audit(ProgramOwned):
    facility = models.ForeignKey(
        "programs.Facility", on_delete=models.PROTECT, related_name="audits"
    )
    audit_type = models.CharField(max_length=20, choices=AuditType.choices)
    status = models.CharField(
        max_length=20, choices=AuditStatus.choices, default=AuditStatus.PLANNED
    )
    scheduled_date = models.DateField()
    actual_start = models.DateField(null=True, blank=True)
    actual_end = models.DateField(null=True, blank=True)
    lead_auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    workforce_size = models.PositiveIntegerField(null=True, blank=True)
    workers_interviewed = models.PositiveIntegerField(default=0)
    management_interviewed = models.PositiveIntegerField(default=0)
    documents_reviewed = models.JSONField(
        default=list, blank=True, validators=[JSONShapeValidator("documents_reviewed")]
    )
    coverage_justification = models.TextField(blank=True)
    summary = models.TextField(blank=True)
    finalized_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-scheduled_date", "-pk"]
        indexes = [
            models.Index(fields=["program", "status", "scheduled_date"]),
            models.Index(fields=["program", "facility", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(actual_end__isnull=True)
                | Q(actual_start__isnull=True)
                | Q(actual_end__gte=models.F("actual_start")),
                name="audit_dates_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.get_audit_type_display()} audit of {self.facility} ({self.scheduled_date})"

    @property
    def coverage(self):
        """Workers interviewed / workforce on the day (None when workforce is unknown)."""
        if not self.workforce_size:
            return None
        return self.workers_interviewed / self.workforce_size


class AuditUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Audit, on_delete=models.CASCADE)


class AuditGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Audit, on_delete=models.CASCADE)


class ReferralStatus(models.TextChoices):
    NONE = "", _("Not referred")
    SENT = "sent", _("Proposed as violation")


class Finding(ProgramOwned):
    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="findings")
    facility = models.ForeignKey("programs.Facility", on_delete=models.PROTECT, related_name="+")
    provision = models.ForeignKey("programs.Provision", on_delete=models.PROTECT, related_name="+")
    severity = models.CharField(max_length=20, choices=Severity.choices)
    facts = models.TextField()
    violation_candidate = models.BooleanField(default=False)
    referral_status = models.CharField(
        max_length=10, choices=ReferralStatus.choices, default="", blank=True
    )
    violation = models.ForeignKey(
        "enforcement.Violation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_findings",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["audit_id", "provision__number", "pk"]
        indexes = [models.Index(fields=["program", "facility"])]

    def __str__(self):
        return f"Finding {self.pk} against {self.provision_id}"


class CorrectiveActionPlan(ProgramOwned):
    """The facility's CAP (one per facility, as in the Accord); items accumulate."""

    facility = models.ForeignKey("programs.Facility", on_delete=models.PROTECT, related_name="caps")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["facility__name"]
        constraints = [models.UniqueConstraint(fields=["facility"], name="cap_one_per_facility")]

    def __str__(self):
        return f"CAP of {self.facility}"


class CAPItemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    REPORTED_DONE = "reported_done", _("Reported done")
    VERIFIED = "verified", _("Verified")
    OVERDUE = "overdue", _("Overdue")


CAP_ITEM_TRANSITIONS = {
    CAPItemStatus.OPEN: {
        CAPItemStatus.IN_PROGRESS,
        CAPItemStatus.REPORTED_DONE,
        CAPItemStatus.OVERDUE,
    },
    CAPItemStatus.IN_PROGRESS: {CAPItemStatus.REPORTED_DONE, CAPItemStatus.OVERDUE},
    # Verification can reject a report: the item goes back to work.
    CAPItemStatus.REPORTED_DONE: {CAPItemStatus.VERIFIED, CAPItemStatus.IN_PROGRESS},
    CAPItemStatus.OVERDUE: {CAPItemStatus.IN_PROGRESS, CAPItemStatus.REPORTED_DONE},
    CAPItemStatus.VERIFIED: set(),
}
# Statuses the overdue job may move to "overdue" once the deadline has passed.
OVERDUE_FROM = (CAPItemStatus.OPEN, CAPItemStatus.IN_PROGRESS)


class SourceKind(models.TextChoices):
    AUDIT_FINDING = "audit_finding", _("Audit finding")
    COMPLAINT_FINDING = "complaint_finding", _("Complaint finding")
    OTHER = "other", _("Other")


class CAPItem(ProgramOwned):
    cap = models.ForeignKey(CorrectiveActionPlan, on_delete=models.PROTECT, related_name="items")
    facility = models.ForeignKey("programs.Facility", on_delete=models.PROTECT, related_name="+")
    finding = models.ForeignKey(
        Finding, null=True, blank=True, on_delete=models.PROTECT, related_name="cap_items"
    )
    source_kind = models.CharField(
        max_length=20, choices=SourceKind.choices, default=SourceKind.AUDIT_FINDING
    )
    source_ref = models.CharField(max_length=64, blank=True)
    observation = models.TextField()
    recommendation = models.TextField()
    deadline = models.DateField()
    responsible_party = models.CharField(max_length=200)
    planned_completion_date = models.DateField(null=True, blank=True)
    # Denormalized current status; the history rows are the record.
    status = models.CharField(
        max_length=20, choices=CAPItemStatus.choices, default=CAPItemStatus.OPEN
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["deadline", "pk"]
        indexes = [
            models.Index(fields=["program", "status", "deadline"]),
            models.Index(fields=["program", "facility"]),
            # The CAP list's order: its page's ids from this index, not a sort of every
            # item of the program (26,649 at the bench's large scale).
            models.Index(fields=["program", "deadline", "id"], name="capitem_program_deadline_id"),
        ]

    def __str__(self):
        return f"CAP item {self.pk}: {self.observation[:40]}"


class CAPItemStatusChange(ProgramOwned):
    """Append-only history of a CAP item's status (first row: creation, from '')."""

    item = models.ForeignKey(CAPItem, on_delete=models.PROTECT, related_name="history")
    facility = models.ForeignKey("programs.Facility", on_delete=models.PROTECT, related_name="+")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, choices=CAPItemStatus.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["program", "to_status", "at"]),
            models.Index(fields=["program", "facility", "at"]),
        ]
        constraints = [
            # Verified is terminal: at most one such row per item.
            models.UniqueConstraint(
                fields=["item"], condition=Q(to_status="verified"), name="capitem_verified_once"
            ),
        ]

    def __str__(self):
        return f"{self.item_id}: {self.from_status or '∅'} → {self.to_status}"


class CAPItemComment(ProgramOwned):
    item = models.ForeignKey(CAPItem, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]


class CAPEscalationRequest(ProgramOwned):
    """One escalation step owed because an item crossed a policy threshold.

    The unique constraint makes a second request for the same (item, threshold)
    impossible; ``sent_at`` is set in the same transaction as the call to enforcement,
    so the call happens once even if enforcement was not installed when it was owed.
    """

    item = models.ForeignKey(CAPItem, on_delete=models.PROTECT, related_name="escalations")
    supplier = models.ForeignKey("programs.Supplier", on_delete=models.PROTECT, related_name="+")
    facility = models.ForeignKey("programs.Facility", on_delete=models.PROTECT, related_name="+")
    days_overdue = models.PositiveIntegerField()
    stage = models.PositiveSmallIntegerField()
    requested_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    result_ref = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["item", "days_overdue"], name="capescalation_once"),
        ]


def evidence_path(instance, filename):
    # Never the uploader's file name on disk: it may carry a worker's name.
    return f"audits/{instance.program_id}/evidence/{instance.sha256[:2]}/{instance.sha256}"


class EvidenceFile(ProgramOwned):
    """A private file attached to a finding or a CAP item (served by an access-checked view)."""

    finding = models.ForeignKey(
        Finding, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence"
    )
    cap_item = models.ForeignKey(
        CAPItem, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence"
    )
    file = models.FileField(upload_to=evidence_path)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(finding__isnull=False) & Q(cap_item__isnull=True))
                | (Q(finding__isnull=True) & Q(cap_item__isnull=False)),
                name="evidence_one_parent",
            ),
        ]

    def __str__(self):
        return self.original_name


class EducationSession(ProgramOwned):
    facility = models.ForeignKey(
        "programs.Facility", on_delete=models.PROTECT, related_name="education_sessions"
    )
    date = models.DateField()
    language = models.CharField(max_length=10)
    educator = models.CharField(max_length=200)
    attendance_count = models.PositiveIntegerField()
    topics = models.JSONField(
        default=list,
        blank=True,
        help_text=_("code sections covered"),
        validators=[JSONShapeValidator("topics")],
    )
    materials = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["program", "facility", "date"])]

    def __str__(self):
        return f"Education at {self.facility} on {self.date}"


class ReportKind(models.TextChoices):
    AUDIT = "audit", _("Audit report")
    CAP_PROGRESS = "cap_progress", _("Program CAP progress")


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RENDERING = "rendering", _("Rendering")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


def report_path(instance, filename):
    return f"audits/{instance.program_id}/reports/{instance.pk}-{filename}"


class Report(ProgramOwned):
    kind = models.CharField(max_length=20, choices=ReportKind.choices)
    audit = models.ForeignKey(
        Audit, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    status = models.CharField(
        max_length=20, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    file = models.FileField(upload_to=report_path, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="audit") & Q(audit__isnull=False))
                | (Q(kind="cap_progress") & Q(audit__isnull=True)),
                name="report_audit_iff_audit_kind",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"

    @property
    def filename(self):
        if self.kind == ReportKind.AUDIT:
            return f"audit-{self.audit_id}-report.pdf"
        return f"cap-progress-{self.created_at:%Y%m%d}.pdf"
