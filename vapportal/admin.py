from django.contrib import admin

from .models import AuditEvent, OutgoingEmail


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "organization", "action", "summary"]
    list_filter = ["action", "organization"]
    search_fields = ["summary", "actor__email"]
    list_select_related = ["actor", "organization"]
    date_hierarchy = "created_at"

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "to", "subject", "template", "status", "attempts", "sent_at"]
    list_filter = ["status", "template"]
    search_fields = ["to", "subject"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "sent_at", "attempts", "last_error"]
