"""With the demo data loaded, every page of the portal answers each demo person as it should:
its content, or a 404 where it is not theirs; and the demo shows what a newcomer should see."""

import pytest
from django.core.management import call_command

from accounts.models import User
from checkins.models import CheckIn, Delivery
from clients.models import TeamMember
from tasks.models import Task
from travel.models import RoutineTrip, Trip
from vendors.models import Message, Vendor

from .demo import assert_every_page_answers_each_demo_person, load_demo, what_the_demo_lacks


@pytest.fixture
def demo(db, django_capture_on_commit_callbacks):
    return load_demo(django_capture_on_commit_callbacks)


def test_every_page_answers_each_demo_person(client, demo):
    assert_every_page_answers_each_demo_person(client, demo)


def test_the_demo_shows_today_what_a_newcomer_should_see(demo):
    assert what_the_demo_lacks() == []
    renard = demo["renard"]
    assert renard.travel_profile.known_traveler_number == "TT7Q21984"
    assert RoutineTrip.objects.get().title == "Dealer association meeting"
    assert Vendor.objects.get(name="Fox Valley Detailing").authority == "draft"
    assert set(Message.objects.values_list("status", flat=True)) == {"sent", "draft"}
    sent = CheckIn.objects.get(status=CheckIn.Status.SENT)
    assert sent.deliveries.filter(status=Delivery.Status.SENT).count() == 12
    awaiting = CheckIn.objects.get(status=CheckIn.Status.AWAITING_APPROVAL)
    assert awaiting.written_by == demo["rhonda"]
    assert Task.objects.filter(organization__slug="lakeshore-dental").count() == 2


def test_loading_the_demo_again_the_same_day_changes_nothing(
    demo, django_capture_on_commit_callbacks
):
    before = _counts()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)
    assert _counts() == before


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (User, Task, Trip, CheckIn, Delivery, TeamMember, Message, Vendor)
    }
