"""The demo as a newcomer meets it: loading it, the pages each demo person opens, and what the
demo must show on whatever day it is loaded."""

from datetime import date, datetime, timedelta

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from checkins.models import CheckIn
from checkins.services import checkin_settings_for
from clients.models import Organization
from tasks.models import Project, RecurringTask, Status, Task
from travel.models import RoutineTrip, Trip
from travel.services import occurrences
from vendors.models import Message, Vendor

OPEN = [Status.NEW, Status.IN_PROGRESS, Status.WAITING]


def load_demo(capture_on_commit) -> dict[str, User]:
    """Run `seed_demo` as `make run` does, with the work it queues done; the demo's people by
    the part of their email before the @."""
    with capture_on_commit(execute=True):
        call_command("seed_demo", verbosity=0)
    return {user.email.split("@")[0]: user for user in User.objects.all()}


def bergstrom_pages() -> list[str]:
    """Every page Bergstrom Cars' owner, manager and assistant open, objects included."""
    return [*common_pages(), reverse("checkins:new"), *bergstrom_object_pages()]


def bergstrom_object_pages() -> list[str]:
    """The pages of Bergstrom Cars' own tasks, trips, check-ins, vendors and people."""
    bergstrom = Organization.objects.get(slug="bergstrom-cars")
    vendor = Vendor.objects.get(name="Fox Valley Detailing")
    trips = Trip.objects.filter(organization=bergstrom)
    return [
        Task.objects.filter(organization=bergstrom).order_by("id").first().get_absolute_url(),
        reverse("tasks:project_detail", args=[Project.objects.get(organization=bergstrom).pk]),
        reverse(
            "tasks:recurring_detail",
            args=[RecurringTask.objects.filter(organization=bergstrom).first().pk],
        ),
        RoutineTrip.objects.get(organization=bergstrom).get_absolute_url(),
        *[trip.get_absolute_url() for trip in trips],
        *[reverse("travel:itinerary", args=[trip.pk]) for trip in trips],
        *[checkin.get_absolute_url() for checkin in CheckIn.objects.filter(organization=bergstrom)],
        vendor.get_absolute_url(),
        reverse("vendors:write", args=[vendor.pk]),
        *[message.get_absolute_url() for message in Message.objects.filter(vendor=vendor)],
        reverse("travel:profile_of", args=[bergstrom.memberships.get(role="owner").user_id]),
    ]


def common_pages() -> list[str]:
    """The pages every owner, manager and assistant has, whatever their organization."""
    return [
        reverse("home"),
        reverse("tasks:list"),
        reverse("tasks:new"),
        reverse("tasks:projects"),
        reverse("tasks:recurring"),
        reverse("tasks:recurring_new"),
        reverse("travel:list"),
        reverse("travel:trip_new"),
        reverse("travel:profile"),
        reverse("travel:routines"),
        reverse("travel:routine_new"),
        reverse("checkins:list"),
        reverse("roster:list"),
        reverse("vendors:list"),
        reverse("vendors:new"),
        reverse("vendors:import"),
        reverse("vendors:authority"),
        reverse("vendors:inbox"),
        reverse("accounts:profile"),
        reverse("help"),
    ]


OWNER_PAGES = ["checkins:settings", "vendors:review", "vendors:settings"]
ASSISTANT_PAGES = ["tasks:queue", "vendors:hand_over"]
STAFF_PAGES = [
    "staff:accounts",
    "staff:invitations",
    "staff:engagements",
    "staff:hand_over",
    "staff:audit",
]


def answers(client, user: User, urls: list[str]) -> dict[str, int]:
    client.force_login(user)
    return {url: client.get(url).status_code for url in urls}


