"""Bulk import batches, remembered matching decisions and a program's copy of an Open
Supply Hub download."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import ProgramOwned


class ImportStatus(models.TextChoices):
    # Uploaded and mapped; the preview (validation and matching) is being worked out.
    ANALYSING = "analysing", _("Checking")
    PREVIEW = "preview", _("Ready to review")
    APPLYING = "applying", _("Applying")
    APPLIED = "applied", _("Applied")
    FAILED = "failed", _("Failed")


class ImportBatch(ProgramOwned):
    """One uploaded file: its header and cells, the column mapping, the per-row preview
    and, once applied, the report. The cells are kept (as text) so a changed mapping or
    a new decision can be checked again without uploading again."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(max_length=200)
    file_format = models.CharField(max_length=10)  # csv, xlsx, json
    headers = models.JSONField(default=list)
    rows = models.JSONField(default=list)  # [[cell, ...], ...] as text
    mapping = models.JSONField(default=dict)  # {field: header}
    status = models.CharField(
        max_length=20, choices=ImportStatus.choices, default=ImportStatus.ANALYSING
    )
    # [{line, errors, action, facility, match, oshub}, ...] one entry per row
    preview = models.JSONField(default=list)
    summary = models.JSONField(default=dict)
    report = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["program", "created_at"])]

    def __str__(self):
        return self.filename

    @property
    def row_count(self):
        return len(self.rows)


class MatchTarget(models.TextChoices):
    FACILITY = "facility", _("A facility of the program")
    OSHUB = "oshub", _("An Open Supply Hub facility")


class MatchDecision(ProgramOwned):
    """A person's answer to "is this incoming facility that one?", remembered by the
    incoming facility's cleaned name, address and country so a re-upload asks nothing."""

    key = models.CharField(max_length=600)
    target = models.CharField(max_length=10, choices=MatchTarget.choices)
    accepted = models.BooleanField()
    facility = models.ForeignKey(
        "programs.Facility", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    os_id = models.CharField(max_length=32, blank=True)
    score = models.PositiveSmallIntegerField(default=0)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # One answer per incoming facility and candidate: a rejected candidate is
            # not asked about again, and the next-best one may still be.
            models.UniqueConstraint(
                fields=["program", "key", "target", "facility", "os_id"],
                name="matchdecision_one_per_candidate",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=(Q(target="facility") & Q(facility__isnull=False))
                | (Q(target="oshub") & ~Q(os_id="")),
                name="matchdecision_names_its_candidate",
            ),
        ]
        indexes = [models.Index(fields=["program", "key"])]


class OSHubFacility(ProgramOwned):
    """A row of an Open Supply Hub CSV download the program loaded (its country subset,
    usually): what incoming facilities are matched against to find their OS ID."""

    os_id = models.CharField(max_length=32)
    name = models.CharField(max_length=300)
    address = models.CharField(max_length=500)
    country_code = models.CharField(max_length=2)
    lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    key = models.CharField(max_length=600)
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "os_id"], name="oshub_program_os_id")
        ]
        indexes = [models.Index(fields=["program", "key"])]

    def __str__(self):
        return f"{self.name} ({self.os_id})"
