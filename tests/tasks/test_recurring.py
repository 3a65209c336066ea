import zoneinfo
from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tasks import recurring
from tasks.models import Notification, RecurringTask, Status, Task
from tasks.recurring import (
    RecurringError,
    Schedule,
    recurring_task_create,
    recurring_tasks_materialize,
    upcoming_occurrences,
)
from tests.factories import EngagementFactory, MembershipFactory, OrganizationFactory
from tests.helpers import at_the_same_moment, queries_for
from vapportal.models import AuditEvent

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
LIST = reverse("tasks:recurring")
NEW = reverse("tasks:recurring_new")
PREVIEW = reverse("tasks:recurring_preview")


def chicago(*args) -> datetime:
    return datetime(*args, tzinfo=CHICAGO)


def local_due(task: Task) -> datetime:
    return task.due_at.astimezone(CHICAGO).replace(tzinfo=None)


def make_rule(actor, organization, **overrides) -> RecurringTask:
    fields = {
        "title": "Send the weekly sales report",
        "rrule": "FREQ=WEEKLY;BYDAY=MO",
        "starts_on": date(2024, 1, 1),
        "due_time": time(9, 0),
        "timezone": "America/Chicago",
        "lead_days": 2,
        **overrides,
    }
    return recurring_task_create(actor=actor, organization=organization, **fields)


