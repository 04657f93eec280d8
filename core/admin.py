from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Look-up only: the services are the one way to change domain state (audit log,
    transitions), so the operator's admin shows rows and changes none."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
