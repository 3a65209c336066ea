"""Trip and routine pages show each time as the clocks read it where it happens and each day
as a local day, and name the zone where it is not the viewer's own."""

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from tests.helpers import A_NOVEMBER_WEDNESDAY
from travel import services
from travel.models import Trip

from .conftest import CHICAGO, flight, in_days
from .test_routines import make_routine

# Its dates and hours are written for the suite's own moment.
pytestmark = pytest.mark.clock(A_NOVEMBER_WEDNESDAY)

DENVER = ZoneInfo("America/Denver")


def to_denver(trip: Trip, assistant):
    return services.segment_add(
        actor=assistant,
        trip=trip,
        fields=flight(
            trip.depart_on,
            destination="DEN",
            end_at=datetime.combine(trip.depart_on, time(16, 45), tzinfo=DENVER),
            end_zone="America/Denver",
        ),
    )


def times_cell(html: str) -> str:
    row = re.search(r'<table[^>]*id="segments".*?<tbody>(.*?)</tbody>', html, re.DOTALL).group(1)
    return re.findall(r'<td class="small" data-label="When">(.*?)</td>', row, re.DOTALL)[0]


def test_a_time_in_the_viewers_own_zone_is_not_labelled_and_one_elsewhere_is(
    client_for, trip, owner, assistant
):
    to_denver(trip, assistant)

    cell = times_cell(client_for(owner).get(trip.get_absolute_url()).content.decode())

    departs, lands = cell.split("<br>")
    assert "15:10" in departs and "America/Chicago" not in departs and "CST" not in departs
    assert "16:45" in lands and "MST · America/Denver" in lands


def test_a_viewer_elsewhere_sees_every_time_with_its_zone(client_for, trip, assistant):
    assistant.timezone = "Europe/Berlin"
    assistant.save()
    to_denver(trip, assistant)

    html = client_for(assistant).get(trip.get_absolute_url()).content.decode()

    departs, lands = times_cell(html).split("<br>")
    assert "15:10" in departs and "CST · America/Chicago" in departs
    assert "16:45" in lands and "MST · America/Denver" in lands
    assert "its zone is named where that is not yours (Europe/Berlin)" in html


def test_the_approval_page_labels_times_the_same_way(
    client_for, trip, owner, assistant, engagement, django_capture_on_commit_callbacks
):
    engagement.can_book_travel = False
    engagement.save()
    to_denver(trip, assistant)
    services.trip_book(actor=assistant, trip=trip)

    page = client_for(owner).get(
        reverse("travel:approve_link", args=[services.approval_token(trip)])
    )

    html = page.content.decode()
    assert "MST · America/Denver" in html and "America/Chicago" not in html


def test_a_routines_days_name_their_zone_for_a_viewer_elsewhere(
    client_for, owner, organization, assistant
):
    routine = make_routine(owner, organization)
    assistant.timezone = "Asia/Tokyo"
    assistant.save()

    elsewhere = client_for(assistant).get(routine.get_absolute_url()).content.decode()
    listed = client_for(assistant).get(reverse("travel:routines")).content.decode()
    at_home = client_for(owner).get(routine.get_absolute_url()).content.decode()

    assert "(days in America/Chicago)" in elsewhere and "Coming days" in elsewhere
    assert re.search(r"Coming days <span[^>]*>in America/Chicago</span>", elsewhere)
    assert "(days in America/Chicago)" in listed
    assert "days in America/Chicago" not in at_home


def test_trips_coming_up_are_counted_from_the_viewers_own_day_not_utcs(
    client_for, trip, owner, assistant
):
    services.segment_add(actor=assistant, trip=trip, fields=flight(trip.depart_on))
    services.trip_book(actor=assistant, trip=trip)
    # 03:00 UTC on the day after it returns is still its last evening in Chicago.
    evening = datetime.combine(trip.return_on, time(21, 0), tzinfo=CHICAGO)

    with time_machine.travel(evening, tick=False):
        listed = client_for(owner).get(reverse("travel:list")).content.decode()
        home = client_for(owner).get(reverse("home")).content.decode()
        upcoming = Trip.objects.upcoming(today=in_days(0))

    assert "Dealer association meeting" in listed.split('id="coming"')[1]
    assert "Dealer association meeting" in home.split('id="trips-coming"')[1]
    assert list(upcoming) == [trip]
