"""Django admin for the kernel: the read-only base every app's admin uses, and the
notification outbox (operators look up what was sent to whom, and which mails failed;
the senders alone change the rows)."""

from django.contrib import admin

from .models import Notification


class ReadOnlyAdmin(admin.ModelAdmin):
    """Look-up only: the services are the one way to change domain state (audit log,
    transitions), so the operator's admin shows rows and changes none."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("kind", "address", "program", "state", "attempts", "created_at", "sent_at")
    list_filter = ("state", "kind")
    search_fields = ("address", "object_id")
    list_select_related = ("program",)
    # Context may hold case references and buyer names: shown only to superusers, never
    # edited.
    readonly_fields = [f.name for f in Notification._meta.fields]
