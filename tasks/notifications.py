"""Telling people what happened to their tasks: by email at once, in a daily digest at 8:00
their time, or not at all, as each person chose. A unique row per person, task, kind and key
means nobody is told the same thing twice."""

import zoneinfo
from datetime import datetime, time, timedelta
from html import unescape

import markdown as markdown_lib
import nh3
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from clients.models import Organization
from vapportal.dates import moment_text
from vapportal.emails import email_queue

from .models import DigestRun, Notification, Task

Kind = Notification.Kind
DIGEST_TIME = time(8, 0)


def notify(
    *, user: User, task: Task, kind: str, key, text: str, detail: str = ""
) -> Notification | None:
    """Records the notification once; mails it now if the person wants mail right away.
    `detail` is plain text the email quotes in full, below `text`.

    Only people who still work on the task's client hear about it: its owners and managers
    and its engaged assistants. Returns None when the person is not one of them, or when the
    same notification was recorded before."""
    if user is None or not user.is_active or not _works_on(user, task.organization_id):
        return None
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user, task=task, kind=kind, key=str(key), text=text[:300], detail=detail
            )
    except IntegrityError:
        return None
    if user.notify == User.Notify.IMMEDIATELY:
        _send_now(notification)
    elif user.notify == User.Notify.NEVER:
        Notification.objects.filter(pk=notification.pk).update(sent_at=timezone.now())
    return notification


def _works_on(user: User, organization_id: int) -> bool:
    return Organization.objects.worked_in_by(user).filter(pk=organization_id).exists()


def notifications_withdraw(*, user: User, organization: Organization) -> int:
    """Drops what the person was still to be told about the client's tasks (their digest's
    waiting items): they no longer work on it. Returns how many were dropped."""
    deleted, _ = Notification.objects.filter(
        user=user, task__organization=organization, sent_at__isnull=True
    ).delete()
    return deleted


def _send_now(notification: Notification) -> None:
    Notification.objects.filter(pk=notification.pk).update(sent_at=timezone.now())
    email_queue(
        template="task_notification",
        to=notification.user.email,
        zone=notification.user.timezone,
        context={
            "notification": notification,
            "task": notification.task,
            "task_path": reverse("tasks:detail", args=[notification.task_id]),
        },
    )


def markdown_as_text(text: str) -> str:
    """What someone wrote in Markdown, as the plain text a reader sees: formatting and any
    HTML removed (scripts and styles with their content), entities read back as characters."""
    html = markdown_lib.markdown(text or "", extensions=["extra", "sane_lists"])
    return unescape(nh3.clean(html, tags=set())).strip()


def digest_due(user: User, now: datetime) -> bool:
    local = now.astimezone(zoneinfo.ZoneInfo(user.timezone))
    return local.time() >= DIGEST_TIME


def digests_dispatch(*, now: datetime | None = None) -> int:
    """A beat tick: each person on the daily digest whose 8:00 has come today gets one email
    with everything not yet sent. Returns how many digests were queued."""
    now = now or timezone.now()
    waiting = Notification.objects.filter(user=OuterRef("pk"), sent_at__isnull=True)
    users = User.objects.filter(is_active=True, notify=User.Notify.DAILY_DIGEST).filter(
        Exists(waiting)
    )
    queued = 0
    for user in users:
        if digest_due(user, now) and digest_send(user=user, now=now):
            queued += 1
    return queued


@transaction.atomic
def digest_send(*, user: User, now: datetime) -> bool:
    """Claims today's digest for the person (once per local date) and queues it."""
    local_date = now.astimezone(zoneinfo.ZoneInfo(user.timezone)).date()
    try:
        with transaction.atomic():
            DigestRun.objects.create(user=user, local_date=local_date)
    except IntegrityError:
        return False
    items = list(
        Notification.objects.select_for_update(skip_locked=True)
        .filter(user=user, sent_at__isnull=True, created_at__lte=now)
        # Nothing about a client the person has stopped working on.
        .filter(task__organization__in=Organization.objects.worked_in_by(user))
        .select_related("task")
        .order_by("created_at", "id")
    )
    if not items:
        return False
    Notification.objects.filter(pk__in=[n.pk for n in items]).update(sent_at=now)
    email_queue(
        template="task_digest",
        to=user.email,
        zone=user.timezone,
        context={"user": user, "notifications": items, "local_date": local_date},
    )
    return True


def due_reminders_dispatch(*, now: datetime | None = None) -> int:
    """A beat tick: tell the assignee (or the client's primary assistant, for pool work)
    about open tasks due within four hours and tasks overdue, once per task and threshold."""
    from .permissions import primary_assistant

    now = now or timezone.now()
    sent = 0
    thresholds = [
        (Kind.DUE_SOON, {"due_at__gt": now, "due_at__lte": now + timedelta(hours=4)}, "is due"),
        (Kind.OVERDUE, {"due_at__lte": now}, "is overdue"),
    ]
    for kind, window, verb in thresholds:
        reminded = Notification.objects.filter(task=OuterRef("pk"), kind=kind)
        tasks = (
            Task.objects.open()
            .filter(organization__active=True, **window)
            .exclude(Exists(reminded))
            .select_related("assignee", "organization")
        )
        for task in tasks:
            user = task.assignee or primary_assistant(task.organization)
            if user is None:
                continue
            # Kept and read later, in an email or a digest: on the person's clock, named.
            due = moment_text(task.due_at, user.timezone, named=True)
            with transaction.atomic():
                text = f"“{task.title}” {verb} ({due})."
                if notify(user=user, task=task, kind=kind, key=kind, text=text):
                    sent += 1
    return sent
