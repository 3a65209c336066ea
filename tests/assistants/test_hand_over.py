"""Handing one assistant's work to another: every client, with the open tasks, the recurring
rules whose tasks went to her, the unbooked trips and the vendor conversations."""

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from assistants import services
from tasks import recurring
from tasks import services as task_services
from tasks.models import RecurringTask, Status, Task, TaskEvent
from tests.factories import AssistantFactory, EngagementFactory, TaskFactory
from tests.travel.conftest import flight, hotel, in_days
from travel import services as travel_services
from travel.models import Trip
from vendors.models import Message

CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture
def marcus(db):
    return AssistantFactory(full_name="Marcus Webb")


@pytest.fixture
def weekly_report(owner, organization, assistant):
    """A recurring rule whose tasks go to Rhonda, every Monday at 9:00."""
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


def rule_fields(rule: RecurringTask, **changes) -> dict:
    fields = {
        "title": rule.title,
        "rrule": rule.rrule,
        "starts_on": rule.starts_on,
        "due_time": rule.due_time,
        "timezone": rule.timezone,
        "lead_days": rule.lead_days,
        "assignee": rule.assignee,
    }
    return {**fields, **changes}


def test_the_recurring_rules_tasks_go_to_the_new_assistant_after_a_hand_over(
    admin_user, owner, assistant, marcus, weekly_report
):
    services.engagements_hand_over(actor=admin_user, from_assistant=assistant, to_assistant=marcus)

    weekly_report.refresh_from_db()
    assert weekly_report.assignee == marcus
    # Saturday 21 November: Monday's report is two days away, so its task is made.
    with time_machine.travel(datetime(2026, 11, 21, 8, 0, tzinfo=CHICAGO), tick=False):
        assert recurring.recurring_tasks_materialize() == 1
    task = Task.objects.get(recurring_task=weekly_report)
    assert (task.assignee, task.status) == (marcus, Status.IN_PROGRESS)

    changed = recurring.recurring_task_update(
        actor=owner, rule=weekly_report, **rule_fields(weekly_report, title="Weekly sales")
    )
    assert (changed.title, changed.assignee) == ("Weekly sales", marcus)


def test_an_ended_rule_keeps_the_assistant_it_named(
    admin_user, owner, assistant, marcus, weekly_report
):
    recurring.recurring_task_end(actor=owner, rule=weekly_report)

    moved = services.engagements_hand_over(
        actor=admin_user, from_assistant=assistant, to_assistant=marcus
    )

    weekly_report.refresh_from_db()
    assert weekly_report.assignee == assistant
    assert moved.recurring_tasks == []


def test_an_unbooked_trip_follows_the_new_assistant_whose_task_the_approval_completes(
    admin_user, owner, organization, engagement, assistant, marcus
):
    engagement.travel_budget_limit = Decimal("500")
    engagement.save()
    trip = travel_services.trip_request(
        actor=owner,
        organization=organization,
        traveler=owner,
        purpose="Dealer association meeting",
        destinations="Minneapolis",
        depart_on=in_days(20),
        return_on=in_days(22),
    )
    task_services.task_claim(actor=assistant, task=trip.task)
    travel_services.segment_add(actor=assistant, trip=trip, fields=flight(trip.depart_on))
    travel_services.segment_add(actor=assistant, trip=trip, fields=hotel(trip.depart_on))
    trip = travel_services.trip_book(actor=assistant, trip=trip)
    assert trip.status == Trip.Status.AWAITING_APPROVAL

    moved = services.engagements_hand_over(
        actor=admin_user, from_assistant=assistant, to_assistant=marcus
    )

    trip.refresh_from_db()
    assert moved.trips == [trip]
    assert (trip.booked_by, trip.task.assignee) == (marcus, marcus)
    assert "Handed over from Rhonda Hayes to Marcus Webb" in trip.events.last().note
    travel_services.trip_approve(actor=owner, trip=trip)
    trip.refresh_from_db()
    assert (trip.status, trip.task.status) == (Trip.Status.BOOKED, Status.DONE)


def test_the_hand_over_says_what_moved_client_by_client(
    admin_user, owner, organization, other_organization, assistant, marcus, weekly_report, vendor
):
    EngagementFactory(assistant=assistant, organization=other_organization, role="backup")
    banners = TaskFactory(organization=organization, created_by=owner, title="Order the banners")
    task_services.task_claim(actor=assistant, task=banners)
    pool_task = TaskFactory(organization=organization, created_by=owner, title="In the pool")
    first = Message.objects.create(
        organization=organization,
        vendor=vendor,
        direction="out",
        status="sent",
        subject="Detailing for the showroom cars",
        body="Could you come on Friday?",
        handled_by=assistant,
    )
    Message.objects.create(
        organization=organization,
        vendor=vendor,
        thread=first,
        direction="in",
        status="received",
        subject="Re: Detailing for the showroom cars",
        body="Friday works.",
        handled_by=assistant,
    )

    moved = services.engagements_hand_over(
        actor=admin_user, from_assistant=assistant, to_assistant=marcus
    )

    bergstrom, lakeshore = moved.clients
    assert (bergstrom.organization, lakeshore.organization) == (organization, other_organization)
    assert bergstrom.tasks == [banners]
    assert bergstrom.recurring_tasks == [weekly_report]
    assert bergstrom.conversations == [first]
    assert (lakeshore.tasks, lakeshore.recurring_tasks, lakeshore.trips) == ([], [], [])
    assert moved.describe() == ("1 open task, 1 recurring task, no trips and 1 vendor conversation")
    pool_task.refresh_from_db()
    assert pool_task.assignee is None
    assert TaskEvent.objects.filter(task=banners, kind="handed_over").exists()


def test_the_preview_shows_what_will_move_and_moves_nothing(
    admin_user, owner, organization, assistant, marcus, weekly_report
):
    banners = TaskFactory(organization=organization, created_by=owner)
    task_services.task_claim(actor=assistant, task=banners)

    preview = services.hand_over_preview(from_assistant=assistant, to_assistant=marcus)

    assert [client.organization for client in preview.clients] == [organization]
    assert (preview.tasks, preview.recurring_tasks) == ([banners], [weekly_report])
    banners.refresh_from_db()
    weekly_report.refresh_from_db()
    assert (banners.assignee, weekly_report.assignee) == (assistant, assistant)


def test_an_assistant_without_clients_has_nothing_to_hand_over(admin_user, marcus):
    idle = AssistantFactory(full_name="Dana Cole")

    with pytest.raises(services.EngagementError, match="Dana Cole has no clients to hand over"):
        services.engagements_hand_over(actor=admin_user, from_assistant=idle, to_assistant=marcus)
