from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows only services write (audit events, health, snapshots): no add, change or delete
    from any admin screen or action."""

    actions = None

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
