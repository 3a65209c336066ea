from django.urls import reverse

from travel import services

from .conftest import flight


def test_the_owner_sees_trips_waiting_for_approval_and_the_assistant_trips_to_book(
    client_for, trip, owner, assistant, engagement
):
    assistant_home = client_for(assistant).get(reverse("home")).content.decode()
    assert "Dealer association meeting" in assistant_home.split('id="trips-to-book"')[1]

    engagement.can_book_travel = False
    engagement.save()
    services.segment_add(actor=assistant, trip=trip, fields=flight(trip.depart_on))
    services.trip_book(actor=assistant, trip=trip)

    owner_home = client_for(owner).get(reverse("home")).content.decode()
    assert "Dealer association meeting" in owner_home.split('id="trips-awaiting"')[1]


def test_thanks_for_a_trip_reach_the_assistant_who_booked_it(
    client_for, trip, owner, assistant, django_capture_on_commit_callbacks
):
    services.segment_add(actor=assistant, trip=trip, fields=flight(trip.depart_on))
    with django_capture_on_commit_callbacks(execute=True):
        services.trip_book(actor=assistant, trip=trip)

    client_for(owner).post(reverse("travel:thank", args=[trip.pk]), {"note": "Smooth as ever"})

    home = client_for(assistant).get(reverse("home")).content.decode()
    assert "Smooth as ever" in home
