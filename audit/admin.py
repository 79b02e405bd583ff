from django.contrib import admin

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Fully read-only: no add, change or delete, from any screen or action."""

    list_display = ["seq", "created_at", "event_type", "door", "actor_label", "account_number", "request_id"]
    list_filter = ["door", "event_type", "actor_type", "created_at"]
    search_fields = ["event_type", "actor_label", "account_number", "request_id"]
    date_hierarchy = "created_at"
    actions = None

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
