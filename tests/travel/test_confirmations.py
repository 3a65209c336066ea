"""Actions that cannot be taken back ask first, on a page that says what they do: cancelling a
trip, and making a new calendar link. The page changes nothing; only its form acts."""

import pytest
from django.core import mail
from django.urls import reverse

from tasks.models import Status as TaskStatus
from travel import services
from travel.models import Segment, Trip

from .conftest import flight, hotel

FEED = reverse("travel:feed_regenerate")


def cancel_url(trip: Trip) -> str:
    return reverse("travel:cancel", args=[trip.pk])


@pytest.fixture
def booked(trip, assistant, django_capture_on_commit_callbacks):
    services.segment_add(actor=assistant, trip=trip, fields=flight(trip.depart_on))
    services.segment_add(actor=assistant, trip=trip, fields=hotel(trip.depart_on))
    with django_capture_on_commit_callbacks(execute=True):
        services.trip_book(actor=assistant, trip=trip)
    mail.outbox.clear()
    trip.refresh_from_db()
    return trip


def test_the_trip_page_links_to_the_question_instead_of_cancelling_on_one_click(
    client_for, trip, owner
):
    html = client_for(owner).get(trip.get_absolute_url()).content.decode()

    assert f'href="{cancel_url(trip)}"' in html
    assert f'action="{cancel_url(trip)}"' not in html


def test_the_question_says_what_cancelling_a_booked_trip_does_and_changes_nothing(
    client_for, booked, owner
):
    response = client_for(owner).get(cancel_url(booked))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Cancel “Dealer association meeting”?" in html
    assert "cancels its 2 segments (Flight Delta DL 2345, Hotel Hilton Minneapolis)" in html
    assert "leave Renard Bergstrom's calendar feed" in html
    assert "emails Renard Bergstrom that the trip is cancelled" in html
    assert "cannot be undone" in html
    assert f'<form method="post" action="{cancel_url(booked)}">' in html
    booked.refresh_from_db()
    assert booked.status == Trip.Status.BOOKED
    assert set(booked.segments.values_list("status", flat=True)) == {Segment.Status.BOOKED}
    assert mail.outbox == []


def test_the_question_for_a_requested_trip_names_its_booking_task(client_for, trip, owner):
    html = client_for(owner).get(cancel_url(trip)).content.decode()

    assert "cancels its booking task, “Book the trip: Dealer association meeting”" in html
    assert "emails" not in html.split('id="what-cancelling-does"')[1].split("</ul>")[0]


def test_confirming_cancels_the_trip_its_segments_and_its_booking_task(
    client_for, trip, owner, assistant, django_capture_on_commit_callbacks
):
    services.segment_add(actor=assistant, trip=trip, fields=flight(trip.depart_on))

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(cancel_url(trip), {"note": "Meeting moved online"})

    assert response.status_code == 302 and response.url == trip.get_absolute_url()
    trip.refresh_from_db()
    assert trip.status == Trip.Status.CANCELLED
    assert trip.events.last().note == "Meeting moved online"
    assert set(trip.segments.values_list("status", flat=True)) == {Segment.Status.CANCELLED}
    trip.task.refresh_from_db()
    assert trip.task.status == TaskStatus.CANCELLED


def test_a_booking_task_still_in_the_pool_is_cancelled_with_its_trip(trip, owner):
    assert trip.task.status == TaskStatus.NEW

    services.trip_cancel(actor=owner, trip=trip)

    trip.task.refresh_from_db()
    assert trip.task.status == TaskStatus.CANCELLED


def test_asking_to_cancel_a_cancelled_trip_says_so_and_shows_no_question(client_for, trip, owner):
    services.trip_cancel(actor=owner, trip=trip)

    response = client_for(owner).get(cancel_url(trip), follow=True)

    assert response.redirect_chain == [(trip.get_absolute_url(), 302)]
    assert "The trip is cancelled." in response.content.decode()


def test_another_organization_gets_404_for_the_cancel_question(client_for, outsider, trip):
    assert client_for(outsider).get(cancel_url(trip)).status_code == 404
    trip.refresh_from_db()
    assert trip.status == Trip.Status.REQUESTED


def test_the_profile_links_to_the_question_instead_of_making_a_new_link_on_one_click(
    client_for, owner
):
    html = client_for(owner).get(reverse("travel:profile")).content.decode()

    assert f'href="{FEED}"' in html
    assert f'action="{FEED}"' not in html


def test_the_new_link_question_says_subscriptions_end_and_changes_nothing(client_for, owner):
    token = services.profile_for(owner).feed_token

    response = client_for(owner).get(FEED)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Make a new calendar link?" in html
    assert "stops getting your trips" in html and "subscribe to the new link" in html
    assert f'<form method="post" action="{FEED}">' in html
    assert services.profile_for(owner).feed_token == token


def test_confirming_makes_the_new_link_and_ends_the_old_one(client, client_for, owner):
    old = services.profile_for(owner).feed_token

    response = client_for(owner).post(FEED)

    assert response.status_code == 302 and response.url == reverse("travel:profile")
    new = services.profile_for(owner).feed_token
    assert new != old
    assert client.get(reverse("travel:feed", args=[old])).status_code == 404
