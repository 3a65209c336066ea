"""The segment form on a trip's page: each time is read in the zone of its place, defaulted
from where the trip last was; it stays open after an add; and a trip with nothing in it
offers no booking."""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from travel import services, zones
from travel.models import Segment, Trip

from .conftest import flight

DENVER = ZoneInfo("America/Denver")


def page_of(client, trip, query: str = ""):
    return client.get(trip.get_absolute_url() + query)


def default_zones(response) -> tuple[str, str]:
    form = response.context["segment_form"]
    return form["start_zone"].value(), form["end_zone"].value()


@pytest.fixture
def far_assistant(assistant):
    """The assistant works from Berlin: her own zone is nobody's place on the trip."""
    assistant.timezone = "Europe/Berlin"
    assistant.save()
    return assistant


def test_the_first_segment_goes_from_the_travelers_home_airport_to_the_trips_destination(
    client_for, trip, owner, far_assistant
):
    owner.timezone = "America/New_York"  # where he is now; his home airport says Chicago
    owner.save()
    services.profile_save(actor=owner, profile=services.profile_for(owner), home_airport="ATW")
    trip.destinations = "Denver, then Boulder"
    trip.save()

    response = page_of(client_for(far_assistant), trip)

    assert default_zones(response) == ("America/Chicago", "America/Denver")


def test_without_a_home_airport_or_a_known_destination_both_are_the_travelers_own_zone(
    client_for, trip, owner, far_assistant
):
    trip.destinations = "Springfield"  # in Illinois, Missouri, Massachusetts or Ohio
    trip.save()

    response = page_of(client_for(far_assistant), trip)

    assert default_zones(response) == ("America/Chicago", "America/Chicago")


def test_the_next_segment_starts_and_ends_where_the_last_one_ended(client_for, trip, far_assistant):
    services.segment_add(
        actor=far_assistant,
        trip=trip,
        fields=flight(
            trip.depart_on,
            destination="DEN",
            end_at=datetime.combine(trip.depart_on, time(16, 45), tzinfo=DENVER),
            end_zone="America/Denver",
        ),
    )

    response = page_of(client_for(far_assistant), trip)

    assert default_zones(response) == ("America/Denver", "America/Denver")


def test_a_cancelled_last_segment_does_not_decide_where_the_next_one_is(
    client_for, trip, far_assistant
):
    services.segment_add(actor=far_assistant, trip=trip, fields=flight(trip.depart_on))
    later = services.segment_add(
        actor=far_assistant,
        trip=trip,
        fields=flight(
            trip.depart_on,
            start_at=datetime.combine(trip.depart_on, time(18, 0), tzinfo=DENVER),
            start_zone="America/Denver",
            end_at=datetime.combine(
                trip.depart_on + timedelta(days=1), time(22, 0), tzinfo=ZoneInfo("Asia/Tokyo")
            ),
            end_zone="Asia/Tokyo",
        ),
    )
    services.segment_cancel(actor=far_assistant, segment=later)

    response = page_of(client_for(far_assistant), trip)

    assert default_zones(response) == ("America/Chicago", "America/Chicago")


def test_each_time_has_the_zone_it_is_read_in_beside_it(client_for, trip, far_assistant):
    html = page_of(client_for(far_assistant), trip).content.decode()

    for time_name, zone_name in (("start", "start_zone"), ("end", "end_zone")):
        block = re.search(rf'<div id="div_id_{time_name}".*?form-text', html, re.DOTALL)
        assert block, time_name
        assert f'name="{time_name}"' in block.group()
        zone_input = re.search(rf'<input [^>]*name="{zone_name}"[^>]*>', block.group())
        assert zone_input, zone_name
        assert 'value="America/Chicago"' in zone_input.group()
        assert 'list="id_start_zone-zones"' in zone_input.group()
    assert html.count('<datalist id="id_start_zone-zones">') == 1
    assert "in the time zone beside it" in html


def test_after_adding_a_segment_the_form_is_open_for_the_next_one(client_for, trip, far_assistant):
    client = client_for(far_assistant)
    data = {
        "kind": "flight",
        "provider": "Delta",
        "number": "DL 2345",
        "start": f"{trip.depart_on}T15:10",
        "start_zone": "America/Chicago",
        "end": f"{trip.depart_on}T16:45",
        "end_zone": "America/Denver",
        "cost": "320",
        "currency": "USD",
    }

    response = client.post(reverse("travel:segment_add", args=[trip.pk]), data)

    assert response.status_code == 302
    assert response.url == f"{trip.get_absolute_url()}?adding#add-segment"
    page = client.get(response.url)
    assert re.search(r'<details class="card mt-3" id="add-segment" open>', page.content.decode())
    assert default_zones(page) == ("America/Denver", "America/Denver")
    segment = trip.segments.get()
    assert segment.local_end.replace(tzinfo=None) == datetime.combine(trip.depart_on, time(16, 45))
    assert segment.end_zone == "America/Denver"


def test_with_segments_and_no_adding_the_form_is_folded(client_for, trip, far_assistant):
    services.segment_add(actor=far_assistant, trip=trip, fields=flight(trip.depart_on))

    html = page_of(client_for(far_assistant), trip).content.decode()

    assert '<details class="card mt-3" id="add-segment">' in html


def test_a_trip_without_segments_offers_no_booking(client_for, trip, far_assistant):
    html = page_of(client_for(far_assistant), trip).content.decode()

    assert "Book it" not in html


def test_a_trip_whose_segments_are_all_cancelled_offers_no_booking(client_for, trip, far_assistant):
    segment = services.segment_add(actor=far_assistant, trip=trip, fields=flight(trip.depart_on))
    assert "Book it" in page_of(client_for(far_assistant), trip).content.decode()

    services.segment_cancel(actor=far_assistant, segment=segment)

    assert "Book it" not in page_of(client_for(far_assistant), trip).content.decode()


def test_booking_a_trip_without_segments_is_refused_with_a_clear_message(
    client_for, trip, far_assistant
):
    with pytest.raises(services.TravelError, match="nothing to book yet"):
        services.trip_book(actor=far_assistant, trip=trip)

    response = client_for(far_assistant).post(reverse("travel:book", args=[trip.pk]), follow=True)

    assert "This trip has nothing to book yet" in response.content.decode()
    trip.refresh_from_db()
    assert (trip.status, trip.booked_by) == (Trip.Status.REQUESTED, None)
    assert not trip.events.filter(to_status=Trip.Status.AWAITING_APPROVAL).exists()
    assert not Segment.objects.exists()


@pytest.mark.parametrize(
    ("place", "zone"),
    [
        ("DEN", "America/Denver"),
        ("Denver", "America/Denver"),
        ("  minneapolis ", "America/Chicago"),
        ("atw", "America/Chicago"),
        ("London", "Europe/London"),  # most of its airports; one is in Ontario
        ("Springfield", None),  # as many in Chicago's zone as in New York's
        ("Atlantis", None),
        ("", None),
    ],
)
def test_a_place_is_in_the_zone_of_its_airports(place, zone):
    assert zones.zone_of(place) == zone


@pytest.mark.parametrize(
    ("destinations", "first"),
    [
        ("Minneapolis", "Minneapolis"),
        ("Minneapolis, Chicago", "Minneapolis"),
        ("Denver → Boulder", "Denver"),
        ("Denver then Boulder", "Denver"),
        ("Detroit and Toledo", "Detroit"),
    ],
)
def test_the_first_destination_is_the_first_place_named(destinations, first):
    assert zones.first_destination(destinations) == first
