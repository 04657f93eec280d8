"""Django admin for the kernel: the notification outbox, read-only (operators look up
what was sent to whom, and which mails failed; the senders alone change the rows)."""

from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("kind", "address", "program", "state", "attempts", "created_at", "sent_at")
    list_filter = ("state", "kind")
    search_fields = ("address", "object_id")
    list_select_related = ("program",)
    # Context may hold case references and buyer names: shown only to superusers, never
    # edited.
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
