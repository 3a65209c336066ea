import codecs
import csv
import io
from datetime import UTC, datetime

import time_machine
from django.urls import reverse

from tasks import services
from tasks.models import Status, TimeEntry
from tests.factories import EngagementFactory, MembershipFactory, TaskFactory, TeamMemberFactory
from tests.helpers import queries_for


def log(task, assistant, minutes, when, note=""):
    entry = services.time_entry_log(actor=assistant, task=task, minutes=minutes, note=note)
    TimeEntry.objects.filter(pk=entry.pk).update(logged_at=when)
    return entry


def test_owner_exports_the_months_time_log_as_csv(client_for, owner, assistant, organization):
    task = TaskFactory(organization=organization, created_by=owner, title="=HYPERLINK(evil)")
    services.task_claim(actor=assistant, task=task)
    # 23:30 on 31 October in Chicago is already November in UTC: it belongs to October.
    log(task, assistant, 30, datetime(2026, 11, 1, 4, 30, tzinfo=UTC), "late call")
    log(task, assistant, 45, datetime(2026, 11, 3, 15, 0, tzinfo=UTC), "research")

    response = client_for(owner).get(
        reverse("tasks:time_csv", args=[organization.pk]), {"month": "2026-11"}
    )

    assert response["Content-Type"].startswith("text/csv")
    assert "bergstrom-cars-time-2026-11.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["date", "task", "assistant", "minutes", "note"]
    assert rows[1:] == [["2026-11-03", "'=HYPERLINK(evil)", "Rhonda Hayes", "45", "research"]]


