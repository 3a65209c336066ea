from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from icalendar import Calendar

from tasks.models import Status as TaskStatus
from travel import services
from travel.models import Segment, Trip

from .conftest import flight, hotel, in_days


def test_a_requested_trip_puts_a_booking_task_in_the_assistants_queue(client_for, trip, assistant):
    assert trip.status == Trip.Status.REQUESTED
    assert trip.task.category == "travel"
    assert trip.task.status == TaskStatus.NEW
    queue = client_for(assistant).get(reverse("tasks:queue")).content.decode()
    assert "Book the trip: Dealer association meeting" in queue


def test_booking_within_the_budget_books_it_and_mails_the_itinerary_with_a_calendar(
    trip, assistant, owner, django_capture_on_commit_callbacks
):
    services.segment_add(actor=assistant, trip=trip, fields=flight(trip.depart_on))
    services.segment_add(actor=assistant, trip=trip, fields=hotel(trip.depart_on))
    with django_capture_on_commit_callbacks(execute=True):
        trip = services.trip_book(actor=assistant, trip=trip)

    assert trip.status == Trip.Status.BOOKED
    assert set(trip.segments.values_list("status", flat=True)) == {Segment.Status.BOOKED}
    trip.task.refresh_from_db()
    assert trip.task.status == TaskStatus.DONE
    (message,) = [m for m in mail.outbox if m.subject.startswith("Booked:")]
    assert message.to == [owner.email]
    assert "DL 2345" in message.body
    assert "15:10 CST" in message.body or "15:10 CDT" in message.body
    name, content, mimetype = message.attachments[0]
    assert mimetype == "text/calendar"
    events = Calendar.from_ical(content).walk("VEVENT")
    assert sorted(str(event["summary"]) for event in events) == [
        "Flight: Delta DL 2345 (ATW → MSP)",
        "Hotel: Hilton Minneapolis (Minneapolis)",
    ]


def test_over_the_budget_it_waits_for_the_owner_who_approves_from_the_email_link(
    client_for, trip, assistant, owner, engagement, django_capture_on_commit_callbacks
):
    engagement.travel_budget_limit = Decimal("500")
    engagement.save()
    services.segment_add(actor=assistant, trip=trip, fields=flight(trip.depart_on))
    services.segment_add(actor=assistant, trip=trip, fields=hotel(trip.depart_on))
    with django_capture_on_commit_callbacks(execute=True):
        trip = services.trip_book(actor=assistant, trip=trip)
    assert trip.status == Trip.Status.AWAITING_APPROVAL

    (approval,) = [m for m in mail.outbox if m.subject.startswith("Approve the trip")]
    assert "800.00 USD is over the per-trip travel budget of 500.00" in approval.body
    path = approval.body.split("confirm): http://testserver")[1].split()[0]
    client = client_for(owner)
    page = client.get(path)
    assert (
        page.status_code == 200 and "Approve “Dealer association meeting”?" in page.content.decode()
    )
    assert Trip.objects.get().status == Trip.Status.AWAITING_APPROVAL

    with django_capture_on_commit_callbacks(execute=True):
        client.post(path, {"decision": "approve", "note": "Worth it"})
    trip.refresh_from_db()
    assert (trip.status, trip.approved_by, trip.decision_note) == ("booked", owner, "Worth it")

    again = client.post(path, {"decision": "approve"})
    assert again.status_code == 410


