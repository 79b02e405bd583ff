from django.contrib import admin

from audit.models import AuditEvent
from core.admin_readonly import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["seq", "created_at", "event_type", "door", "actor_label", "account_number", "request_id"]
    list_filter = ["door", "event_type", "actor_type", "created_at"]
    search_fields = ["event_type", "actor_label", "account_number", "request_id"]
    date_hierarchy = "created_at"
