"""The trips list and the calendar feed: a fixed number of queries however many trips there
are, and a feed that parses back with the coming booked segments in their own time zones."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from tests.helpers import queries_for
from travel import services
from travel.models import Trip

from .conftest import flight, hotel, in_days

CHICAGO = ZoneInfo("America/Chicago")
DENVER = ZoneInfo("America/Denver")
LIST = reverse("travel:list")


def request_trip(owner, organization, traveler=None, *, purpose="Dealer visit", days=20):
    return services.trip_request(
        actor=owner,
        organization=organization,
        traveler=traveler or owner,
        purpose=purpose,
        destinations="Minneapolis",
        depart_on=in_days(days),
        return_on=in_days(days + 2),
    )


def booked_trip(owner, organization, assistant, *, purpose="Dealer visit", days=20):
    trip = request_trip(owner, organization, purpose=purpose, days=days)
    services.segment_add(actor=assistant, trip=trip, fields=flight(trip.depart_on))
    services.segment_add(actor=assistant, trip=trip, fields=hotel(trip.depart_on))
    return services.trip_book(actor=assistant, trip=trip)


def trips_in_every_state(owner, organization, assistant, count: int) -> list[Trip]:
    """Requested, planned, booked and awaiting approval (over the 1,500 budget) in turn."""
    trips = []
    for n in range(count):
        trip = request_trip(owner, organization, purpose=f"Trip {n:02}", days=10 + n)
        if n % 4 == 1:
            services.segment_add(actor=assistant, trip=trip, fields=flight(trip.depart_on))
        elif n % 4 == 2:
            services.segment_add(actor=assistant, trip=trip, fields=flight(trip.depart_on))
            services.segment_add(actor=assistant, trip=trip, fields=hotel(trip.depart_on))
            trip = services.trip_book(actor=assistant, trip=trip)
        elif n % 4 == 3:
            services.segment_add(
                actor=assistant, trip=trip, fields=flight(trip.depart_on, cost="2000")
            )
            trip = services.trip_book(actor=assistant, trip=trip)
        trips.append(trip)
    return trips


@pytest.mark.parametrize("viewer", ["owner", "assistant"])
def test_the_trips_list_makes_the_same_queries_however_many_trips(
    request, client_for, owner, organization, assistant, viewer, django_assert_num_queries
):
    first = booked_trip(owner, organization, assistant)
    client = client_for(request.getfixturevalue(viewer))
    expected = queries_for(lambda: client.get(LIST))

    trips = [first, *trips_in_every_state(owner, organization, assistant, 30)]
    with django_assert_num_queries(expected):
        response = client.get(LIST)

    page = response.content.decode()
    assert set(Trip.objects.values_list("status", flat=True)) == {
        "requested",
        "planning",
        "booked",
        "awaiting",
    }
    assert all(trip.get_absolute_url() in page for trip in trips)
    assert "2000.00 USD" in page and "800.00 USD" in page


def test_the_feed_makes_the_same_queries_however_many_trips(
    owner, organization, assistant, django_assert_num_queries
):
    booked_trip(owner, organization, assistant)
    feed = reverse("travel:feed", args=[services.profile_for(owner).feed_token])
    client = Client()
    expected = queries_for(lambda: client.get(feed))

    for n in range(30):
        trip = booked_trip(owner, organization, assistant, purpose=f"Trip {n:02}", days=10 + n)
        if n % 5 == 0:
            services.segment_cancel(actor=assistant, segment=trip.segments.get(kind="hotel"))
    with django_assert_num_queries(expected):
        response = client.get(feed)

    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert len(events) == 2 + 30 * 2 - 6


def chicago(*args) -> datetime:
    return datetime(*args, tzinfo=CHICAGO)


def denver_flight(day: date) -> services.SegmentFields:
    return flight(
        day,
        number="UA 512",
        destination="DEN",
        end_at=datetime(day.year, day.month, day.day, 16, 45, tzinfo=DENVER),
        end_zone="America/Denver",
        confirmation="QW12ER",
    )


def test_the_feed_lists_the_coming_booked_segments_in_their_own_zones(
    client, owner, manager, organization, assistant
):
    def request(purpose: str, depart_on: date, traveler=owner) -> Trip:
        return services.trip_request(
            actor=owner,
            organization=organization,
            traveler=traveler,
            purpose=purpose,
            destinations="Denver",
            depart_on=depart_on,
            return_on=depart_on + timedelta(days=2),
        )

    with time_machine.travel(chicago(2027, 1, 4, 9, 0), tick=False):
        past = request("January visit", date(2027, 1, 10))
        services.segment_add(actor=assistant, trip=past, fields=flight(past.depart_on))
        services.trip_book(actor=assistant, trip=past)

    with time_machine.travel(chicago(2027, 2, 1, 9, 0), tick=False):
        coming = request("Rocky Mountain dealers", date(2027, 2, 15))
        services.segment_add(actor=assistant, trip=coming, fields=denver_flight(coming.depart_on))
        services.trip_book(actor=assistant, trip=coming)

        partly = request("Dealer council", date(2027, 2, 22))
        kept = services.segment_add(actor=assistant, trip=partly, fields=flight(partly.depart_on))
        dropped = services.segment_add(actor=assistant, trip=partly, fields=hotel(partly.depart_on))
        services.trip_book(actor=assistant, trip=partly)
        services.segment_cancel(actor=assistant, segment=dropped)

        called_off = request("Called off", date(2027, 2, 18))
        services.segment_add(
            actor=assistant, trip=called_off, fields=flight(called_off.depart_on, number="AA 1")
        )
        services.trip_book(actor=assistant, trip=called_off)
        services.trip_cancel(actor=assistant, trip=called_off)

        planned = request("Still planning", date(2027, 2, 20))
        services.segment_add(
            actor=assistant, trip=planned, fields=flight(planned.depart_on, number="AA 2")
        )

        someone_else = request("Manager's trip", date(2027, 2, 16), traveler=manager)
        services.segment_add(
            actor=assistant,
            trip=someone_else,
            fields=flight(someone_else.depart_on, number="AA 3"),
        )
        services.trip_book(actor=assistant, trip=someone_else)

        response = client.get(reverse("travel:feed", args=[services.profile_for(owner).feed_token]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = calendar.walk("VEVENT")
    assert [str(event["summary"]) for event in events] == [
        "Flight: Delta UA 512 (ATW → DEN)",
        "Flight: Delta DL 2345 (ATW → MSP)",
    ]
    to_denver, council = events
    assert to_denver["dtstart"].params["TZID"] == "America/Chicago"
    assert to_denver["dtend"].params["TZID"] == "America/Denver"
    assert to_denver.decoded("dtstart") == chicago(2027, 2, 15, 15, 10)
    assert to_denver.decoded("dtend").replace(tzinfo=None) == datetime(2027, 2, 15, 16, 45)
    assert "Confirmation: QW12ER" in str(to_denver["description"])
    assert str(council["uid"]).startswith(f"segment-{kept.pk}@")
    zones = {str(zone["tzid"]) for zone in calendar.walk("VTIMEZONE")}
    assert zones == {"America/Chicago", "America/Denver"}


def feed_of(token: str) -> str:
    return reverse("travel:feed", args=[token])


def test_a_regenerated_feed_token_is_not_found(client, client_for, owner):
    old = services.profile_for(owner).feed_token
    assert Client().get(feed_of(old)).status_code == 200

    client_for(owner).post(reverse("travel:feed_regenerate"))

    new = services.profile_for(owner).feed_token
    assert new != old
    assert Client().get(feed_of(old)).status_code == 404
    assert Client().get(feed_of(new)).status_code == 200


def test_an_unknown_feed_token_is_not_found(db):
    assert Client().get(reverse("travel:feed", args=["not-a-token"])).status_code == 404


def test_trips_travelled_lately_are_listed_latest_first_and_cost_no_more_queries(
    client_for, owner, organization, assistant, django_assert_num_queries
):
    first = booked_trip(owner, organization, assistant, purpose="Trip 00", days=10)
    services.trip_complete(actor=assistant, trip=first)
    weeks_later = datetime.combine(in_days(40), datetime.min.time(), CHICAGO)
    with time_machine.travel(weeks_later):
        client = client_for(owner)
        expected = queries_for(lambda: client.get(LIST))
    later = [
        booked_trip(owner, organization, assistant, purpose=f"Trip {n:02}", days=10 + n)
        for n in range(1, 12)
    ]
    with time_machine.travel(weeks_later):
        client = client_for(owner)
        with django_assert_num_queries(expected):
            page = client.get(LIST).content.decode()

    past = page[page.index('id="past"') :]
    shown = [trip.purpose for trip in reversed(later)][:10]
    assert [purpose for purpose in shown if purpose in past] == shown
    assert past.index(shown[0]) < past.index(shown[1])
    assert "Trip 00" not in past  # the eleventh latest
    assert 'id="coming"' not in page
