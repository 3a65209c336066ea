"""Where a trip's clocks are: the time zone of an airport code or a city, from the airport
list that `airportsdata` ships, and the zones a new segment's times are read in."""

import re
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date
from functools import cache

import airportsdata
from django.utils import timezone

from .models import Segment, TravelProfile, Trip

# "Minneapolis, Chicago", "Minneapolis → Chicago", "Minneapolis; then Chicago".
_PLACES_APART = re.compile(r"[,;/→]|\bthen\b|\band\b", re.IGNORECASE)


@cache
def _zones() -> tuple[dict[str, str], dict[str, str]]:
    """Zones by IATA code and by city name (folded). A city whose airports lie in several
    zones (Springfield) has one only when most of them share it (London's seven in
    Europe/London, one in Ontario and one in Kentucky)."""
    known = zoneinfo.available_timezones()
    by_code, by_city = {}, defaultdict(Counter)
    for code, airport in airportsdata.load("IATA").items():
        if airport["tz"] not in known:
            continue
        by_code[code] = airport["tz"]
        if airport["city"]:
            by_city[airport["city"].casefold()][airport["tz"]] += 1
    cities = {}
    for city, counts in by_city.items():
        zone, airports = counts.most_common(1)[0]
        if airports * 2 > counts.total():
            cities[city] = zone
    return by_code, cities


def zone_of(place: str) -> str | None:
    """The zone of an airport code (DEN) or a city (Denver); None for a place the list does
    not know, or a city name shared by places in different zones."""
    name = " ".join(place.split())
    if not name:
        return None
    by_code, by_city = _zones()
    if len(name) == 3 and name.isupper() and name in by_code:
        return by_code[name]
    return by_city.get(name.casefold()) or by_code.get(name.upper() if len(name) == 3 else "")


def first_destination(destinations: str) -> str:
    """The first place of a trip's destinations ("Cities, in order")."""
    return _PLACES_APART.split(destinations, maxsplit=1)[0].strip()


def today_for(person) -> date:
    """Today where the person is (their own zone, whatever zone the request runs in)."""
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(person.timezone))


def home_zone(traveler) -> str:
    """The zone of the traveler's home airport, or else their own."""
    airport = (
        TravelProfile.objects.filter(traveler=traveler)
        .values_list("home_airport", flat=True)
        .first()
    )
    return zone_of(airport or "") or traveler.timezone


def next_segment_zones(trip: Trip, segments: Sequence[Segment]) -> tuple[str, str]:
    """The zones a new segment's start and end are read in: where the trip's last segment
    ends; for the first, from the traveler's home to the trip's (first) destination."""
    live = [segment for segment in segments if segment.status != Segment.Status.CANCELLED]
    if live:
        last = max(live, key=lambda segment: (segment.end_at, segment.pk))
        return last.end_zone, last.end_zone
    home = home_zone(trip.traveler)
    return home, zone_of(first_destination(trip.destinations)) or home