def test_an_assistant_without_travel_authority_needs_approval_whatever_the_cost(
    trip, assistant, engagement
):
    engagement.can_book_travel = False
    engagement.save()
    services.segment_add(actor=assistant, trip=trip, fields=flight(trip.depart_on, cost="10"))

    trip = services.trip_book(actor=assistant, trip=trip)

    assert trip.status == Trip.Status.AWAITING_APPROVAL
    assert "does not include booking travel" in trip.events.last().note


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"end_at": None}, "ends before it starts"),
        ({"start_zone": "Mars/Olympus_Mons"}, "is not a known time zone"),
        ({"currency": "XXX"}, "is not a currency we book in"),
        ({"cost": Decimal("-1")}, "cannot be negative"),
    ],
)
def test_a_bad_segment_is_refused_and_nothing_changes(trip, assistant, change, message):
    fields = flight(trip.depart_on)
    if change.get("end_at", 1) is None:
        change = {"end_at": fields.start_at.replace(hour=14)}
    for name, value in change.items():
        setattr(fields, name, value)

    with pytest.raises(services.TravelError, match=message):
        services.segment_add(actor=assistant, trip=trip, fields=fields)

    assert not Segment.objects.exists()
    assert Trip.objects.get().status == Trip.Status.REQUESTED


def test_a_return_before_departure_is_refused(owner, organization, engagement):
    with pytest.raises(services.TravelError, match="return is before the departure"):
        services.trip_request(
            actor=owner,
            organization=organization,
            traveler=owner,
            purpose="Back to front",
            destinations="Chicago",
            depart_on=in_days(5),
            return_on=in_days(4),
        )
    assert not Trip.objects.exists()


def test_approving_a_trip_that_is_not_awaiting_approval_is_refused(trip, owner):
    with pytest.raises(services.TravelError, match="nothing to approve"):
        services.trip_approve(actor=owner, trip=trip)
    assert Trip.objects.get().status == Trip.Status.REQUESTED


def test_a_changed_flight_is_mailed_to_the_traveler_and_the_feed_follows(
    client, trip, assistant, owner, django_capture_on_commit_callbacks
):
    segment = services.segment_add(actor=assistant, trip=trip, fields=flight(trip.depart_on))
    with django_capture_on_commit_callbacks(execute=True):
        services.trip_book(actor=assistant, trip=trip)
    mail.outbox.clear()
    later = flight(trip.depart_on)
    later.start_at = later.start_at.replace(hour=18)
    later.end_at = later.end_at.replace(hour=19)

    with django_capture_on_commit_callbacks(execute=True):
        services.segment_change(actor=assistant, segment=segment, fields=later)

    (message,) = [m for m in mail.outbox if m.subject.startswith("Changed:")]
    assert "Was:" in message.body and "15:10" in message.body and "18:10" in message.body
    token = services.profile_for(owner).feed_token
    feed = Calendar.from_ical(client.get(reverse("travel:feed", args=[token])).content)
    (event,) = feed.walk("VEVENT")
    assert event.decoded("dtstart").hour == 18 and int(event["sequence"]) == 1

    with django_capture_on_commit_callbacks(execute=True):
        services.segment_cancel(actor=assistant, segment=segment)
    feed = Calendar.from_ical(client.get(reverse("travel:feed", args=[token])).content)
    assert feed.walk("VEVENT") == []


def test_a_regenerated_feed_link_ends_the_old_one(client, client_for, owner):
    old = services.profile_for(owner).feed_token

    client_for(owner).post(reverse("travel:feed_regenerate"))

    assert client.get(reverse("travel:feed", args=[old])).status_code == 404
    new = services.profile_for(owner).feed_token
    assert client.get(reverse("travel:feed", args=[new])).status_code == 200


@pytest.mark.parametrize("name", ["trip", "itinerary", "itinerary_ics"])
def test_another_organizations_trip_is_not_found(client_for, outsider, trip, name):
    assert client_for(outsider).get(reverse(f"travel:{name}", args=[trip.pk])).status_code == 404


@pytest.mark.parametrize("name", ["book", "approve", "decline", "cancel", "complete"])
def test_another_organization_cannot_act_on_a_trip(client_for, outsider, trip, name):
    assert client_for(outsider).post(reverse(f"travel:{name}", args=[trip.pk])).status_code == 404
    assert Trip.objects.get().status == Trip.Status.REQUESTED


