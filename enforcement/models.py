"""Enforcement: violations, the consequence ladder, supplier standing, sanctions, buyer
obligations and the premium ledger.

Other apps' records (complaint findings, audit findings) are referenced by a string id in
``source_kind``/``source_ref``, never by foreign key, so each app migrates on its own.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.jsonshapes import JSONShapeValidator
from core.models import ProgramOwned
from core.roles import Role
from programs.models import Severity

# ---------------------------------------------------------------- settings


def default_approval_stages():
    # Termination ends every buyer's business with the supplier: by default no job
    # reaches it on its own (DESIGN.md §5).
    return [3]


class EnforcementSettings(ProgramOwned):
    """Per-program knobs of enforcement (one row per program, created on first use)."""

    # Roles allowed to confirm a violation (and so trigger the ladder). Admin by default.
    confirm_roles = models.JSONField(
        default=list, blank=True, validators=[JSONShapeValidator("confirm_roles")]
    )
    # A premium shortfall larger than this share of what was due opens a violation.
    premium_tolerance_percent = models.DecimalField(max_digits=5, decimal_places=2, default=5)
    # ...and larger than this absolute amount (both must be exceeded).
    premium_tolerance_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    # Days an overdue obligation may stay overdue before it is a breach of agreement.
    breach_grace_days = models.PositiveIntegerField(default=14)
    # Escalation stages (1 notice, 2 warning, 3 termination) that a job (CAP
    # escalation) may only propose: a member holding a confirm role approves them.
    approval_stages = models.JSONField(
        default=default_approval_stages,
        blank=True,
        validators=[JSONShapeValidator("approval_stages")],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "enforcement settings"
        constraints = [
            models.UniqueConstraint(fields=["program"], name="enforcementsettings_one_per_program")
        ]

    def __str__(self):
        return f"Enforcement settings of program {self.program_id}"

    def allowed_confirm_roles(self):
        return set(self.confirm_roles or []) | {Role.ADMIN}


# ---------------------------------------------------------------- consequence policy


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RATIFIED = "ratified", _("Ratified")
    SUPERSEDED = "superseded", _("Superseded")


POLICY_TRANSITIONS = {
    PolicyStatus.DRAFT: {PolicyStatus.RATIFIED},
    PolicyStatus.RATIFIED: {PolicyStatus.SUPERSEDED},
    PolicyStatus.SUPERSEDED: set(),
}


class ConsequencePolicy(ProgramOwned):
    """One version of a program's consequence ladder. Versioned like the code: a draft is
    edited, ratified, and superseded by the next ratified version. Sanctions record the
    version they applied."""

    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200, default="Consequence ladder")
    status = models.CharField(
        max_length=20, choices=PolicyStatus.choices, default=PolicyStatus.DRAFT
    )
    notes = models.TextField(blank=True)
    effective_date = models.DateField(null=True, blank=True)
    ratified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ratified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["program_id", "-number"]
        verbose_name_plural = "consequence policies"
        constraints = [
            models.UniqueConstraint(fields=["program", "number"], name="policy_program_number"),
            models.UniqueConstraint(
                fields=["program"], condition=Q(status="draft"), name="policy_one_draft"
            ),
            models.UniqueConstraint(
                fields=["program"], condition=Q(status="ratified"), name="policy_one_ratified"
            ),
        ]

    def __str__(self):
        return f"{self.title} v{self.number} ({self.status})"


class SupplierAction(models.TextChoices):
    CAP_REQUIRED = "cap_required", _("Corrective action plan required")
    PROBATION = "probation", _("Probation")
    SUSPENSION = "suspension", _("Suspension")
    TERMINATION = "termination", _("Termination")


class BuyerObligationKind(models.TextChoices):
    NONE = "none", _("None")
    NOTIFY = "notify", _("Acknowledge the notice")
    SUSPEND_PURCHASES = "suspend_purchases", _("Suspend purchases")
    END_RELATIONSHIP = "end_relationship", _("End the business relationship")


class ConsequenceRule(ProgramOwned):
    """One rung of the ladder: (severity, repeat count within a window) → actions.

    A violation's repeat count is the number of confirmed violations of the same severity
    at the same supplier within ``window_days`` before it, itself included. Of the rules
    for its severity whose count is reached, the one with the highest ``repeat_count``
    applies.
    """

    policy = models.ForeignKey(ConsequencePolicy, on_delete=models.CASCADE, related_name="rules")
    severity = models.CharField(max_length=20, choices=Severity.choices)
    repeat_count = models.PositiveIntegerField(default=1)
    window_days = models.PositiveIntegerField(default=365)
    supplier_action = models.CharField(max_length=20, choices=SupplierAction.choices)
    cap_required = models.BooleanField(default=True)
    suspension_days = models.PositiveIntegerField(default=0)
    # Accord-style escalation stage the supplier is raised to (never lowered): 0-3.
    escalation_stage = models.PositiveSmallIntegerField(default=0)
    buyer_obligation = models.CharField(
        max_length=20, choices=BuyerObligationKind.choices, default=BuyerObligationKind.NONE
    )
    obligation_days = models.PositiveIntegerField(default=14)

    class Meta:
        ordering = ["policy_id", "severity", "repeat_count"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "severity", "repeat_count"], name="rule_policy_severity_repeat"
            ),
            models.CheckConstraint(
                condition=Q(repeat_count__gte=1), name="rule_repeat_count_positive"
            ),
            models.CheckConstraint(condition=Q(escalation_stage__lte=3), name="rule_stage_max_3"),
            models.CheckConstraint(
                condition=~Q(supplier_action="suspension") | Q(suspension_days__gte=1),
                name="rule_suspension_has_days",
            ),
        ]

    def __str__(self):
        return f"{self.severity} ×{self.repeat_count}/{self.window_days}d → {self.supplier_action}"

    def describe(self):
        parts = [self.get_supplier_action_display()]
        if self.supplier_action == SupplierAction.SUSPENSION:
            parts[0] = f"Suspension for {self.suspension_days} days"
        if self.cap_required and self.supplier_action != SupplierAction.CAP_REQUIRED:
            parts.append("corrective action plan")
        if self.escalation_stage:
            parts.append(f"escalation stage {self.escalation_stage}")
        if self.buyer_obligation != BuyerObligationKind.NONE:
            parts.append(
                f"buyers: {self.get_buyer_obligation_display().lower()} "
                f"within {self.obligation_days} days"
            )
        return "; ".join(parts)


class AgreementPolicy(ProgramOwned):
    """The policy version a buyer agreement's consequence clause refers to."""

    agreement = models.OneToOneField(
        "programs.Agreement", on_delete=models.CASCADE, related_name="enforcement_policy"
    )
    policy = models.ForeignKey(ConsequencePolicy, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.agreement_id} → policy v{self.policy_id}"


