"""Bad input never breaks a page: what was found by trying bad input by hand, each with its
test."""

import random
import time
from datetime import date

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation
from assistants.models import Authority
from checkins import services as checkin_services
from tasks.models import Task
from tasks.search import search_tasks
from tests.factories import TaskFactory, TeamMemberFactory
from travel import services as travel_services
from travel.models import RoutineTrip
from vendors import services as vendor_services
from vendors.models import Message

# What was found by trying bad input by hand --------------------------------------------------


@pytest.mark.parametrize("param", ["task", "reply_to"])
@pytest.mark.parametrize("value", ["abc", str(10**20), "9" * 10_000, "1\x00"])
def test_writing_to_a_vendor_about_a_task_or_message_that_cannot_be_one_is_a_404(
    client_for, owner, vendor, param, value
):
    response = client_for(owner).get(reverse("vendors:write", args=[vendor.pk]), {param: value})

    assert response.status_code == 404


def test_a_message_written_about_a_task_that_cannot_be_one_is_not_stored(
    client_for, owner, vendor, contact
):
    url = reverse("vendors:write", args=[vendor.pk])

    response = client_for(owner).post(
        f"{url}?task=abc", {"contact": contact.pk, "subject": "Fleet detailing", "body": "Hi"}
    )

    assert response.status_code == 404
    assert not Message.objects.exists()


@pytest.mark.parametrize("list_name", ["tasks:list", "tasks:queue"])
def test_a_page_number_past_any_list_shows_its_last_page(
    client_for, owner, assistant, organization, list_name
):
    for _ in range(30):
        TaskFactory(organization=organization, created_by=owner)

    response = client_for(assistant).get(reverse(list_name), {"page": str(10**20)})

    assert response.status_code == 200
    assert (response.context["page"].number, len(response.context["page"])) == (2, 5)


def test_search_text_with_a_nul_character_searches_for_the_rest_of_it(
    client_for, owner, admin_user, vendor, organization
):
    checkin_services.checkin_write(
        actor=owner,
        organization=organization,
        content=checkin_services.Content(subject="Service week", message="Thanks, all."),
    )
    vendor_services.message_log(
        actor=owner,
        vendor=vendor,
        kind=Message.Kind.CALL,
        subject="Fleet detailing",
        body="Twelve trucks.",
        happened_at=timezone.now(),
    )
    searches = [
        (owner, reverse("checkins:list"), "Service\x00", "Service week"),
        (owner, reverse("vendors:list"), "Fox\x00", "Fox Valley Detailing"),
        (owner, vendor.get_absolute_url(), "Fleet\x00", "Fleet detailing"),
        (admin_user, reverse("staff:accounts"), "Renard\x00", "Renard Bergstrom"),
    ]

    for person, url, query, found in searches:
        response = client_for(person).get(url, {"q": query})
        assert response.status_code == 200, url
        assert found in response.content.decode(), url


@pytest.mark.parametrize("query", ["-" * 100, "- " * 100, "pads " + "- " * 40 + "pads", "-(" * 99])
def test_a_task_search_of_minus_signs_answers_with_the_list(client_for, owner, query):
    response = client_for(owner).get(reverse("tasks:list"), {"q": query})

    assert response.status_code == 200


def test_a_minus_right_before_a_word_still_leaves_out_tasks_with_it(owner, organization):
    brakes = TaskFactory(organization=organization, title="Order brake pads", created_by=owner)
    TaskFactory(organization=organization, title="Order tires and brake pads", created_by=owner)

    found = search_tasks(Task.objects.all(), "order -tires -- -")

    assert list(found) == [brakes]


def test_no_search_text_makes_the_full_text_search_fail(db):
    """Random runs of the characters web search reads as operators, many thousands of them."""
    pieces = ["-", "-", " ", '"', "(", ")", "or", "|", "&", "!", ":*", "brakes", "ж", "_", "'"]
    rng = random.Random(2026)
    for _ in range(500):
        text = "".join(rng.choice(pieces) * rng.choice([1, 2, 40]) for _ in range(30))
        with transaction.atomic():
            list(search_tasks(Task.objects.all(), text))


def test_a_note_posted_without_a_form_is_kept_without_its_nul_characters(
    client_for, owner, engagement, organization, vendor, contact
):
    assistant = engagement.assistant
    engagement.checkin_authority = engagement.vendor_email_authority = Authority.DRAFT
    engagement.save()
    TeamMemberFactory(organization=organization)
    checkin = checkin_services.checkin_write(
        actor=assistant,
        organization=organization,
        content=checkin_services.Content(subject="Service week", message="Thanks, all."),
        action="submit",
    )
    task = TaskFactory(organization=organization, created_by=owner)
    draft = vendor_services.message_write(
        actor=assistant,
        vendor=vendor,
        contact=contact,
        to_address=contact.email,
        subject="Fleet detailing",
        body="Twelve trucks?",
        task=task,
    )
    trip = travel_services.trip_request(
        actor=owner,
        organization=organization,
        traveler=owner,
        purpose="Dealer meeting",
        destinations="Minneapolis",
        depart_on=date(2026, 12, 8),
        return_on=date(2026, 12, 9),
    )
    client = client_for(owner)

    client.post(reverse("checkins:decline", args=[checkin.pk]), {"note": "Not\x00 yet"})
    client.post(reverse("vendors:reject", args=[draft.pk]), {"note": "Too\x00 pricey"})
    client.post(reverse("travel:cancel", args=[trip.pk]), {"note": "Plans\x00 changed"})

    assert checkin.events.order_by("-id").first().note == "Not yet"
    assert task.events.order_by("-id").first().note.endswith("“Fleet detailing”. Too pricey")
    assert trip.events.order_by("-id").first().note == "Plans changed"
    checkin.refresh_from_db(), draft.refresh_from_db(), trip.refresh_from_db()
    assert (checkin.status, draft.status, trip.status) == ("draft", "rejected", "cancelled")


# An address of 265 characters: valid, but longer than mail servers (and the columns) take.
TOO_LONG_ADDRESS = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + ".example"


def test_an_invitation_to_an_address_longer_than_mail_servers_take_is_a_form_error(
    client_for, admin_user, organization
):
    response = client_for(admin_user).post(
        reverse("staff:invitation_new"),
        {"email": TOO_LONG_ADDRESS, "role": "manager", "organization": organization.pk},
    )

    assert response.status_code == 200
    assert "at most 254 characters" in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_login_with_an_address_longer_than_any_account_has_is_refused(client, owner):
    response = client.post(
        reverse("accounts:login"), {"username": TOO_LONG_ADDRESS, "password": "not-it"}
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_routine_posted_with_a_thousand_segment_rows_is_refused_before_they_are_built(
    client_for, owner, organization
):
    started = time.monotonic()
    response = client_for(owner).post(
        reverse("travel:routine_new"),
        {"segments-TOTAL_FORMS": "1000", "segments-INITIAL_FORMS": "0", "title": "Meeting"},
    )

    assert response.status_code == 200
    assert "Please submit at most 6 forms." in response.content.decode()
    assert len(response.context["formset"].forms) == 6
    assert not RoutineTrip.objects.exists()
    assert time.monotonic() - started < 5
