from django.contrib import admin

from .models import AssistantProfile, Engagement


@admin.register(AssistantProfile)
class AssistantProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "skills", "working_hours"]
    search_fields = ["user__email", "user__full_name", "skills"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]


@admin.register(Engagement)
class EngagementAdmin(admin.ModelAdmin):
    list_display = [
        "assistant",
        "organization",
        "role",
        "started_on",
        "ended_at",
        "can_book_travel",
        "travel_budget_limit",
        "vendor_email_authority",
        "checkin_authority",
    ]
    list_filter = ["role", "vendor_email_authority", "checkin_authority", "can_book_travel"]
    search_fields = ["assistant__email", "assistant__full_name", "organization__name"]
    list_select_related = ["assistant", "organization"]
    autocomplete_fields = ["assistant", "organization"]
