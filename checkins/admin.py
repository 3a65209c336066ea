from django.contrib import admin

from .models import CheckIn, CheckInEvent, CheckInSettings, Delivery, MissingCheckInReminder


@admin.register(CheckInSettings)
class CheckInSettingsAdmin(admin.ModelAdmin):
    list_display = ["organization", "send_time", "when_missing", "sender_name", "reply_to"]
    list_select_related = ["organization"]


class CheckInEventInline(admin.TabularInline):
    model = CheckInEvent
    extra = 0
    readonly_fields = ["actor", "from_status", "to_status", "note", "created_at"]


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ["subject", "organization", "status", "send_on", "written_by", "sent_at"]
    list_filter = ["status", "is_standing_note"]
    search_fields = ["subject", "message", "organization__name"]
    list_select_related = ["organization", "written_by"]
    raw_id_fields = ["written_by", "on_behalf_of", "approved_by", "people"]
    inlines = [CheckInEventInline]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["checkin", "email", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status"]
    search_fields = ["email", "checkin__subject"]
    list_select_related = ["checkin"]
    raw_id_fields = ["checkin", "team_member"]


admin.site.register(MissingCheckInReminder)
