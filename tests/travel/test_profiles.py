"""Travel profiles: the sensitive numbers are encrypted at rest, masked on every page, and
shown in full only to the traveler and their travel assistant, each time on the record."""

import logging

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from travel import services
from travel.models import TravelProfile
from vapportal.models import AuditEvent, OutgoingEmail

from .conftest import flight, hotel

KNOWN_TRAVELER = "TT84512377"
REDRESS = "RD55019342"
LOYALTY = "Delta SkyMiles 9988776655"
NUMBERS = (KNOWN_TRAVELER, REDRESS, "9988776655")


@pytest.fixture
def profile(owner):
    return services.profile_save(
        actor=owner,
        profile=services.profile_for(owner),
        home_airport="ATW",
        seat="aisle",
        known_traveler_number=KNOWN_TRAVELER,
        redress_number=REDRESS,
        loyalty_programs=LOYALTY,
    )


def profile_url(traveler) -> str:
    return reverse("travel:profile_of", args=[traveler.pk])


def reveal_url(traveler) -> str:
    return reverse("travel:reveal", args=[traveler.pk])


def shows_a_number(html: str) -> bool:
    return any(number in html for number in NUMBERS)


def form_data(**changes) -> dict:
    return {
        "home_airport": "ATW",
        "seat": "aisle",
        "cabin": "economy",
        "meal": "",
        "preferred_airlines": "Delta",
        "avoided_airlines": "",
        "hotel_chains": "Hilton",
        "car_size": "",
        "emergency_contact": "Mara Bergstrom, 920-555-0101",
        "notes": "",
        "known_traveler_number": "",
        "redress_number": "",
        "loyalty_programs": "",
        **changes,
    }


def test_the_sensitive_numbers_are_encrypted_in_the_database(profile):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT known_traveler_number, redress_number, loyalty_programs "
            "FROM travel_travelprofile WHERE id = %s",
            [profile.pk],
        )
        raw = " ".join(str(value) for value in cursor.fetchone())

    assert not any(number in raw for number in NUMBERS)
    assert "TT845" not in raw and "SkyMiles" not in raw
    stored = TravelProfile.objects.get(pk=profile.pk)
    assert (
        stored.known_traveler_number,
        stored.redress_number,
        stored.loyalty_programs,
    ) == (KNOWN_TRAVELER, REDRESS, LOYALTY)


def test_the_traveler_sees_only_the_masks_until_they_reveal(client_for, owner, profile):
    client = client_for(owner)

    page = client.get(reverse("travel:profile")).content.decode()

    assert not shows_a_number(page)
    assert "••••77" in page and "••••42" in page and "••••55" in page
    assert not AuditEvent.objects.filter(action="travel.reveal").exists()

    revealed = client.post(reveal_url(owner))
    assert revealed.status_code == 200
    html = revealed.content.decode()
    assert KNOWN_TRAVELER in html and REDRESS in html and "9988776655" in html
    assert revealed["Cache-Control"] == "no-store"
    (event,) = AuditEvent.objects.filter(action="travel.reveal")
    assert event.actor == owner
    assert not any(number in event.summary for number in NUMBERS)


def test_the_travel_assistant_sees_masks_and_reveals_on_the_record(
    client_for, owner, assistant, profile
):
    client = client_for(assistant)

    page = client.get(profile_url(owner))
    assert page.status_code == 200
    assert not shows_a_number(page.content.decode())
    assert "••••77" in page.content.decode()

    revealed = client.post(reveal_url(owner))
    assert revealed.status_code == 200
    assert KNOWN_TRAVELER in revealed.content.decode()
    (event,) = AuditEvent.objects.filter(action="travel.reveal")
    assert event.actor == assistant
    assert not any(number in str(event) for number in NUMBERS)


def test_each_reveal_is_recorded(client_for, owner, profile):
    client = client_for(owner)
    client.post(reveal_url(owner))
    client.post(reveal_url(owner))

    assert AuditEvent.objects.filter(action="travel.reveal", actor=owner).count() == 2


def test_a_manager_sees_the_profile_masked_and_cannot_reveal(client_for, owner, manager, profile):
    client = client_for(manager)

    page = client.get(profile_url(owner))
    assert page.status_code == 200
    html = page.content.decode()
    assert not shows_a_number(html)
    assert "••••77" in html
    assert reverse("travel:reveal", args=[owner.pk]) not in html

    assert client.post(reveal_url(owner)).status_code == 404
    assert not AuditEvent.objects.filter(action="travel.reveal").exists()


def test_a_manager_cannot_change_the_owners_profile(client_for, owner, manager, profile):
    response = client_for(manager).post(
        profile_url(owner), form_data(home_airport="ORD", known_traveler_number="XX1")
    )

    assert response.status_code == 404
    profile.refresh_from_db()
    assert (profile.home_airport, profile.known_traveler_number) == ("ATW", KNOWN_TRAVELER)


