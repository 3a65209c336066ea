"""Digests at 8:00 in each person's time zone, and reminders of work coming due."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from tasks import notifications, services
from tasks.models import Notification, Status
from tasks.permissions import primary_assistant
from tests.factories import EngagementFactory, TaskFactory
from tests.helpers import A_NOVEMBER_WEDNESDAY

# Its dates and hours are written for the suite's own moment.
pytestmark = pytest.mark.clock(A_NOVEMBER_WEDNESDAY)


def test_a_digest_goes_out_once_after_eight_in_the_persons_timezone(
    owner, assistant, organization, django_capture_on_commit_callbacks
):
    owner.notify = "daily_digest"
    owner.timezone = "America/Chicago"
    owner.save()
    task = TaskFactory(organization=organization, created_by=owner, title="Order the banners")
    services.task_claim(actor=assistant, task=task)
    with time_machine.travel(datetime(2026, 11, 26, 20, 0, tzinfo=UTC)):
        services.task_move(actor=assistant, task=task, to=Status.WAITING, note="Which color?")
    assert mail.outbox == []

    # 07:30 in Chicago: not yet.
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.digests_dispatch(now=datetime(2026, 11, 27, 13, 30, tzinfo=UTC)) == 0
    # 08:05 in Chicago: the digest goes, once, however often the tick runs.
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.digests_dispatch(now=datetime(2026, 11, 27, 14, 5, tzinfo=UTC)) == 1
        assert notifications.digests_dispatch(now=datetime(2026, 11, 27, 14, 10, tzinfo=UTC)) == 0

    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.to == [owner.email]
    assert "Which color?" in digest.body
    assert "digest for Fri 27 Nov: 1 update" in digest.subject
    assert not Notification.objects.filter(user=owner, sent_at__isnull=True).exists()


def test_a_digest_follows_the_persons_own_timezone(
    owner, assistant, organization, django_capture_on_commit_callbacks
):
    owner.notify = "daily_digest"
    owner.timezone = "Asia/Tokyo"
    owner.save()
    task = TaskFactory(organization=organization, created_by=owner)
    services.task_claim(actor=assistant, task=task)
    with time_machine.travel(datetime(2026, 11, 26, 12, 0, tzinfo=UTC)):
        services.task_move(actor=assistant, task=task, to=Status.DONE)

    # 23:30 UTC is 08:30 the next morning in Tokyo, and the digest is dated by that day.
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.digests_dispatch(now=datetime(2026, 11, 26, 23, 30, tzinfo=UTC)) == 1
    assert "digest for Fri 27 Nov" in mail.outbox[0].subject


def test_due_soon_and_overdue_reminders_go_once_per_threshold(
    owner, assistant, organization, django_capture_on_commit_callbacks
):
    now = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    with time_machine.travel(now - timedelta(days=1)):
        task = TaskFactory(
            organization=organization,
            created_by=owner,
            title="File the permit",
            due_at=now + timedelta(hours=3),
        )
        services.task_claim(actor=assistant, task=task)

    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.due_reminders_dispatch(now=now) == 1
        assert notifications.due_reminders_dispatch(now=now + timedelta(minutes=5)) == 0
        assert notifications.due_reminders_dispatch(now=now + timedelta(hours=4)) == 1
        assert notifications.due_reminders_dispatch(now=now + timedelta(hours=5)) == 0

    subjects = [message.subject for message in mail.outbox]
    assert subjects == ["Due within 4 hours: File the permit", "Overdue: File the permit"]
    assert all(message.to == [assistant.email] for message in mail.outbox)
    # On the assistant's clock, named: the email may be read anywhere.
    assert "“File the permit” is due (Fri 27 Nov, 12:00 CST)." in mail.outbox[0].body


def test_unassigned_work_reminds_the_primary_assistant(owner, assistant, organization):
    now = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    with time_machine.travel(now - timedelta(days=1)):
        TaskFactory(organization=organization, created_by=owner, due_at=now + timedelta(hours=1))

    assert notifications.due_reminders_dispatch(now=now) == 1
    assert Notification.objects.get(kind="due_soon").user == assistant


@pytest.fixture
def backup(organization, engagement):
    """A backup assistant engaged with the client long before its primary one."""
    return EngagementFactory(
        organization=organization, role="backup", started_on=date(2020, 1, 6)
    ).assistant


def test_new_pool_work_is_announced_to_the_primary_assistant_not_the_backup(
    owner, assistant, backup, organization
):
    task = services.task_create(actor=owner, organization=organization, title="Order the banners")

    assert list(Notification.objects.filter(task=task).values_list("user", "kind")) == [
        (assistant.pk, "new")
    ]


def test_pool_work_coming_due_reminds_the_primary_assistant_not_the_backup(
    owner, assistant, backup, organization
):
    now = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    with time_machine.travel(now - timedelta(days=1)):
        TaskFactory(organization=organization, created_by=owner, due_at=now + timedelta(hours=1))

    assert notifications.due_reminders_dispatch(now=now) == 1
    assert Notification.objects.get(kind="due_soon").user == assistant


def test_without_an_active_primary_the_backup_engaged_longest_is_told(engagement, organization):
    newer = EngagementFactory(organization=organization, role="backup", started_on=date(2025, 3, 2))
    longest = EngagementFactory(
        organization=organization, role="backup", started_on=date(2024, 9, 9)
    )
    engagement.assistant.is_active = False
    engagement.assistant.save()

    assert primary_assistant(organization) == longest.assistant
    assert newer.assistant != primary_assistant(organization)


def test_finished_tasks_are_not_reminded(owner, assistant, organization):
    now = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    with time_machine.travel(now - timedelta(days=1)):
        task = TaskFactory(
            organization=organization, created_by=owner, due_at=now + timedelta(hours=1)
        )
        services.task_claim(actor=assistant, task=task)
        services.task_move(actor=assistant, task=task, to=Status.DONE)

    assert notifications.due_reminders_dispatch(now=now) == 0