def materialize_at(moment: datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return recurring_tasks_materialize()


def form_data(organization=None, **overrides) -> dict:
    data = {
        "title": "Send the weekly sales report",
        "details": "Units sold per dealership, **week over week**.",
        "category": "clerical",
        "priority": "1",
        "budget_minutes": "",
        "assignee": "",
        "frequency": "weekly",
        "interval": "1",
        "weekdays": ["MO"],
        "monthly_mode": "day",
        "month": "1",
        "month_day": "1",
        "ordinal": "1",
        "ordinal_weekday": "MO",
        "due_time": "09:00",
        "starts_on": "2024-03-01",
        "timezone": "America/Chicago",
        "lead_days": "2",
        **overrides,
    }
    if organization is not None:
        data["organization"] = organization.pk
    return data


@pytest.fixture
def rule(owner, organization, engagement):
    return make_rule(owner, organization)


# Setting a rule up.


def test_owner_sets_up_a_weekly_rule_with_the_builder(client_for, owner, organization):
    with time_machine.travel(chicago(2024, 3, 1, 10, 0), tick=False):
        response = client_for(owner).post(NEW, form_data(organization))

    rule = RecurringTask.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("tasks:recurring_detail", args=[rule.pk])
    assert (rule.rrule, rule.due_time, rule.timezone) == (
        "FREQ=WEEKLY;BYDAY=MO",
        time(9, 0),
        "America/Chicago",
    )
    assert (rule.created_by, rule.requested_by) == (owner, owner)
    assert AuditEvent.objects.filter(
        action="recurring_task.created", organization=organization
    ).exists()


def test_the_list_says_the_rule_in_words(client_for, owner, rule):
    response = client_for(owner).get(LIST)

    assert "Every Monday at 9:00" in response.content.decode()


def test_the_form_previews_the_next_five_occurrences(client_for, owner, organization):
    data = form_data(organization, weekdays=["TU", "TH"], interval="2", starts_on="2024-03-06")

    with time_machine.travel(chicago(2024, 3, 6, 8, 0), tick=False):
        response = client_for(owner).post(PREVIEW, data, headers={"HX-Request": "true"})

    body = response.content.decode()
    assert "Every 2 weeks on Tuesday and Thursday at 9:00" in body
    for label in (
        # In 2024, the year of the clock: no year, and the zone of the rule named.
        "Thu 7 Mar, 09:00 CST",
        "Tue 19 Mar, 09:00 CDT",
        "Thu 21 Mar, 09:00 CDT",
        "Tue 2 Apr, 09:00 CDT",
        "Thu 4 Apr, 09:00 CDT",
    ):
        assert label in body
    assert not RecurringTask.objects.exists()


def test_the_preview_button_shows_the_occurrences_without_saving(client_for, owner, organization):
    with time_machine.travel(chicago(2024, 3, 1, 10, 0), tick=False):
        response = client_for(owner).post(NEW, {**form_data(organization), "preview": "1"})

    assert response.status_code == 200
    assert "Mon 4 Mar, 09:00 CST" in response.content.decode()
    assert not RecurringTask.objects.exists()


def test_assistant_sets_up_a_rule_for_the_owner(client_for, assistant, owner, organization):
    response = client_for(assistant).post(NEW, form_data(organization, requested_by=owner.pk))

    rule = RecurringTask.objects.get()
    assert response.status_code == 302
    assert (rule.created_by, rule.requested_by) == (assistant, owner)


def test_assistant_must_say_who_the_tasks_are_for(client_for, assistant, organization):
    response = client_for(assistant).post(NEW, form_data(organization))

    assert response.status_code == 400
    assert "requested_by" in response.context["form"].errors
    assert not RecurringTask.objects.exists()


def test_february_30_is_a_form_error_and_stores_nothing(client_for, owner, organization):
    data = form_data(organization, frequency="yearly", month="2", month_day="30")

    response = client_for(owner).post(NEW, data)

    assert response.status_code == 400
    assert response.context["form"].errors["month_day"] == [
        "February has no day 30: this schedule would never happen."
    ]
    assert not RecurringTask.objects.exists()


def test_a_monthly_schedule_that_never_happens_is_a_form_error(client_for, owner, organization):
    # Every twelve months from February, on the 31st: February never has one.
    data = form_data(
        organization, frequency="monthly", interval="12", month_day="31", starts_on="2024-02-01"
    )

    response = client_for(owner).post(NEW, data)

    assert response.status_code == 400
    assert recurring.NEVER_HAPPENS in response.context["form"].non_field_errors()
    assert not RecurringTask.objects.exists()


def test_the_service_refuses_an_rrule_that_never_occurs(owner, organization):
    with pytest.raises(RecurringError, match="never happens"):
        make_rule(owner, organization, rrule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30")

    assert not RecurringTask.objects.exists()


def test_the_service_refuses_a_rule_more_often_than_daily(owner, organization):
    with pytest.raises(RecurringError, match="at most once a day"):
        make_rule(owner, organization, rrule="FREQ=HOURLY")


def test_a_stranger_cannot_set_up_rules(client_for, stranger):
    assert client_for(stranger).get(NEW).status_code == 404


@pytest.mark.parametrize(
    ("rrule", "words"),
    [
        ("FREQ=WEEKLY;BYDAY=MO", "Every Monday at 9:00"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH", "Every 2 weeks on Tuesday and Thursday at 9:00"),
        (
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
            "On the last business day of the month at 9:00",
        ),
        ("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "Every weekday at 9:00"),
        ("FREQ=MONTHLY;BYDAY=1TU", "On the first Tuesday of the month at 9:00"),
        ("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15", "On the 15th of every 3 months at 9:00"),
        (
            "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH",
            "Every year on the fourth Thursday of November at 9:00",
        ),
        ("FREQ=DAILY;COUNT=3", "FREQ=DAILY;COUNT=3 at 9:00"),  # written by hand
    ],
)
def test_a_rule_reads_as_words(rrule, words):
    assert recurring.rrule_describe(rrule, time(9, 0)) == words


# Occurrences in local time.


@pytest.mark.parametrize(
    ("saturdays", "utc_hours"),
    [
        # Chicago springs forward on Sunday 10 March 2024 ...
        ((chicago(2024, 3, 2, 12, 0), chicago(2024, 3, 9, 12, 0)), [15, 14]),
        # ... and falls back on Sunday 3 November 2024.
        ((chicago(2024, 10, 26, 12, 0), chicago(2024, 11, 2, 12, 0)), [14, 15]),
    ],
    ids=["march", "november"],
)
def test_monday_nine_oclock_stays_nine_local_across_daylight_saving(
    owner, organization, saturdays, utc_hours
):
    make_rule(owner, organization)

    for saturday in saturdays:
        assert materialize_at(saturday) == 1

    tasks = list(Task.objects.order_by("due_at"))
    assert [local_due(task).strftime("%a %H:%M") for task in tasks] == ["Mon 09:00"] * 2
    assert [task.due_at.astimezone(UTC).hour for task in tasks] == utc_hours


def test_each_task_is_created_lead_days_ahead_after_local_midnight(owner, organization):
    make_rule(owner, organization, lead_days=2)

    assert materialize_at(chicago(2024, 3, 1, 23, 55)) == 0
    assert materialize_at(chicago(2024, 3, 2, 0, 5)) == 1
    assert local_due(Task.objects.get()) == datetime(2024, 3, 4, 9, 0)


def test_last_business_day_of_the_month(client_for, owner, organization):
    data = form_data(
        organization,
        title="Close the month's books",
        frequency="monthly",
        monthly_mode="last_business_day",
        due_time="17:00",
        starts_on="2024-06-01",
        lead_days="3",
    )
    with time_machine.travel(chicago(2024, 6, 1, 9, 0), tick=False):
        client_for(owner).post(NEW, data)
        rule = RecurringTask.objects.get()
        upcoming = upcoming_occurrences(rule)

    assert rule.rrule == "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"
    # 30 June is a Sunday, 31 August a Saturday.
    assert [o.local.date() for o in upcoming] == [
        date(2024, 6, 28),
        date(2024, 7, 31),
        date(2024, 8, 30),
        date(2024, 9, 30),
        date(2024, 10, 31),
    ]
    assert materialize_at(chicago(2024, 6, 24, 12, 0)) == 0
    assert materialize_at(chicago(2024, 6, 25, 12, 0)) == 1
    assert local_due(Task.objects.get()) == datetime(2024, 6, 28, 17, 0)


def test_every_two_weeks_on_tuesday_and_thursday(client_for, owner, organization):
    data = form_data(
        organization, interval="2", weekdays=["TU", "TH"], starts_on="2024-03-06", lead_days="14"
    )
    with time_machine.travel(chicago(2024, 3, 6, 10, 0), tick=False):
        client_for(owner).post(NEW, data)

    rule = RecurringTask.objects.get()
    assert rule.rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH"
    assert materialize_at(chicago(2024, 3, 6, 10, 0)) == 2
    assert [local_due(task) for task in Task.objects.order_by("due_at")] == [
        datetime(2024, 3, 7, 9, 0),
        datetime(2024, 3, 19, 9, 0),
    ]


def test_a_time_missing_on_the_spring_forward_day_falls_just_after_the_jump():
    schedule = Schedule("FREQ=DAILY", date(2024, 3, 9), time(2, 30), "America/Chicago")

    labels = [o.label for o in schedule.next(chicago(2024, 3, 8, 12, 0), 3)]

    assert labels == [
        "Sat 9 Mar 2024, 02:30 CST",
        "Sun 10 Mar 2024, 03:30 CDT",
        "Mon 11 Mar 2024, 02:30 CDT",
    ]


# The beat tick.


def test_a_created_task_is_delegated_like_any_other(owner, organization, assistant, rule):
    materialize_at(chicago(2024, 3, 2, 12, 0))

    task = Task.objects.get()
    assert (task.recurring_task, task.occurrence) == (rule, chicago(2024, 3, 4, 9, 0))
    assert (task.status, task.assignee) == (Status.NEW, None)
    assert (task.title, task.created_by, task.requested_by) == (rule.title, owner, owner)
    event = task.events.get()
    assert (event.kind, event.actor, event.to_status) == ("created", owner, Status.NEW)
    assert "recurring" in event.note
    assert Notification.objects.filter(user=assistant, task=task, kind="new").exists()


def test_a_rule_written_by_the_assistant_makes_tasks_for_the_owner(owner, organization, assistant):
    make_rule(assistant, organization, requested_by=owner)

    materialize_at(chicago(2024, 3, 2, 12, 0))

    task = Task.objects.get()
    assert (task.created_by, task.requested_by) == (assistant, owner)


def test_a_rule_with_an_assistant_hands_each_task_to_them(owner, organization, assistant):
    make_rule(owner, organization, assignee=assistant)

    materialize_at(chicago(2024, 3, 2, 12, 0))

    task = Task.objects.get()
    assert (task.status, task.assignee) == (Status.IN_PROGRESS, assistant)


def test_running_the_tick_twice_creates_nothing_new(rule):
    moment = chicago(2024, 3, 2, 12, 0)

    assert materialize_at(moment) == 1
    assert materialize_at(moment) == 0
    assert Task.objects.count() == 1


def test_a_retry_reaching_an_occurrence_already_created_creates_nothing(rule):
    with time_machine.travel(chicago(2024, 3, 2, 12, 0), tick=False):
        occurrence = upcoming_occurrences(rule, count=1)[0]
        first = recurring._occurrence_create(rule, occurrence)
        again = recurring._occurrence_create(rule, occurrence)

    assert first is not None and again is None
    assert Task.objects.filter(recurring_task=rule).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_ticks_at_once_create_each_occurrence_once():
    organization = OrganizationFactory(timezone="America/Chicago")
    owner = MembershipFactory(organization=organization).user
    EngagementFactory(organization=organization)
    for title in ("Check the service bay schedule", "Post the daily used-car prices"):
        make_rule(owner, organization, title=title, rrule="FREQ=DAILY", lead_days=3)
    with time_machine.travel(chicago(2024, 3, 2, 12, 0), tick=False):
        created = at_the_same_moment(recurring_tasks_materialize, recurring_tasks_materialize)

    # 3, 4 and 5 March at 9:00 for each rule (the 2nd's has passed at noon).
    assert sum(created) == Task.objects.count() == 6
    pairs = list(Task.objects.values_list("recurring_task", "occurrence"))
    assert len(set(pairs)) == 6


def test_a_paused_rule_creates_nothing_until_resumed(client_for, owner, rule):
    client_for(owner).post(reverse("tasks:recurring_pause", args=[rule.pk]))

    assert materialize_at(chicago(2024, 3, 2, 12, 0)) == 0

    client_for(owner).post(reverse("tasks:recurring_resume", args=[rule.pk]))
    assert materialize_at(chicago(2024, 3, 2, 12, 5)) == 1


def test_an_ended_rule_creates_nothing(client_for, owner, rule):
    materialize_at(chicago(2024, 3, 2, 12, 0))

    response = client_for(owner).post(reverse("tasks:recurring_end", args=[rule.pk]))

    rule.refresh_from_db()
    assert response.status_code == 302 and rule.ended_at is not None
    assert materialize_at(chicago(2024, 3, 9, 12, 0)) == 0
    assert Task.objects.count() == 1  # the task already created stays


def test_a_skipped_occurrence_is_not_created(client_for, owner, rule):
    with time_machine.travel(chicago(2024, 3, 1, 12, 0), tick=False):
        response = client_for(owner).post(
            reverse("tasks:recurring_skip", args=[rule.pk]), {"occurrence": "2024-03-04T09:00:00"}
        )

    rule.refresh_from_db()
    assert response.status_code == 302
    assert rule.skipped == ["2024-03-04T09:00:00"]
    assert materialize_at(chicago(2024, 3, 2, 12, 0)) == 0
    assert materialize_at(chicago(2024, 3, 9, 12, 0)) == 1
    assert local_due(Task.objects.get()) == datetime(2024, 3, 11, 9, 0)


def test_a_skip_can_be_taken_back(client_for, owner, rule):
    client = client_for(owner)
    with time_machine.travel(chicago(2024, 3, 1, 12, 0), tick=False):
        for name in ("tasks:recurring_skip", "tasks:recurring_restore"):
            client.post(reverse(name, args=[rule.pk]), {"occurrence": "2024-03-04T09:00:00"})

    rule.refresh_from_db()
    assert rule.skipped == []
    assert materialize_at(chicago(2024, 3, 2, 12, 0)) == 1


def test_a_skip_taken_back_after_the_next_days_were_created_still_brings_the_task(
    client_for, owner, organization
):
    rule = make_rule(owner, organization, rrule="FREQ=DAILY", lead_days=3)
    client = client_for(owner)
    with time_machine.travel(chicago(2024, 3, 1, 12, 0), tick=False):
        client.post(
            reverse("tasks:recurring_skip", args=[rule.pk]), {"occurrence": "2024-03-06T09:00:00"}
        )
    materialize_at(chicago(2024, 3, 4, 12, 0))
    assert not Task.objects.filter(occurrence=chicago(2024, 3, 6, 9, 0)).exists()

    with time_machine.travel(chicago(2024, 3, 4, 12, 30), tick=False):
        client.post(
            reverse("tasks:recurring_restore", args=[rule.pk]),
            {"occurrence": "2024-03-06T09:00:00"},
        )

    assert materialize_at(chicago(2024, 3, 4, 12, 35)) == 1
    assert Task.objects.filter(occurrence=chicago(2024, 3, 6, 9, 0)).exists()


def test_only_a_coming_occurrence_can_be_skipped(client_for, owner, rule):
    with time_machine.travel(chicago(2024, 3, 1, 12, 0), tick=False):
        response = client_for(owner).post(
            reverse("tasks:recurring_skip", args=[rule.pk]),
            {"occurrence": "2024-03-05T09:00:00"},  # a Tuesday
            follow=True,
        )

    rule.refresh_from_db()
    assert rule.skipped == []
    assert "not a coming occurrence" in response.content.decode()


def test_editing_changes_only_the_occurrences_not_created_yet(client_for, owner, rule):
    materialize_at(chicago(2024, 3, 2, 12, 0))
    created = Task.objects.get()

    with time_machine.travel(chicago(2024, 3, 2, 13, 0), tick=False):
        response = client_for(owner).post(
            reverse("tasks:recurring_edit", args=[rule.pk]),
            form_data(title="Send the sales report and forecast", due_time="10:00", priority="2"),
        )
    assert response.status_code == 302
    assert materialize_at(chicago(2024, 3, 2, 13, 5)) == 0

    created.refresh_from_db()
    assert (created.title, local_due(created), created.priority) == (
        "Send the weekly sales report",
        datetime(2024, 3, 4, 9, 0),
        1,
    )
    assert materialize_at(chicago(2024, 3, 9, 12, 0)) == 1
    new = Task.objects.exclude(pk=created.pk).get()
    assert (new.title, local_due(new), new.priority) == (
        "Send the sales report and forecast",
        datetime(2024, 3, 11, 10, 0),
        2,
    )


def test_the_detail_page_lists_what_comes_next(client_for, owner, rule):
    with time_machine.travel(chicago(2024, 3, 1, 12, 0), tick=False):
        response = client_for(owner).get(reverse("tasks:recurring_detail", args=[rule.pk]))

    body = response.content.decode()
    assert "Mon 4 Mar, 09:00 CST" in body
    assert "Mon 11 Mar, 09:00 CDT" in body


# Who may see and change rules.


def _rule_views(rule):
    key = {"occurrence": "2024-03-04T09:00:00"}
    return [
        ("get", reverse("tasks:recurring_detail", args=[rule.pk]), {}),
        ("get", reverse("tasks:recurring_edit", args=[rule.pk]), {}),
        ("post", reverse("tasks:recurring_edit", args=[rule.pk]), form_data(title="Mine now")),
        ("post", reverse("tasks:recurring_pause", args=[rule.pk]), {}),
        ("post", reverse("tasks:recurring_resume", args=[rule.pk]), {}),
        ("post", reverse("tasks:recurring_skip", args=[rule.pk]), key),
        ("post", reverse("tasks:recurring_restore", args=[rule.pk]), key),
        ("post", reverse("tasks:recurring_end", args=[rule.pk]), {}),
    ]


def _snapshot(rule):
    rule.refresh_from_db()
    return (rule.title, rule.paused, rule.ended_at, rule.skipped, rule.rrule, rule.updated_at)


@pytest.mark.parametrize("view", range(8), ids=lambda i: f"view{i}")
def test_another_organization_gets_404_for_any_rule(client_for, outsider, rule, view):
    before = _snapshot(rule)
    method, url, data = _rule_views(rule)[view]

    response = getattr(client_for(outsider), method)(url, data)

    assert response.status_code == 404
    assert _snapshot(rule) == before


def test_another_organizations_assistant_gets_404(client_for, other_assistant, rule):
    response = client_for(other_assistant).get(reverse("tasks:recurring_detail", args=[rule.pk]))

    assert response.status_code == 404


def test_an_assistant_whose_engagement_ended_gets_404(client_for, owner, organization):
    engagement = EngagementFactory(organization=organization)
    rule = make_rule(owner, organization)
    engagement.ended_at = timezone.now()
    engagement.save(update_fields=["ended_at"])

    response = client_for(engagement.assistant).post(
        reverse("tasks:recurring_pause", args=[rule.pk])
    )

    rule.refresh_from_db()
    assert response.status_code == 404
    assert rule.paused is False


def test_others_do_not_see_the_rule_in_their_list(client_for, outsider, rule):
    response = client_for(outsider).get(LIST)

    assert rule.title not in response.content.decode()


def test_managers_and_assistants_manage_rules_too(client_for, manager, assistant, rule):
    client_for(manager).post(reverse("tasks:recurring_pause", args=[rule.pk]))
    rule.refresh_from_db()
    assert rule.paused

    client_for(assistant).post(reverse("tasks:recurring_resume", args=[rule.pk]))
    rule.refresh_from_db()
    assert not rule.paused


def test_an_admin_sees_a_rule_but_cannot_change_it(client_for, admin_user, rule):
    client = client_for(admin_user)

    assert client.get(reverse("tasks:recurring_detail", args=[rule.pk])).status_code == 200
    assert client.post(reverse("tasks:recurring_pause", args=[rule.pk])).status_code == 404
    rule.refresh_from_db()
    assert rule.paused is False


# Speed.


def test_the_list_query_count_does_not_grow_with_rules(
    client_for, owner, organization, assistant, django_assert_num_queries
):
    client = client_for(owner)
    make_rule(owner, organization, assignee=assistant)
    materialize_at(chicago(2024, 3, 2, 12, 0))
    expected = queries_for(lambda: client.get(LIST))

    for n in range(5):
        rule = make_rule(owner, organization, title=f"Rule {n}", assignee=assistant)
        if n % 2:
            recurring.recurring_task_pause(actor=owner, rule=rule)
    materialize_at(chicago(2024, 3, 9, 12, 0))

    with django_assert_num_queries(expected):
        response = client.get(LIST)
    assert len(response.context["summaries"]) == 6