def test_the_time_log_csv_is_utf8_with_a_byte_order_mark_for_excel(
    client_for, owner, assistant, organization
):
    task = TaskFactory(organization=organization, created_by=owner, title="Angebot für Müller")
    services.task_claim(actor=assistant, task=task)
    log(task, assistant, 20, datetime(2026, 11, 3, 15, 0, tzinfo=UTC), "Café, São Paulo")

    response = client_for(owner).get(
        reverse("tasks:time_csv", args=[organization.pk]), {"month": "2026-11"}
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(codecs.BOM_UTF8)
    assert response.content.count(codecs.BOM_UTF8) == 1
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "date"
    assert rows[1][1::3] == ["Angebot für Müller", "Café, São Paulo"]


def test_another_organizations_time_log_is_404(client_for, outsider, organization):
    response = client_for(outsider).get(reverse("tasks:time_csv", args=[organization.pk]))

    assert response.status_code == 404


def test_a_malformed_month_is_404(client_for, owner, organization):
    response = client_for(owner).get(
        reverse("tasks:time_csv", args=[organization.pk]), {"month": "November"}
    )

    assert response.status_code == 404


def test_owner_dashboard_shows_hours_against_the_plan_and_waiting_work(
    client_for, owner, assistant, organization
):
    organization.monthly_plan_hours = 40
    organization.save()
    TeamMemberFactory.create_batch(3, organization=organization)
    task = TaskFactory(
        organization=organization, created_by=owner, title="Pick a caterer", budget_minutes=120
    )
    services.task_claim(actor=assistant, task=task)
    with time_machine.travel(datetime(2026, 11, 20, 18, 0, tzinfo=UTC)):
        services.time_entry_log(actor=assistant, task=task, minutes=90)
        services.task_move(actor=assistant, task=task, to=Status.WAITING, note="Budget?")
        response = client_for(owner).get(reverse("home"))

    body = response.content.decode()
    assert '<div class="stat" data-stat="hours">1 h 30 min</div>' in body
    assert "of 40 h plan" in body
    assert '<div class="stat" data-stat="waiting">1</div>' in body
    assert '<div class="stat" data-stat="open">0</div>' in body
    assert "1 h 30 min of 2 h" in body
    assert "Pick a caterer" in body


def test_owner_dashboard_query_count_does_not_grow_with_tasks(
    client_for, owner, assistant, organization, django_assert_num_queries
):
    client = client_for(owner)
    expected = queries_for(lambda: client.get(reverse("home")))

    for n in range(8):
        task = TaskFactory(organization=organization, created_by=owner, budget_minutes=60)
        services.task_claim(actor=assistant, task=task)
        services.time_entry_log(actor=assistant, task=task, minutes=10)
        if n % 2:
            services.task_move(actor=assistant, task=task, to=Status.WAITING, note="?")

    with django_assert_num_queries(expected):
        client.get(reverse("home"))


def test_assistant_dashboard_shows_the_queue_head_and_overdue(
    client_for, owner, assistant, organization
):
    with time_machine.travel(datetime(2026, 11, 20, 12, 0, tzinfo=UTC)):
        TaskFactory(
            organization=organization,
            created_by=owner,
            title="Late one",
            due_at=datetime(2026, 11, 21, 12, 0, tzinfo=UTC),
        )
    with time_machine.travel(datetime(2026, 11, 27, 12, 0, tzinfo=UTC)):
        body = client_for(assistant).get(reverse("home")).content.decode()

    assert "Top of your queue" in body
    assert body.count("Late one") == 2  # at the head of the queue and among the overdue


def test_assistant_dashboard_query_count_does_not_grow(
    client_for, owner, assistant, organization, django_assert_num_queries
):
    client = client_for(assistant)
    expected = queries_for(lambda: client.get(reverse("home")))

    EngagementFactory(assistant=assistant, role="primary")
    for _ in range(8):
        task = TaskFactory(organization=organization, created_by=owner)
        services.task_claim(actor=assistant, task=task)
        services.task_move(actor=assistant, task=task, to=Status.DONE)
        services.task_thank(actor=owner, task=task, note="Thanks!")

    with django_assert_num_queries(expected):
        client.get(reverse("home"))


def test_admins_see_thanks_per_assistant(client_for, admin_user, owner, assistant, organization):
    task = TaskFactory(organization=organization, created_by=owner)
    services.task_claim(actor=assistant, task=task)
    services.task_move(actor=assistant, task=task, to=Status.DONE)
    services.task_thank(actor=owner, task=task, note="Great work")

    response = client_for(admin_user).get(reverse("home"))

    assert [(a.full_name, a.thanks_count) for a in response.context["thanks_by_assistant"]] == [
        ("Rhonda Hayes", 1)
    ]


def test_the_waiting_on_you_tile_opens_the_clients_tasks_that_wait_on_the_owner(
    client_for, owner, assistant, organization, other_organization
):
    MembershipFactory(organization=other_organization, user=owner)
    EngagementFactory(organization=other_organization, assistant=assistant)
    waiting = []
    for client, title in [(organization, "Pick a caterer"), (other_organization, "Order gloves")]:
        task = services.task_claim(
            actor=assistant, task=TaskFactory(organization=client, created_by=owner, title=title)
        )
        services.task_move(actor=assistant, task=task, to=Status.WAITING, note="Which one?")
        waiting.append(task)
    services.task_claim(
        actor=assistant,
        task=TaskFactory(organization=organization, created_by=owner, title="Book the venue"),
    )
    client = client_for(owner)

    dashboard = client.get(reverse("home")).content.decode()
    link = f"{reverse('tasks:list')}?status=waiting&amp;organization={organization.pk}"
    listed = client.get(link.replace("&amp;", "&"))

    assert f'<a href="{link}">See what waits on you</a>' in dashboard
    assert [task.title for task in listed.context["page"]] == ["Pick a caterer"]
    assert 'value="waiting" selected' in listed.content.decode()


def test_another_organizations_client_in_the_task_list_filter_shows_nothing_of_it(
    client_for, owner, outsider, organization, assistant
):
    task = services.task_claim(
        actor=assistant, task=TaskFactory(organization=organization, created_by=owner)
    )
    services.task_move(actor=assistant, task=task, to=Status.WAITING, note="Which one?")

    response = client_for(outsider).get(
        reverse("tasks:list"), {"status": "waiting", "organization": organization.pk}
    )

    assert response.status_code == 200
    assert "Choose one of your clients." in response.content.decode()
    assert list(response.context["page"]) == []
    assert task.title not in response.content.decode()