def test_the_trip_pages_render(
    client_for, trip, assistant, owner, django_capture_on_commit_callbacks
):
    services.segment_add(actor=assistant, trip=trip, fields=flight(trip.depart_on))
    for user in (owner, assistant):
        client = client_for(user)
        for url in (
            reverse("travel:list"),
            reverse("travel:trip_new"),
            trip.get_absolute_url(),
            reverse("travel:itinerary", args=[trip.pk]),
            reverse("travel:routines"),
            reverse("travel:routine_new"),
            reverse("travel:profile"),
        ):
            assert client.get(url).status_code == 200, (user, url)


def test_a_booked_trip_that_a_change_takes_over_the_budget_waits_for_the_owner_again(
    trip, assistant, owner, engagement, django_capture_on_commit_callbacks
):
    engagement.travel_budget_limit = Decimal("500")
    engagement.save()
    services.segment_add(actor=assistant, trip=trip, fields=flight(trip.depart_on))
    with django_capture_on_commit_callbacks(execute=True):
        services.trip_book(actor=assistant, trip=trip)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        added = services.segment_add(actor=assistant, trip=trip, fields=hotel(trip.depart_on))

    trip.refresh_from_db()
    added.refresh_from_db()
    assert trip.status == Trip.Status.AWAITING_APPROVAL
    assert added.status == Segment.Status.PROPOSED
    assert any(m.subject.startswith("Approve the trip") for m in mail.outbox)


def test_a_change_while_the_owner_is_asked_sends_the_trip_back_to_planning(
    trip, assistant, owner, engagement
):
    engagement.travel_budget_limit = Decimal("100")
    engagement.save()
    segment = services.segment_add(actor=assistant, trip=trip, fields=flight(trip.depart_on))
    services.trip_book(actor=assistant, trip=trip)

    services.segment_change(
        actor=assistant, segment=segment, fields=flight(trip.depart_on, cost="900")
    )

    trip.refresh_from_db()
    assert trip.status == Trip.Status.PLANNING
    with pytest.raises(services.TravelError, match="nothing to approve"):
        services.trip_approve(actor=owner, trip=trip)


def test_a_trip_the_owner_books_leaves_nothing_in_the_assistants_pool(
    trip, owner, django_capture_on_commit_callbacks
):
    services.segment_add(actor=owner, trip=trip, fields=flight(trip.depart_on))

    with django_capture_on_commit_callbacks(execute=True):
        services.trip_book(actor=owner, trip=trip)

    trip.task.refresh_from_db()
    assert trip.task.status == TaskStatus.CANCELLED


def test_email_subjects_show_the_trip_as_written(
    trip, assistant, owner, django_capture_on_commit_callbacks
):
    trip.purpose = "Renard's trip to O'Hare & back"
    trip.save()
    services.segment_add(actor=assistant, trip=trip, fields=flight(trip.depart_on))
    with django_capture_on_commit_callbacks(execute=True):
        services.trip_book(actor=assistant, trip=trip)

    (booked,) = [m for m in mail.outbox if m.subject.startswith("Booked:")]
    assert booked.subject.startswith("Booked: Renard's trip to O'Hare & back,")


def test_another_organization_cannot_see_or_change_a_trips_segments(
    client_for, outsider, trip, assistant
):
    segment = services.segment_add(actor=assistant, trip=trip, fields=flight(trip.depart_on))
    client = client_for(outsider)

    responses = [
        client.get(reverse("travel:segment_edit", args=[segment.pk])),
        client.post(reverse("travel:segment_edit", args=[segment.pk]), {"provider": "X"}),
        client.post(reverse("travel:segment_cancel", args=[segment.pk])),
        client.post(reverse("travel:segment_add", args=[trip.pk]), {"provider": "X"}),
        client.post(reverse("travel:thank", args=[trip.pk]), {"note": "Thanks"}),
    ]

    assert [response.status_code for response in responses] == [404] * 5
    segment.refresh_from_db()
    assert (segment.provider, segment.status) == ("Delta", Segment.Status.PROPOSED)
    assert trip.segments.count() == 1
