from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from assistants.services import engagement_end
from tasks import services
from tasks.models import RunningTimer, Status, TaskEvent, TimeEntry
from tests.factories import EngagementFactory, OrganizationFactory, TaskFactory
from tests.helpers import at_the_same_moment


@pytest.fixture
def task(owner, assistant, organization):
    task = TaskFactory(organization=organization, created_by=owner, title="Renew the domain")
    return services.task_claim(actor=assistant, task=task)


@pytest.fixture
def second_task(owner, assistant, organization):
    task = TaskFactory(organization=organization, created_by=owner, title="Book the venue")
    return services.task_claim(actor=assistant, task=task)


def press(client, name, task, data=None):
    return client.post(reverse(f"tasks:{name}", args=[task.pk]), data or {})


def test_stopping_the_timer_logs_the_minutes_it_ran_with_the_note(client_for, assistant, task):
    client = client_for(assistant)
    started = timezone.now()
    with time_machine.travel(started, tick=False):
        press(client, "timer_start", task)
    with time_machine.travel(started + timedelta(minutes=25, seconds=10), tick=False):
        page = client.get(reverse("tasks:detail", args=[task.pk])).content.decode()
        response = press(client, "timer_stop", task, {"note": "Called the registrar"})

    assert "Stop and log" in page and "(25 min)" in page
    assert response.status_code == 302
    entry = TimeEntry.objects.get(task=task)
    assert (entry.assistant, entry.minutes, entry.note) == (assistant, 25, "Called the registrar")
    assert task.events.filter(kind=TaskEvent.Kind.TIME_LOGGED, note__startswith="25 min").exists()
    assert not RunningTimer.objects.exists()


@pytest.mark.parametrize(
    ("ran", "logged"),
    [
        (timedelta(seconds=30), 1),
        (timedelta(seconds=62), 1),
        (timedelta(seconds=89), 1),
        (timedelta(seconds=90), 2),
        (timedelta(minutes=59, seconds=31), 60),
    ],
)
def test_a_timer_logs_the_minutes_it_ran_to_the_nearest_minute(assistant, task, ran, logged):
    started = timezone.now()
    with time_machine.travel(started, tick=False):
        services.timer_start(actor=assistant, task=task)
    with time_machine.travel(started + ran, tick=False):
        entry = services.timer_stop(actor=assistant, task=task)

    assert entry.minutes == logged
    assert list(TimeEntry.objects.values_list("minutes", flat=True)) == [logged]


def test_a_timer_stopped_within_half_a_minute_logs_nothing_and_says_so(client_for, assistant, task):
    client = client_for(assistant)
    started = timezone.now()
    with time_machine.travel(started, tick=False):
        press(client, "timer_start", task)
    with time_machine.travel(started + timedelta(seconds=29), tick=False):
        response = press(client, "timer_stop", task)

    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Your timer ran for less than half a minute; nothing was logged." in page
    assert not TimeEntry.objects.exists()
    assert not task.events.filter(kind=TaskEvent.Kind.TIME_LOGGED).exists()
    assert not RunningTimer.objects.exists()


def test_stopping_a_one_minute_timer_says_one_minute(client_for, assistant, task):
    client = client_for(assistant)
    started = timezone.now()
    with time_machine.travel(started, tick=False):
        press(client, "timer_start", task)
    with time_machine.travel(started + timedelta(seconds=62), tick=False):
        response = press(client, "timer_stop", task)

    page = client.get(response["Location"]).content.decode()
    assert "Logged 1 minute on “Renew the domain”." in page


def test_one_timer_runs_at_a_time(client_for, assistant, task, second_task):
    client = client_for(assistant)
    press(client, "timer_start", task)

    response = press(client, "timer_start", second_task)

    assert response.status_code == 400
    assert "Your timer is running on “Renew the domain”; stop it there first." in (
        response.content.decode()
    )
    assert list(RunningTimer.objects.values_list("task", flat=True)) == [task.pk]
    page = client.get(reverse("tasks:detail", args=[second_task.pk])).content.decode()
    assert "Your timer is running on" in page and "Start timer" not in page


@pytest.mark.django_db(transaction=True)
def test_two_timers_started_at_the_same_moment_leave_one_running():
    organization = OrganizationFactory()
    assistant = EngagementFactory(organization=organization).assistant
    tasks = [TaskFactory(organization=organization, created_by=assistant) for _ in range(2)]

    def start(task):
        try:
            return services.timer_start(actor=assistant, task=task)
        except services.TaskError:
            return None

    started = at_the_same_moment(lambda: start(tasks[0]), lambda: start(tasks[1]))

    assert len([timer for timer in started if timer is not None]) == 1
    assert RunningTimer.objects.filter(assistant=assistant).count() == 1