def assert_every_page_answers_each_demo_person(client, people: dict[str, User]) -> None:
    """Bergstrom Cars' people open every one of its pages; the other client's people find
    none of its objects (404) but have their own pages; each role's own pages answer it and
    no one else."""
    pages = bergstrom_pages()
    for person in ["renard", "jill.meyer", "rhonda"]:
        failures = _failures(answers(client, people[person], pages), 200)
        assert failures == {}, (person, failures)
    for person in ["elena", "marcus"]:
        failures = _failures(answers(client, people[person], common_pages()), 200)
        assert failures == {}, (person, failures)
        objects = bergstrom_object_pages()
        failures = _failures(answers(client, people[person], objects), 404)
        assert failures == {}, (person, failures)
    # Marcus's engagement grants no check-in authority: he cannot write one for Elena.
    new_checkin = reverse("checkins:new")
    assert answers(client, people["elena"], [new_checkin]) == {new_checkin: 200}
    assert answers(client, people["marcus"], [new_checkin]) == {new_checkin: 404}
    owner_pages = [reverse(name) for name in OWNER_PAGES]
    assistant_pages = [reverse(name) for name in ASSISTANT_PAGES]
    staff_pages = [reverse(name) for name in STAFF_PAGES]
    for person, expected in [
        ("renard", {200: owner_pages, 404: staff_pages}),
        ("rhonda", {200: assistant_pages, 404: owner_pages + staff_pages}),
        ("admin", {200: staff_pages + [reverse("home")]}),
    ]:
        for status, urls in expected.items():
            failures = _failures(answers(client, people[person], urls), status)
            assert failures == {}, (person, failures)


def _failures(statuses: dict[str, int], expected: int) -> dict[str, int]:
    """The pages that did not answer `expected`, with what they answered."""
    return {url: status for url, status in statuses.items() if status != expected}


def what_the_demo_lacks(now: datetime | None = None) -> list[str]:
    """What the demo should show Renard on the day of `now` (in Chicago) and does not."""
    now = now or timezone.now()
    bergstrom = Organization.objects.get(slug="bergstrom-cars")
    zone = bergstrom.zone
    today = timezone.localdate(now, timezone=zone)

    def local_day(moment: datetime) -> date:
        return timezone.localtime(moment, zone).date()

    open_tasks = list(Task.objects.filter(organization=bergstrom, status__in=OPEN))
    due_days = [local_day(task.due_at) for task in open_tasks if task.due_at]
    trips = Trip.objects.filter(organization=bergstrom)
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    checkin_settings = checkin_settings_for(bergstrom)
    last_send_day = next(
        day
        for day in (today - timedelta(days=back) for back in range(1, 15))
        if checkin_settings.is_send_day(day)
    )
    routine = RoutineTrip.objects.get(organization=bergstrom)
    coming = [
        day
        for day in occurrences(routine, today, today + timedelta(days=routine.lead_days))
        if day - timedelta(days=routine.days_before) >= today
    ]
    made = set(trips.filter(routine=routine).values_list("occurrence_date", flat=True))
    checks = {
        "a task due today": today in due_days or _in_the_days_last_minute(now, zone),
        "an overdue task": any(task.due_at and task.due_at < now for task in open_tasks),
        "a task due next week": any(
            today + timedelta(days=7) <= day <= today + timedelta(days=13) for day in due_days
        ),
        "a trip completed last month": trips.filter(
            status=Trip.Status.COMPLETED, depart_on__gte=last_month, depart_on__lt=this_month
        ).exists(),
        "a booked trip in the coming weeks, with flights and a hotel": trips.filter(
            status=Trip.Status.BOOKED,
            depart_on__gt=today,
            depart_on__lte=today + timedelta(days=28),
            segments__kind="flight",
        )
        .filter(segments__kind="hotel")
        .exists(),
        "a trip awaiting Renard's approval": trips.filter(
            status=Trip.Status.AWAITING_APPROVAL
        ).exists(),
        "the routine's coming occurrences as trips": set(coming) <= made,
        "the check-in of the last send day, sent": CheckIn.objects.filter(
            organization=bergstrom, status=CheckIn.Status.SENT, send_on=last_send_day
        ).exists(),
        "a check-in draft awaiting approval": CheckIn.objects.filter(
            organization=bergstrom, status=CheckIn.Status.AWAITING_APPROVAL
        ).exists(),
    }
    return [what for what, present in checks.items() if not present]


def _in_the_days_last_minute(now: datetime, zone) -> bool:
    local = timezone.localtime(now, zone)
    return (local.hour, local.minute) == (23, 59)
