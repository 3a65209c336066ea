"""A trip the owner approved over the budget stays approved for what he approved: a change at
the same cost is booked and told to the traveler; only a total above the approved amount asks
him again, in an email that says what it was approved at and what changed."""

from dataclasses import replace
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core import mail

from travel import services
from travel.models import Segment, Trip

from .conftest import CHICAGO, flight, hotel


def at(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=CHICAGO)


def morning_flight(day, *, hour: int = 8, cost: str = "2100.00") -> services.SegmentFields:
    return flight(day, cost=cost, start_at=at(day, hour), end_at=at(day, hour + 1, 10))


@pytest.fixture
def approved_trip(trip, assistant, owner, engagement, django_capture_on_commit_callbacks):
    """Booked at 2,600 over the 2,500 budget, and approved by the owner."""
    engagement.travel_budget_limit = Decimal("2500")
    engagement.save()
    services.segment_add(actor=assistant, trip=trip, fields=morning_flight(trip.depart_on))
    services.segment_add(actor=assistant, trip=trip, fields=hotel(trip.depart_on, cost="500"))
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            services.trip_book(actor=assistant, trip=trip).status == Trip.Status.AWAITING_APPROVAL
        )
        services.trip_approve(actor=owner, trip=trip, note="Fine")
    mail.outbox.clear()
    trip.refresh_from_db()
    return trip


def the_flight(trip: Trip) -> Segment:
    return trip.segments.get(kind="flight")


def mails_starting(subject: str) -> list:
    return [message for message in mail.outbox if message.subject.startswith(subject)]


def test_approving_records_the_amount_approved(approved_trip, owner):
    assert approved_trip.status == Trip.Status.BOOKED
    assert (approved_trip.approved_by, approved_trip.approved_total) == (owner, Decimal("2600"))


def test_moving_the_flight_an_hour_at_the_same_cost_keeps_it_booked_and_tells_the_traveler(
    approved_trip, assistant, owner, django_capture_on_commit_callbacks
):
    an_hour_later = morning_flight(approved_trip.depart_on, hour=9)

    with django_capture_on_commit_callbacks(execute=True):
        services.segment_change(
            actor=assistant, segment=the_flight(approved_trip), fields=an_hour_later
        )

    approved_trip.refresh_from_db()
    assert approved_trip.status == Trip.Status.BOOKED
    assert not approved_trip.events.filter(note__contains="needs approval again").exists()
    assert mails_starting("Approve the trip") == []
    (notice,) = mails_starting("Changed:")
    assert notice.to == [owner.email]
    assert "Was:" in notice.body and "08:00" in notice.body
    assert "Now:" in notice.body and "09:00" in notice.body
    assert "Your calendar feed follows." in notice.body
    assert the_flight(approved_trip).status == Segment.Status.BOOKED


def test_a_cheaper_replacement_within_the_approved_amount_is_booked_at_once(
    approved_trip, assistant, django_capture_on_commit_callbacks
):
    services.segment_cancel(actor=assistant, segment=approved_trip.segments.get(kind="hotel"))
    cheaper = replace(hotel(approved_trip.depart_on, cost="450"), provider="Hyatt Minneapolis")

    with django_capture_on_commit_callbacks(execute=True):
        added = services.segment_add(actor=assistant, trip=approved_trip, fields=cheaper)

    approved_trip.refresh_from_db()
    added.refresh_from_db()
    assert (approved_trip.status, added.status) == (Trip.Status.BOOKED, Segment.Status.BOOKED)
    assert mails_starting("Approve the trip") == []
    (notice,) = mails_starting("Changed:")
    assert "Added: Hotel Hyatt Minneapolis" in notice.body


def test_a_change_above_the_approved_amount_asks_again_saying_what_was_approved_and_changed(
    approved_trip, assistant, owner, django_capture_on_commit_callbacks
):
    dearer_and_later = morning_flight(approved_trip.depart_on, hour=9, cost="2400.00")

    with django_capture_on_commit_callbacks(execute=True):
        services.segment_change(
            actor=assistant, segment=the_flight(approved_trip), fields=dearer_and_later
        )

    approved_trip.refresh_from_db()
    assert approved_trip.status == Trip.Status.AWAITING_APPROVAL
    (ask,) = mails_starting("Approve the trip again")
    assert ask.to == [owner.email]
    assert "(2,900.00 USD, approved at 2,600.00)" in ask.subject
    for body in (ask.body, ask.alternatives[0][0]):
        assert "It was approved at 2,600.00 USD by Renard Bergstrom" in body
        assert "2,900.00 USD" in body
        assert "Cost of Flight Delta DL 2345: 2,100.00 USD, now 2,400.00 USD" in body
        assert "08:00" in body and "09:00" in body
        assert "over the per-trip travel budget of 2,500.00" in body
    # The traveler hears of the change as of any other.
    (notice,) = mails_starting("Changed:")
    assert "Was:" in notice.body and "09:00" in notice.body
    assert "waits for the owner's approval again" in notice.body


def test_approving_the_change_raises_the_approved_amount(
    approved_trip, assistant, owner, django_capture_on_commit_callbacks
):
    services.segment_change(
        actor=assistant,
        segment=the_flight(approved_trip),
        fields=morning_flight(approved_trip.depart_on, cost="2400.00"),
    )

    services.trip_approve(actor=owner, trip=approved_trip)

    approved_trip.refresh_from_db()
    assert (approved_trip.status, approved_trip.approved_total) == (
        Trip.Status.BOOKED,
        Decimal("2900"),
    )


def test_a_trip_booked_within_the_budget_asks_when_a_change_takes_it_over(
    trip, assistant, owner, django_capture_on_commit_callbacks
):
    flight_segment = services.segment_add(
        actor=assistant, trip=trip, fields=morning_flight(trip.depart_on, cost="1000")
    )
    services.trip_book(actor=assistant, trip=trip)

    with django_capture_on_commit_callbacks(execute=True):
        services.segment_change(
            actor=assistant,
            segment=flight_segment,
            fields=morning_flight(trip.depart_on, cost="1600"),
        )

    trip.refresh_from_db()
    assert (trip.status, trip.approved_total) == (Trip.Status.AWAITING_APPROVAL, None)
    (ask,) = mails_starting("Approve the trip:")
    assert "approved at" not in ask.body
    assert "Cost of Flight Delta DL 2345: 1,000.00 USD, now 1,600.00 USD" in ask.body


def test_the_trip_page_says_what_was_approved_while_it_asks_again(
    client_for, approved_trip, assistant, owner
):
    services.segment_change(
        actor=assistant,
        segment=the_flight(approved_trip),
        fields=morning_flight(approved_trip.depart_on, cost="2400.00"),
    )

    html = client_for(owner).get(approved_trip.get_absolute_url()).content.decode()

    assert "It was approved at 2600.00 USD; it now costs 2900.00 USD." in html


def test_an_approval_with_costs_in_several_currencies_holds_no_amount(
    trip, assistant, owner, django_capture_on_commit_callbacks
):
    services.segment_add(actor=assistant, trip=trip, fields=flight(trip.depart_on))
    services.segment_add(
        actor=assistant,
        trip=trip,
        fields=replace(hotel(trip.depart_on + timedelta(days=1)), currency="CAD"),
    )
    services.trip_book(actor=assistant, trip=trip)

    services.trip_approve(actor=owner, trip=trip)

    trip.refresh_from_db()
    assert (trip.status, trip.approved_total) == (Trip.Status.BOOKED, None)
