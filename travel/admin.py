from django.contrib import admin

from .models import RoutineTrip, Segment, TravelProfile, Trip, TripEvent


@admin.register(TravelProfile)
class TravelProfileAdmin(admin.ModelAdmin):
    list_display = ["traveler", "home_airport", "seat", "cabin", "updated_at"]
    # The sensitive numbers stay out of the admin: reveals go through the audited page.
    exclude = ["loyalty_programs", "known_traveler_number", "redress_number", "feed_token"]
    raw_id_fields = ["traveler"]


class SegmentInline(admin.TabularInline):
    model = Segment
    extra = 0


class TripEventInline(admin.TabularInline):
    model = TripEvent
    extra = 0
    readonly_fields = ["actor", "from_status", "to_status", "note", "created_at"]


@admin.register(Trip)
class TripAdmin(admin.ModelAdmin):
    list_display = ["purpose", "organization", "traveler", "depart_on", "status"]
    list_filter = ["status"]
    search_fields = ["purpose", "destinations", "organization__name"]
    list_select_related = ["organization", "traveler"]
    raw_id_fields = ["traveler", "requested_by", "booked_by", "approved_by", "task", "routine"]
    inlines = [SegmentInline, TripEventInline]


@admin.register(RoutineTrip)
class RoutineTripAdmin(admin.ModelAdmin):
    list_display = ["title", "organization", "traveler", "rrule", "state", "alert"]
    list_filter = ["state"]
    raw_id_fields = ["traveler", "created_by"]