def test_an_assistant_without_travel_authority_cannot_reveal(
    client_for, owner, assistant, engagement, profile
):
    engagement.can_book_travel = False
    engagement.save()
    client = client_for(assistant)

    page = client.get(profile_url(owner))
    assert page.status_code == 200 and not shows_a_number(page.content.decode())
    assert client.post(reveal_url(owner)).status_code == 404
    assert not AuditEvent.objects.filter(action="travel.reveal").exists()


def test_an_assistant_whose_engagement_ended_gets_404(
    client_for, owner, assistant, engagement, profile
):
    engagement.ended_at = timezone.now()
    engagement.save()
    client = client_for(assistant)

    assert client.get(profile_url(owner)).status_code == 404
    assert client.post(reveal_url(owner)).status_code == 404


@pytest.mark.parametrize("stranger_fixture", ["outsider", "other_assistant"])
def test_another_organizations_user_gets_404_on_the_profile_and_the_reveal(
    request, client_for, owner, profile, stranger_fixture
):
    client = client_for(request.getfixturevalue(stranger_fixture))

    assert client.get(profile_url(owner)).status_code == 404
    assert client.post(reveal_url(owner)).status_code == 404
    assert client.post(profile_url(owner), form_data(home_airport="ORD")).status_code == 404
    assert not AuditEvent.objects.filter(action="travel.reveal").exists()
    profile.refresh_from_db()
    assert profile.home_airport == "ATW"


def test_saving_with_empty_number_boxes_keeps_the_stored_numbers(client_for, owner, profile):
    response = client_for(owner).post(
        reverse("travel:profile"), form_data(home_airport="msp", hotel_chains="Marriott")
    )

    assert response.status_code == 302
    profile.refresh_from_db()
    assert (profile.home_airport, profile.hotel_chains) == ("MSP", "Marriott")
    assert (profile.known_traveler_number, profile.redress_number, profile.loyalty_programs) == (
        KNOWN_TRAVELER,
        REDRESS,
        LOYALTY,
    )


def test_a_new_number_replaces_the_stored_one(client_for, owner, profile):
    client_for(owner).post(reverse("travel:profile"), form_data(redress_number="RD11112299"))

    profile.refresh_from_db()
    assert (profile.redress_number, profile.known_traveler_number) == ("RD11112299", KNOWN_TRAVELER)


def test_remove_clears_one_number_and_keeps_the_others(client_for, owner, profile):
    client_for(owner).post(
        reverse("travel:profile"), form_data(clear_sensitive=["known_traveler_number"])
    )

    profile.refresh_from_db()
    assert not profile.known_traveler_number
    assert (profile.redress_number, profile.loyalty_programs) == (REDRESS, LOYALTY)
    page = client_for(owner).get(reverse("travel:profile")).content.decode()
    assert "••••77" not in page and "••••42" in page


def test_a_bad_airport_code_is_a_form_error_and_changes_nothing(client_for, owner, profile):
    response = client_for(owner).post(
        reverse("travel:profile"),
        form_data(home_airport="12", hotel_chains="Marriott", clear_sensitive=["redress_number"]),
    )

    assert response.status_code == 200
    assert "An airport code is three or four letters" in response.content.decode()
    profile.refresh_from_db()
    assert (profile.home_airport, profile.hotel_chains, profile.redress_number) == (
        "ATW",
        "",
        REDRESS,
    )


def test_a_refused_form_does_not_put_a_typed_number_back_into_the_page(client_for, owner, profile):
    response = client_for(owner).post(
        reverse("travel:profile"), form_data(home_airport="12", known_traveler_number="TT99887766")
    )

    assert response.status_code == 200
    assert "TT99887766" not in response.content.decode()
    profile.refresh_from_db()
    assert profile.known_traveler_number == KNOWN_TRAVELER


def test_trip_emails_and_logs_never_carry_the_numbers(
    owner, assistant, profile, trip, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    segment = services.segment_add(actor=assistant, trip=trip, fields=flight(trip.depart_on))
    services.segment_add(actor=assistant, trip=trip, fields=hotel(trip.depart_on))
    with django_capture_on_commit_callbacks(execute=True):
        services.trip_book(actor=assistant, trip=trip)
    later = flight(trip.depart_on)
    later.start_at = later.start_at.replace(hour=18)
    later.end_at = later.end_at.replace(hour=19)
    with django_capture_on_commit_callbacks(execute=True):
        services.segment_change(actor=assistant, segment=segment, fields=later)

    subjects = [message.subject for message in mail.outbox]
    assert any(subject.startswith("Booked:") for subject in subjects)
    assert any(subject.startswith("Changed:") for subject in subjects)
    for message in mail.outbox:
        parts = [message.subject, message.body]
        parts += [content for content, _ in message.alternatives]
        parts += [str(content) for _, content, _ in message.attachments]
        assert not any(number in part for part in parts for number in NUMBERS), message.subject
    for email in OutgoingEmail.objects.all():
        stored = f"{email.subject} {email.text_body} {email.html_body} {email.attachments}"
        assert not any(number in stored for number in NUMBERS)
    assert not any(number in caplog.text for number in NUMBERS)
