from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import (
    Audit,
    AuditPolicy,
    CAPItem,
    CAPItemStatusChange,
    CorrectiveActionPlan,
    EducationSession,
    Finding,
    Report,
)


@admin.register(AuditPolicy)
class AuditPolicyAdmin(ReadOnlyAdmin):
    list_display = ["program", "min_interview_coverage", "season_start_month"]


@admin.register(Audit)
class AuditAdmin(ReadOnlyAdmin):
    list_display = ["facility", "audit_type", "status", "scheduled_date", "program"]
    list_select_related = ["facility", "program"]
    list_filter = ["program", "status", "audit_type"]


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ["pk", "audit", "provision", "severity", "violation_candidate"]
    # Audit.__str__ reads the facility: one query per row without this.
    list_select_related = ["audit__facility", "provision"]
    list_filter = ["program", "severity"]


@admin.register(CorrectiveActionPlan)
class CAPAdmin(ReadOnlyAdmin):
    list_display = ["facility", "program", "created_at"]
    list_select_related = ["facility", "program"]


@admin.register(CAPItem)
class CAPItemAdmin(ReadOnlyAdmin):
    list_display = ["pk", "facility", "status", "deadline", "program"]
    list_select_related = ["facility", "program"]
    list_filter = ["program", "status"]


@admin.register(CAPItemStatusChange)
class CAPItemStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["item", "from_status", "to_status", "at"]


@admin.register(EducationSession)
class EducationSessionAdmin(ReadOnlyAdmin):
    list_display = ["facility", "date", "attendance_count", "program"]
    list_select_related = ["facility", "program"]


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "status", "program", "created_at"]
