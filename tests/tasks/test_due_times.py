"""Due times are shown on the viewer's clock, and labelled with both zones when the client's
clock shows another time, so an assistant and an owner in different zones read one moment."""

import zoneinfo
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from tasks import services
from tests.factories import EngagementFactory, OrganizationFactory, TaskFactory
from tests.helpers import A_NOVEMBER_WEDNESDAY, queries_for
from vapportal.dates import moment_text, reading_in

# Its dates and hours are written for the suite's own moment.
pytestmark = pytest.mark.clock(A_NOVEMBER_WEDNESDAY)

# Friday 4 December 2026, 10:30 in Chicago, 09:30 in Denver.
DUE = datetime(2026, 12, 4, 16, 30, tzinfo=UTC)


@pytest.fixture
def task(organization, owner, engagement):
    return TaskFactory(
        organization=organization, created_by=owner, title="Renew the domain", due_at=DUE
    )


@pytest.fixture
def assistant_in_denver(assistant):
    assistant.timezone = "America/Denver"
    assistant.save()
    return assistant


def test_the_queue_labels_due_times_when_the_assistant_is_in_another_zone(
    client_for, assistant_in_denver, task
):
    page = client_for(assistant_in_denver).get(reverse("tasks:queue")).content.decode()

    assert "Fri 4 Dec, 09:30 MST (client: 10:30 CST)" in page


def test_the_queue_row_answered_by_htmx_labels_the_due_time_too(
    client_for, assistant_in_denver, task
):
    response = client_for(assistant_in_denver).post(
        reverse("tasks:claim", args=[task.pk]), {"from": "queue"}, HTTP_HX_REQUEST="true"
    )

    assert "Fri 4 Dec, 09:30 MST (client: 10:30 CST)" in response.content.decode()


def test_an_assistant_on_the_clients_clock_sees_the_time_unlabelled(client_for, assistant, task):
    page = client_for(assistant).get(reverse("tasks:queue")).content.decode()

    assert "<span>Fri 4 Dec, 10:30</span>" in page
    assert "CST" not in page


def test_the_task_page_and_list_label_the_time_for_the_assistant_not_the_owner(
    client_for, owner, assistant_in_denver, task
):
    for_assistant = [
        client_for(assistant_in_denver).get(url).content.decode()
        for url in (reverse("tasks:detail", args=[task.pk]), reverse("tasks:list"))
    ]
    for_owner = [
        client_for(owner).get(url).content.decode()
        for url in (reverse("tasks:detail", args=[task.pk]), reverse("tasks:list"))
    ]

    for page in for_assistant:
        assert "Fri 4 Dec, 09:30 MST (client: 10:30 CST)" in page
    for page in for_owner:
        assert "<span>Fri 4 Dec, 10:30</span>" in page and "MST" not in page


def test_an_owner_away_from_the_organizations_zone_sees_both_clocks(client_for, owner, task):
    owner.timezone = "Europe/Berlin"
    owner.save()

    page = client_for(owner).get(reverse("tasks:detail", args=[task.pk])).content.decode()

    assert "Fri 4 Dec, 17:30 CET (client: 10:30 CST)" in page


def test_overdue_times_keep_their_flag_and_their_labels(client_for, assistant_in_denver, task):
    task.due_at = datetime(2026, 11, 17, 16, 30, tzinfo=UTC)  # the day before the tests' clock
    task.save()

    page = client_for(assistant_in_denver).get(reverse("tasks:queue")).content.decode()

    assert "Overdue · Tue 17 Nov, 09:30 MST (client: 10:30 CST)" in page


@pytest.mark.parametrize(
    ("viewer", "client", "text"),
    [
        ("America/Chicago", "America/Chicago", "Fri 4 Dec, 10:30"),
        # Another zone on the same clock at that moment needs no label.
        ("America/Winnipeg", "America/Chicago", "Fri 4 Dec, 10:30"),
        ("Asia/Manila", "America/Chicago", "Sat 5 Dec, 00:30 PST (client: Fri 4 Dec, 10:30 CST)"),
        ("Asia/Dubai", "America/Chicago", "Fri 4 Dec, 20:30 UTC+04 (client: 10:30 CST)"),
        ("America/Denver", None, "Fri 4 Dec, 09:30"),
    ],
)
def test_a_moment_is_written_on_the_viewers_clock_with_the_clients_beside_it(viewer, client, text):
    client_zone = zoneinfo.ZoneInfo(client) if client else None

    with reading_in(viewer, known=True):
        assert moment_text(DUE, client_zone=client_zone) == text


def test_the_queue_query_count_does_not_grow_with_clients_in_other_zones(
    client_for, owner, assistant_in_denver, organization, django_assert_num_queries
):
    client = client_for(assistant_in_denver)
    TaskFactory(organization=organization, created_by=owner, due_at=DUE)
    expected = queries_for(lambda: client.get(reverse("tasks:queue")))

    for zone in ("Europe/Berlin", "Asia/Manila", "America/New_York"):
        other = OrganizationFactory(timezone=zone)
        EngagementFactory(organization=other, assistant=assistant_in_denver)
        for _ in range(3):
            task = TaskFactory(organization=other, created_by=owner, due_at=DUE)
        services.task_claim(actor=assistant_in_denver, task=task)

    with django_assert_num_queries(expected):
        response = client.get(reverse("tasks:queue"))
    assert response.content.decode().count("(client: ") == 10
