"""Read-mostly admin: enforcement records change only through services (audited)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from enforcement.models import (
    BuyerBreach,
    BuyerObligation,
    ConsequencePolicy,
    ConsequenceRule,
    Sanction,
    StandingEvent,
    SupplierStanding,
    Violation,
)


@admin.register(Violation)
class ViolationAdmin(ReadOnlyAdmin):
    list_display = ["id", "program", "supplier", "provision", "severity", "state", "created_at"]
    list_filter = ["program", "state", "severity", "source_kind"]
    search_fields = ["summary", "source_ref"]


@admin.register(BuyerObligation)
class BuyerObligationAdmin(ReadOnlyAdmin):
    list_display = ["id", "program", "buyer", "supplier", "kind", "due_date", "state"]
    list_filter = ["program", "state", "kind"]


@admin.register(SupplierStanding)
class SupplierStandingAdmin(ReadOnlyAdmin):
    list_display = ["supplier", "program", "standing", "stage", "suspended_until"]
    list_filter = ["program", "standing", "stage"]


class RuleInline(admin.TabularInline):
    model = ConsequenceRule
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ConsequencePolicy)
class ConsequencePolicyAdmin(ReadOnlyAdmin):
    list_display = ["program", "number", "title", "status", "effective_date"]
    inlines = [RuleInline]


admin.site.register(Sanction, ReadOnlyAdmin)
admin.site.register(StandingEvent, ReadOnlyAdmin)
admin.site.register(BuyerBreach, ReadOnlyAdmin)