# ---------------------------------------------------------------- violations


class SourceKind(models.TextChoices):
    COMPLAINT_FINDING = "complaint_finding", _("Complaint finding")
    AUDIT_FINDING = "audit_finding", _("Audit finding")
    PREMIUM_SHORTFALL = "premium_shortfall", _("Premium shortfall")
    MANUAL = "manual", _("Manual")


class ViolationState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    CONFIRMED = "confirmed", _("Confirmed")
    CONSEQUENCES_APPLIED = "consequences_applied", _("Consequences applied")
    REMEDIATED = "remediated", _("Remediated")
    DISMISSED = "dismissed", _("Dismissed")


VIOLATION_TRANSITIONS = {
    ViolationState.PROPOSED: {ViolationState.CONFIRMED, ViolationState.DISMISSED},
    ViolationState.CONFIRMED: {ViolationState.CONSEQUENCES_APPLIED},
    ViolationState.CONSEQUENCES_APPLIED: {ViolationState.REMEDIATED},
    ViolationState.REMEDIATED: set(),
    ViolationState.DISMISSED: set(),
}


class Violation(ProgramOwned):
    supplier = models.ForeignKey(
        "programs.Supplier", on_delete=models.PROTECT, related_name="violations"
    )
    facility = models.ForeignKey(
        "programs.Facility",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="violations",
    )
    provision = models.ForeignKey(
        "programs.Provision", on_delete=models.PROTECT, related_name="violations"
    )
    severity = models.CharField(max_length=20, choices=Severity.choices)
    source_kind = models.CharField(max_length=30, choices=SourceKind.choices)
    source_ref = models.CharField(max_length=100)
    summary = models.TextField()
    state = models.CharField(
        max_length=30, choices=ViolationState.choices, default=ViolationState.PROPOSED
    )
    proposed_by_label = models.CharField(max_length=200, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissal_reason = models.TextField(blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    remediated_at = models.DateTimeField(null=True, blank=True)
    remediation_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "source_kind", "source_ref"], name="violation_one_per_source"
            ),
        ]
        indexes = [
            models.Index(fields=["program", "state"]),
            models.Index(fields=["program", "supplier", "severity", "confirmed_at"]),
        ]

    def __str__(self):
        return f"Violation #{self.pk}: {self.provision_id} at supplier {self.supplier_id}"