def test_stopping_past_the_budget_logs_nothing_and_keeps_the_timer_running(
    client_for, assistant, task
):
    task.budget_minutes = 30
    task.save()
    client = client_for(assistant)
    started = timezone.now()
    with time_machine.travel(started, tick=False):
        press(client, "timer_start", task)
    with time_machine.travel(started + timedelta(minutes=45), tick=False):
        response = press(client, "timer_stop", task)

    assert response.status_code == 400
    assert "past its budget" in response.content.decode()
    assert not TimeEntry.objects.exists()
    assert RunningTimer.objects.get(assistant=assistant).started_at == started


def test_a_timer_left_running_for_more_than_a_day_is_not_logged(client_for, assistant, task):
    client = client_for(assistant)
    started = timezone.now()
    with time_machine.travel(started, tick=False):
        press(client, "timer_start", task)
    with time_machine.travel(started + timedelta(days=1, minutes=1), tick=False):
        response = press(client, "timer_stop", task)
        discarded = press(client, "timer_discard", task)

    assert response.status_code == 400
    assert "more than a day" in response.content.decode()
    assert discarded.status_code == 302
    assert not TimeEntry.objects.exists()
    assert not RunningTimer.objects.exists()


def test_discarding_the_timer_logs_nothing(client_for, assistant, task):
    client = client_for(assistant)
    press(client, "timer_start", task)

    response = press(client, "timer_discard", task)

    assert response.status_code == 302
    assert not RunningTimer.objects.exists()
    assert not TimeEntry.objects.exists()


@pytest.mark.parametrize("name", ["timer_stop", "timer_discard"])
def test_stopping_a_timer_that_is_not_running_is_refused(client_for, assistant, task, name):
    response = press(client_for(assistant), name, task)

    assert response.status_code == 400
    assert "Your timer is not running on this task." in response.content.decode()
    assert not TimeEntry.objects.exists()


def test_a_note_longer_than_a_time_entry_holds_is_refused(client_for, assistant, task):
    client = client_for(assistant)
    press(client, "timer_start", task)

    response = press(client, "timer_stop", task, {"note": "x" * 301})

    assert response.status_code == 400
    assert not TimeEntry.objects.exists()
    assert RunningTimer.objects.filter(task=task).exists()


def test_a_closed_task_cannot_be_timed(client_for, assistant, task):
    services.task_move(actor=assistant, task=task, to=Status.DONE)

    response = press(client_for(assistant), "timer_start", task)

    assert response.status_code == 400
    assert not RunningTimer.objects.exists()


def test_a_timer_still_running_when_the_task_closed_can_be_stopped(client_for, assistant, task):
    client = client_for(assistant)
    started = timezone.now()
    with time_machine.travel(started, tick=False):
        press(client, "timer_start", task)
        services.task_move(actor=assistant, task=task, to=Status.DONE)
    with time_machine.travel(started + timedelta(minutes=3), tick=False):
        page = client.get(reverse("tasks:detail", args=[task.pk])).content.decode()
        response = press(client, "timer_stop", task)

    assert "Stop and log" in page
    assert response.status_code == 302
    assert TimeEntry.objects.filter(task=task, minutes=3).exists()


def test_owners_cannot_start_a_timer(client_for, owner, task):
    response = press(client_for(owner), "timer_start", task)

    assert response.status_code == 404
    assert not RunningTimer.objects.exists()


def test_another_organizations_assistant_gets_404_from_the_timer(client_for, other_assistant, task):
    client = client_for(other_assistant)

    responses = [press(client, name, task) for name in ("timer_start", "timer_stop")]

    assert [response.status_code for response in responses] == [404, 404]
    assert not RunningTimer.objects.exists()


def test_a_timer_on_a_client_whose_engagement_ended_gives_way_to_a_new_one(
    client_for, owner, assistant, engagement, task, admin_user
):
    services.timer_start(actor=assistant, task=task)
    engagement_end(actor=admin_user, engagement=engagement)
    new_client = OrganizationFactory(name="Fox Valley Motors")
    EngagementFactory(assistant=assistant, organization=new_client)
    new_task = services.task_claim(
        actor=assistant, task=TaskFactory(organization=new_client, created_by=owner)
    )
    client = client_for(assistant)

    stale = press(client, "timer_stop", task)
    dashboard = client.get(reverse("home")).content.decode()
    page = client.get(reverse("tasks:detail", args=[new_task.pk])).content.decode()
    response = press(client, "timer_start", new_task)

    assert stale.status_code == 404
    assert 'id="running-timer"' not in dashboard
    assert "Start timer" in page
    assert response.status_code == 302
    assert RunningTimer.objects.get(assistant=assistant).task == new_task


def test_the_assistants_dashboard_shows_their_running_timer(client_for, assistant, task):
    client = client_for(assistant)
    before = client.get(reverse("home")).content.decode()
    services.timer_start(actor=assistant, task=task)

    after = client.get(reverse("home")).content.decode()

    assert 'id="running-timer"' not in before
    assert 'id="running-timer"' in after and "Renew the domain" in after
