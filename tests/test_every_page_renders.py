"""With the demo data loaded, every page of the portal answers each demo person as it should:
its content, or a 404 where it is not theirs."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from checkins.models import CheckIn
from travel.models import RoutineTrip, Trip
from travel.services import routines_dispatch
from vendors.models import Vendor


@pytest.fixture
def demo(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)
        routines_dispatch()
    return {user.email.split("@")[0]: user for user in User.objects.all()}


def pages() -> list[str]:
    vendor = Vendor.objects.get(name="Fox Valley Detailing")
    checkin = CheckIn.objects.order_by("created_at").first()
    routine = RoutineTrip.objects.get()
    trip = Trip.objects.first()
    return [
        reverse("home"),
        reverse("tasks:list"),
        reverse("tasks:projects"),
        reverse("tasks:recurring"),
        reverse("travel:list"),
        reverse("travel:trip_new"),
        reverse("travel:profile"),
        reverse("travel:routines"),
        reverse("travel:routine_new"),
        routine.get_absolute_url(),
        trip.get_absolute_url(),
        reverse("travel:itinerary", args=[trip.pk]),
        reverse("checkins:list"),
        reverse("checkins:new"),
        checkin.get_absolute_url(),
        reverse("roster:list"),
        reverse("vendors:list"),
        reverse("vendors:new"),
        reverse("vendors:import"),
        reverse("vendors:authority"),
        reverse("vendors:inbox"),
        vendor.get_absolute_url(),
        reverse("vendors:write", args=[vendor.pk]),
    ]


@pytest.mark.parametrize("person", ["renard", "jill.meyer", "rhonda"])
def test_every_page_answers_the_people_of_bergstrom_cars(client, demo, person):
    client.force_login(demo[person])
    for url in pages():
        response = client.get(url)
        assert response.status_code == 200, (person, url, response.status_code)


def test_owner_only_pages_answer_the_owner_and_not_the_assistant(client, demo):
    owner_pages = [
        reverse("checkins:settings"),
        reverse("vendors:review"),
        reverse("vendors:settings"),
    ]
    client.force_login(demo["renard"])
    assert [client.get(url).status_code for url in owner_pages] == [200, 200, 200]
    client.force_login(demo["rhonda"])
    assert [client.get(url).status_code for url in owner_pages] == [404, 404, 404]
    assert client.get(reverse("vendors:hand_over")).status_code == 200
    assert client.get(reverse("tasks:queue")).status_code == 200


def test_the_other_clients_people_find_none_of_bergstrom_cars_pages(client, demo):
    client.force_login(demo["elena"])
    vendor = Vendor.objects.get(name="Fox Valley Detailing")
    for url in [
        vendor.get_absolute_url(),
        CheckIn.objects.first().get_absolute_url(),
        Trip.objects.first().get_absolute_url(),
        RoutineTrip.objects.get().get_absolute_url(),
        reverse("travel:profile_of", args=[demo["renard"].pk]),
    ]:
        assert client.get(url).status_code == 404, url