class OutboxState(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPLIED = "applied", _("Applied")


class ConsequenceApplication(ProgramOwned):
    """The outbox row ``violation_confirm`` commits with the violation. The apply task
    claims it (row lock, WHERE state='pending'); the sweeper re-enqueues stale ones."""

    violation = models.OneToOneField(
        Violation, on_delete=models.PROTECT, related_name="application"
    )
    state = models.CharField(
        max_length=20, choices=OutboxState.choices, default=OutboxState.PENDING
    )
    enqueue_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self):
        return f"Application of violation {self.violation_id} ({self.state})"


# ---------------------------------------------------------------- standing


class Standing(models.TextChoices):
    GOOD = "good", _("Good standing")
    PROBATION = "probation", _("Probation")
    SUSPENDED = "suspended", _("Suspended")
    REINSTATEMENT_REVIEW = "reinstatement_review", _("Reinstatement review")
    TERMINATED = "terminated", _("Terminated")


# How grave each standing is: a sanction never moves a supplier to a lighter one.
STANDING_RANK = {
    Standing.GOOD: 0,
    Standing.PROBATION: 1,
    Standing.REINSTATEMENT_REVIEW: 2,
    Standing.SUSPENDED: 3,
    Standing.TERMINATED: 4,
}

STAGE_LABELS = {0: "None", 1: "Notice", 2: "Warning", 3: "Termination"}


class SupplierStanding(ProgramOwned):
    supplier = models.ForeignKey(
        "programs.Supplier", on_delete=models.PROTECT, related_name="standings"
    )
    standing = models.CharField(max_length=30, choices=Standing.choices, default=Standing.GOOD)
    stage = models.PositiveSmallIntegerField(default=0)
    suspended_since = models.DateField(null=True, blank=True)
    suspended_until = models.DateField(null=True, blank=True)
    terminated_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["supplier_id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "supplier"], name="standing_one_per_supp"),
            models.CheckConstraint(condition=Q(stage__lte=3), name="standing_stage_max_3"),
        ]

    def __str__(self):
        return f"{self.supplier_id}: {self.standing} stage {self.stage}"

    @property
    def stage_label(self):
        return STAGE_LABELS.get(self.stage, str(self.stage))

    @property
    def since(self):
        """Since when the supplier is on the do-not-source list."""
        if self.standing == Standing.TERMINATED:
            return self.terminated_on
        return self.suspended_since


class StandingEventKind(models.TextChoices):
    SANCTION = "sanction", _("Sanction")
    ESCALATION = "escalation", _("Escalation")
    SUSPENSION_ENDED = "suspension_ended", _("Suspension ended")
    REINSTATED = "reinstated", _("Reinstated")


