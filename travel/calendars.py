"""iCalendar for trips: an itinerary's .ics and the traveler's feed, made with `icalendar`.
Each segment is one event with its own time zone; its UID stays and its SEQUENCE grows with
every change, so calendars update the event rather than add another."""

import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from .models import Segment, TravelProfile, Trip


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//VA Portal//Travel//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    return calendar


def _event(segment: Segment, trip: Trip) -> Event:
    event = Event()
    domain = settings.SITE_URL.split("//")[-1].split("/")[0].split(":")[0] or "vaportal"
    event.add("uid", f"segment-{segment.pk}@{domain}")
    event.add("sequence", segment.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", segment.start_at.astimezone(zoneinfo.ZoneInfo(segment.start_zone)))
    event.add("dtend", segment.end_at.astimezone(zoneinfo.ZoneInfo(segment.end_zone)))
    summary = f"{segment.get_kind_display()}: {segment.provider} {segment.number}".strip()
    if segment.origin or segment.destination:
        summary += (
            f" ({segment.origin} → {segment.destination})"
            if segment.origin
            else f" ({segment.destination})"
        )
    event.add("summary", summary)
    event.add("location", segment.destination or segment.origin)
    description = [f"Trip: {trip.purpose}"]
    if segment.confirmation:
        description.append(f"Confirmation: {segment.confirmation}")
    if segment.notes:
        description.append(segment.notes)
    event.add("description", "\n".join(description))
    return event


def _finish(calendar: Calendar) -> str:
    calendar.add_missing_timezones()
    return calendar.to_ical().decode()


def trip_calendar(trip: Trip) -> str:
    """The trip's live segments: the .ics sent with the itinerary."""
    calendar = _calendar(trip.purpose)
    for segment in trip.segments.exclude(status=Segment.Status.CANCELLED):
        calendar.add_component(_event(segment, trip))
    return _finish(calendar)


def feed_calendar(profile: TravelProfile) -> str:
    """The traveler's feed: segments of booked trips from yesterday on; cancelled segments
    and trips drop out of it."""
    calendar = _calendar(f"Trips of {profile.traveler}")
    segments = (
        Segment.objects.filter(
            trip__traveler=profile.traveler,
            trip__status__in=[Trip.Status.BOOKED, Trip.Status.COMPLETED],
            end_at__gte=timezone.now() - timedelta(days=1),
        )
        .exclude(status=Segment.Status.CANCELLED)
        .select_related("trip")
        .order_by("start_at", "id")
    )
    for segment in segments:
        calendar.add_component(_event(segment, segment.trip))
    return _finish(calendar)
