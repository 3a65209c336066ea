"""Ending an engagement: the assistant's open work on the client goes back to the pool, and
nothing about the client is mailed to her any more, whatever its people and the beat ticks
do afterwards."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from accounts.models import User
from assistants import services
from tasks import notifications, recurring
from tasks import services as task_services
from tasks.models import Notification, Status, Task, TaskEvent
from tests.factories import EngagementFactory, TaskFactory
from tests.helpers import A_NOVEMBER_WEDNESDAY
from tests.travel.conftest import flight, hotel, in_days
from travel import services as travel_services
from travel.models import Trip
from vapportal.models import AuditEvent, OutgoingEmail

# Its dates and hours are written for the suite's own moment.
pytestmark = pytest.mark.clock(A_NOVEMBER_WEDNESDAY)

CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture
def backup(organization):
    """Another assistant of the client, who stays."""
    return EngagementFactory(
        organization=organization, role="backup", assistant__full_name="Marcus Webb"
    ).assistant


def taken_task(owner, assistant, organization, **fields) -> Task:
    task = TaskFactory(organization=organization, created_by=owner, **fields)
    return task_services.task_claim(actor=assistant, task=task)


def weekly_rule(owner, organization, assistant):
    return recurring.recurring_task_create(
        actor=owner,
        organization=organization,
        title="Send the weekly sales report",
        rrule="FREQ=WEEKLY;BYDAY=MO",
        starts_on=date(2026, 1, 1),
        due_time=time(9, 0),
        timezone="America/Chicago",
        lead_days=2,
        assignee=assistant,
    )


def test_her_open_tasks_go_back_to_the_pool_with_a_line_on_their_timeline(
    admin_user, owner, organization, engagement, assistant
):
    working = taken_task(owner, assistant, organization, title="Order the banners")
    waiting = taken_task(owner, assistant, organization, title="Book the caterer")
    task_services.task_move(actor=assistant, task=waiting, to=Status.WAITING, note="Which day?")
    done = taken_task(owner, assistant, organization, title="Renew the domain")
    task_services.task_move(actor=assistant, task=done, to=Status.DONE)

    moved = services.engagement_end(actor=admin_user, engagement=engagement)

    for task in (working, waiting, done):
        task.refresh_from_db()
    assert (working.status, working.assignee) == (Status.NEW, None)
    assert (waiting.status, waiting.assignee) == (Status.NEW, None)
    assert (done.status, done.assignee) == (Status.DONE, assistant)
    event = working.events.last()
    assert (event.actor, event.kind, event.from_status, event.to_status) == (
        admin_user,
        TaskEvent.Kind.MOVED,
        Status.IN_PROGRESS,
        Status.NEW,
    )
    assert event.note == ("Back to the pool: Rhonda Hayes's engagement with Bergstrom Cars ended")
    assert waiting.events.last().from_status == Status.WAITING
    assert sorted(task.title for task in moved.tasks) == ["Book the caterer", "Order the banners"]
    assert "back to the pool: 2 open tasks, no recurring tasks" in (
        AuditEvent.objects.get(action="engagement.ended").summary
    )


def test_her_recurring_rules_make_pool_work_afterwards(
    admin_user, owner, organization, engagement, assistant, backup
):
    rule = weekly_rule(owner, organization, assistant)

    services.engagement_end(actor=admin_user, engagement=engagement)

    rule.refresh_from_db()
    assert rule.assignee is None
    with time_machine.travel(datetime(2026, 11, 21, 8, 0, tzinfo=CHICAGO), tick=False):
        assert recurring.recurring_tasks_materialize() == 1
    task = Task.objects.get(recurring_task=rule)
    assert (task.status, task.assignee) == (Status.NEW, None)
    assert Notification.objects.get(task=task, kind="new").user == backup
    assert AuditEvent.objects.filter(action="recurring_task.handed_over").exists()


def test_ending_twice_moves_nothing_the_second_time(admin_user, owner, organization, engagement):
    taken_task(owner, engagement.assistant, organization)
    services.engagement_end(actor=admin_user, engagement=engagement)

    again = services.engagement_end(actor=admin_user, engagement=engagement)

    assert again.clients == []
    assert AuditEvent.objects.filter(action="engagement.ended").count() == 1


@pytest.mark.parametrize("preference", [User.Notify.IMMEDIATELY, User.Notify.DAILY_DIGEST])
def test_no_email_reaches_her_about_the_client_once_her_engagement_ended(
    admin_user, owner, organization, engagement, assistant, backup, preference
):
    assistant.notify = preference
    assistant.save()
    engagement.travel_budget_limit = Decimal("500")
    engagement.save()
    now = timezone.now()
    # Her work: a task due in two hours, one with a budget she asked more time on, one she
    # finished, one waiting for the owner; a recurring rule; a trip the owner has to approve.
    due_soon = taken_task(
        owner, assistant, organization, title="File the permit", due_at=now + timedelta(hours=2)
    )
    budgeted = taken_task(owner, assistant, organization, title="Plan", budget_minutes=30)
    task_services.time_entry_log(actor=assistant, task=budgeted, minutes=30)
    request = task_services.budget_request(
        actor=assistant, task=budgeted, extra_minutes=30, reason="The printer is late"
    )
    finished = taken_task(owner, assistant, organization, title="Renew the domain")
    task_services.task_move(actor=assistant, task=finished, to=Status.DONE)
    waiting = taken_task(owner, assistant, organization, title="Book the caterer")
    task_services.task_move(actor=assistant, task=waiting, to=Status.WAITING, note="Which day?")
    rule = weekly_rule(owner, organization, assistant)
    trip = travel_services.trip_request(
        actor=owner,
        organization=organization,
        traveler=owner,
        purpose="Dealer association meeting",
        destinations="Minneapolis",
        depart_on=in_days(20),
        return_on=in_days(22),
    )
    travel_services.segment_add(actor=assistant, trip=trip, fields=flight(trip.depart_on))
    travel_services.segment_add(actor=assistant, trip=trip, fields=hotel(trip.depart_on))
    travel_services.trip_book(actor=assistant, trip=trip)
    # Something waits for her digest (or went out at once).
    task_services.comment_add(actor=owner, task=due_soon, body="The city wants a stamp.")
    last_before = OutgoingEmail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    services.engagement_end(actor=admin_user, engagement=engagement)

    # The client's people carry on...
    task_services.comment_add(actor=owner, task=due_soon, body="Any news?")
    task_services.comment_add(actor=owner, task=waiting, body="Thursday.")
    task_services.task_thank(actor=owner, task=finished, note="Thank you!")
    task_services.task_move(actor=owner, task=finished, to=Status.IN_PROGRESS, note="Once more")
    task_services.budget_decide(actor=owner, request=request, approve=True)
    task_services.task_create(actor=owner, organization=organization, title="Order the flags")
    travel_services.trip_decline(actor=owner, trip=Trip.objects.get(pk=trip.pk), note="Too dear")
    # ...and so do the beat ticks: due reminders, recurring tasks, tomorrow's digests.
    assert notifications.due_reminders_dispatch(now=now + timedelta(hours=1)) >= 1
    with time_machine.travel(datetime(2026, 11, 21, 8, 0, tzinfo=CHICAGO), tick=False):
        assert recurring.recurring_tasks_materialize() == 1
    notifications.digests_dispatch(now=datetime(2026, 11, 19, 8, 5, tzinfo=CHICAGO))
    notifications.digests_dispatch(now=datetime(2026, 11, 22, 8, 5, tzinfo=CHICAGO))

    afterwards = OutgoingEmail.objects.filter(pk__gt=last_before)
    assert not afterwards.filter(to=assistant.email).exists()
    assert afterwards.filter(to=backup.email).exists()  # the mail that was hers goes on
    assert not Notification.objects.filter(user=assistant, sent_at__isnull=True).exists()
    rule.refresh_from_db()
    assert rule.assignee is None


def test_her_digest_leaves_out_the_client_she_no_longer_works_for(
    admin_user, owner, organization, engagement, assistant, other_organization, outsider
):
    EngagementFactory(assistant=assistant, organization=other_organization, role="backup")
    assistant.notify = User.Notify.DAILY_DIGEST
    assistant.save()
    here = taken_task(owner, assistant, organization, title="Order the banners")
    there = taken_task(outsider, assistant, other_organization, title="Order the X-ray film")
    task_services.comment_add(actor=owner, task=here, body="Blue, please.")
    task_services.comment_add(actor=outsider, task=there, body="The usual size.")

    services.engagement_end(actor=admin_user, engagement=engagement)
    assert notifications.digests_dispatch(now=datetime(2026, 11, 19, 8, 5, tzinfo=CHICAGO)) == 1

    (digest,) = OutgoingEmail.objects.filter(to=assistant.email, template="task_digest")
    assert "Order the X-ray film" in digest.text_body
    assert "Order the banners" not in digest.text_body


def test_the_preview_says_what_goes_back_to_the_pool_and_moves_nothing(
    owner, organization, engagement, assistant
):
    task = taken_task(owner, assistant, organization)
    weekly_rule(owner, organization, assistant)

    preview = services.engagement_end_preview(engagement=engagement)

    assert (len(preview.tasks), len(preview.recurring_tasks)) == (1, 1)
    task.refresh_from_db()
    engagement.refresh_from_db()
    assert (task.assignee, engagement.is_active) == (assistant, True)