class StandingEvent(ProgramOwned):
    """Append-only history of a supplier's standing. Escalations are unique per source, so
    the same overdue corrective action cannot raise the stage twice."""

    supplier = models.ForeignKey("programs.Supplier", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=30, choices=StandingEventKind.choices)
    from_standing = models.CharField(max_length=30, choices=Standing.choices)
    to_standing = models.CharField(max_length=30, choices=Standing.choices)
    from_stage = models.PositiveSmallIntegerField()
    to_stage = models.PositiveSmallIntegerField()
    suspended_until = models.DateField(null=True, blank=True)
    reason = models.TextField(blank=True)
    source_kind = models.CharField(max_length=30, blank=True)
    source_ref = models.CharField(max_length=100, blank=True)
    actor_label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "source_kind", "source_ref"],
                condition=Q(kind="escalation"),
                name="standingevent_escalation_once",
            ),
        ]
        indexes = [models.Index(fields=["program", "supplier", "created_at"])]

    def __str__(self):
        return f"{self.kind}: {self.from_standing} → {self.to_standing}"


class ProposalState(models.TextChoices):
    PROPOSED = "proposed", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")


class EscalationProposal(ProgramOwned):
    """An escalation stage that ends business, reached by a job (CAP escalation) rather
    than by a person: it waits here until a member holding a confirm role approves or
    declines it, with a reason. Unique per source, like the escalation it stands for."""

    supplier = models.ForeignKey("programs.Supplier", on_delete=models.PROTECT, related_name="+")
    facility = models.ForeignKey(
        "programs.Facility", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.PositiveSmallIntegerField()
    reason = models.TextField()
    source_kind = models.CharField(max_length=30)
    source_ref = models.CharField(max_length=100)
    proposed_by = models.CharField(max_length=200)
    proposed_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(
        max_length=10, choices=ProposalState.choices, default=ProposalState.PROPOSED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "source_kind", "source_ref"], name="escalationproposal_once"
            ),
            models.CheckConstraint(
                condition=Q(to_stage__gte=1, to_stage__lte=3), name="escalationproposal_stage"
            ),
        ]
        indexes = [models.Index(fields=["program", "supplier", "state"])]

    def __str__(self):
        return f"Proposal: supplier {self.supplier_id} to stage {self.to_stage} ({self.state})"

    @property
    def stage_label(self):
        return STAGE_LABELS.get(self.to_stage, str(self.to_stage))


