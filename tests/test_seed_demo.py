from django.core.management import call_command

from accounts.models import User
from checkins.models import CheckIn, Delivery
from clients.models import TeamMember
from tasks.models import Task
from travel.models import RoutineTrip
from vendors.models import Vendor


def test_demo_data_can_be_loaded_twice_without_doubling(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)
    counts = (Task.objects.count(), CheckIn.objects.count(), TeamMember.objects.count())

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)

    assert (Task.objects.count(), CheckIn.objects.count(), TeamMember.objects.count()) == counts
    sent, awaiting = CheckIn.objects.order_by("created_at")
    assert sent.status == CheckIn.Status.SENT
    assert Delivery.objects.filter(checkin=sent, status="sent").count() > 0
    assert awaiting.status == CheckIn.Status.AWAITING_APPROVAL
    assert awaiting.written_by.email == "rhonda@vaportal.example"
    renard = User.objects.get(email="renard@bergstromcars.example")
    assert renard.travel_profile.known_traveler_number == "TT7Q21984"
    assert RoutineTrip.objects.get().title == "Dealer association meeting"
    assert Vendor.objects.get(name="Fox Valley Detailing").authority == "draft"
