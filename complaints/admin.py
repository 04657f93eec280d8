"""Admin: read-mostly views for support. Identity ciphertext and narrative are not shown;
changes go through the staff workspace (services), not here."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Case, ComplaintPolicy, Finding


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["reference", "program", "status", "priority", "category", "received_at"]
    list_filter = ["program", "status", "priority", "channel"]
    search_fields = ["reference"]
    fields = [
        "program",
        "reference",
        "channel",
        "status",
        "outcome",
        "category",
        "priority",
        "facility",
        "is_anonymous",
        "identity_purged_at",
        "received_at",
        "resolution_due",
    ]


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ["case", "provision", "severity", "violation_id", "created_at"]
    list_filter = ["program", "severity"]


@admin.register(ComplaintPolicy)
class ComplaintPolicyAdmin(ReadOnlyAdmin):
    list_display = ["program", "identity_retention_days", "updated_at"]