class Sanction(ProgramOwned):
    violation = models.OneToOneField(Violation, on_delete=models.PROTECT, related_name="sanction")
    supplier = models.ForeignKey("programs.Supplier", on_delete=models.PROTECT, related_name="+")
    policy = models.ForeignKey(ConsequencePolicy, on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(
        ConsequenceRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A copy of the rule as applied: the record must hold even if the policy is edited.
    rule_snapshot = models.JSONField(default=dict)
    action = models.CharField(max_length=20, choices=SupplierAction.choices)
    cap_required = models.BooleanField(default=False)
    repeat_count = models.PositiveIntegerField(default=1)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Sanction {self.action} for violation {self.violation_id}"


# ---------------------------------------------------------------- buyer obligations


class ObligationState(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    # The buyer says it is done; the worker organization has not checked yet.
    ATTESTED = "attested", _("Attested, awaiting verification")
    # Verified by the worker organization (before verification existed: attested).
    FULFILLED = "fulfilled", _("Fulfilled")
    OVERDUE = "overdue", _("Overdue")
    BREACHED = "breached", _("Breach of agreement")
    WAIVED = "waived", _("Waived")


OBLIGATION_TRANSITIONS = {
    ObligationState.PENDING: {
        ObligationState.ACKNOWLEDGED,
        ObligationState.ATTESTED,
        ObligationState.OVERDUE,
        ObligationState.WAIVED,
    },
    ObligationState.ACKNOWLEDGED: {
        ObligationState.ATTESTED,
        ObligationState.OVERDUE,
        ObligationState.WAIVED,
    },
    # A late attestation still counts, until the grace period turns it into a breach.
    ObligationState.OVERDUE: {
        ObligationState.ATTESTED,
        ObligationState.BREACHED,
        ObligationState.WAIVED,
    },
    # The buyer's word is checked by the worker organization: verified (fulfilled) or
    # rejected (back to acknowledged, or overdue when past due). The breach clock keeps
    # running meanwhile: an attestation nobody verified by the end of the grace period
    # is a breach like any other unfulfilled obligation.
    ObligationState.ATTESTED: {
        ObligationState.FULFILLED,
        ObligationState.ACKNOWLEDGED,
        ObligationState.OVERDUE,
        ObligationState.BREACHED,
        ObligationState.WAIVED,
    },
    ObligationState.BREACHED: set(),
    ObligationState.FULFILLED: set(),
    ObligationState.WAIVED: set(),
}

OPEN_OBLIGATION_STATES = (
    ObligationState.PENDING,
    ObligationState.ACKNOWLEDGED,
    ObligationState.OVERDUE,
    ObligationState.ATTESTED,
)
# States the buyer can still attest from (and is reminded in).
ATTESTABLE_OBLIGATION_STATES = (
    ObligationState.PENDING,
    ObligationState.ACKNOWLEDGED,
    ObligationState.OVERDUE,
)


def obligation_evidence_path(instance, filename):
    return f"enforcement/{instance.program_id}/obligations/{instance.pk}/{filename}"


class BuyerObligation(ProgramOwned):
    buyer = models.ForeignKey("programs.Buyer", on_delete=models.PROTECT, related_name="+")
    violation = models.ForeignKey(Violation, on_delete=models.PROTECT, related_name="obligations")
    sanction = models.ForeignKey(Sanction, on_delete=models.PROTECT, related_name="obligations")
    supplier = models.ForeignKey("programs.Supplier", on_delete=models.PROTECT, related_name="+")
    agreement = models.ForeignKey(
        "programs.Agreement", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=BuyerObligationKind.choices)
    required = models.TextField()
    due_date = models.DateField()
    state = models.CharField(
        max_length=20, choices=ObligationState.choices, default=ObligationState.PENDING
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attested_at = models.DateTimeField(null=True, blank=True)
    attestation_note = models.TextField(blank=True)
    evidence = models.FileField(upload_to=obligation_evidence_path, blank=True)
    evidence_name = models.CharField(max_length=255, blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    # The worker organization's check of the attestation.
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_note = models.TextField(blank=True)
    # The last rejection (earlier ones are in the audit log); the buyer sees the reason.
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    waived_at = models.DateTimeField(null=True, blank=True)
    waiver_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["violation", "buyer"], name="obligation_one_per_buyer"),
        ]
        indexes = [
            models.Index(fields=["program", "state", "due_date"]),
            models.Index(fields=["program", "buyer", "state"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} by {self.due_date} ({self.state})"

    @property
    def is_open(self):
        return self.state in OPEN_OBLIGATION_STATES

    @property
    def is_rejected(self):
        """Open again after the worker organization rejected the last attestation."""
        return self.rejected_at is not None and self.state in ATTESTABLE_OBLIGATION_STATES


class BuyerBreach(ProgramOwned):
    """A breach of agreement recorded against a buyer: an obligation left overdue past the
    grace period. Visible to program staff and to disclosure (``buyer_breaches``)."""

    buyer = models.ForeignKey("programs.Buyer", on_delete=models.PROTECT, related_name="+")
    obligation = models.OneToOneField(
        BuyerObligation, on_delete=models.PROTECT, related_name="breach"
    )
    agreement = models.ForeignKey(
        "programs.Agreement", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    description = models.TextField()

    class Meta:
        ordering = ["-recorded_at"]

    def __str__(self):
        return f"Breach by buyer {self.buyer_id}: obligation {self.obligation_id}"
