"""The assistant's queue: open work of every client they are engaged with."""

import zoneinfo
from datetime import datetime, time, timedelta

from django.core.paginator import Paginator
from django.db.models import Q
from django.utils import timezone

from assistants.models import Engagement

from .models import Status, Task


def end_of_local_day(now: datetime, timezone_name: str) -> datetime:
    local = timezone.localtime(now, zoneinfo.ZoneInfo(timezone_name))
    return datetime.combine(local.date() + timedelta(days=1), time.min, tzinfo=local.tzinfo)


def engaged_organization_ids(assistant) -> list[int]:
    return list(
        Engagement.objects.active()
        .filter(assistant=assistant, organization__active=True)
        .values_list("organization_id", flat=True)
    )


def pool_for(assistant):
    """Unassigned new tasks of the assistant's clients."""
    return Task.objects.filter(
        organization_id__in=engaged_organization_ids(assistant),
        status=Status.NEW,
        assignee__isnull=True,
    )


def queue_for(
    assistant,
    *,
    organization_id: int | None = None,
    status: str = "",
    category: str = "",
    due: str = "",
    now: datetime | None = None,
):
    """The assistant's own open tasks and the pool, in queue order, filtered."""
    now = now or timezone.now()
    organizations = engaged_organization_ids(assistant)
    if organization_id is not None:
        organizations = [pk for pk in organizations if pk == organization_id]
    tasks = Task.objects.open().filter(organization_id__in=organizations)
    tasks = tasks.filter(Q(assignee=assistant) | Q(assignee__isnull=True))
    if status:
        tasks = tasks.filter(status=status)
    if category:
        tasks = tasks.filter(category=category)
    if due == "overdue":
        tasks = tasks.filter(due_at__lt=now)
    elif due == "today":
        tasks = tasks.filter(due_at__lt=end_of_local_day(now, assistant.timezone))
    elif due == "week":
        tasks = tasks.filter(due_at__lt=now + timedelta(days=7))
    return tasks.select_related("organization", "assignee").in_queue_order()


class TaskPaginator(Paginator):
    """Pages through task ids in their order, then loads only that page's rows with their
    client and assistant: the order comes from an index, and the joins touch 25 rows, so a
    deep page costs little more than the first."""

    def __init__(self, tasks, per_page: int):
        super().__init__(tasks.select_related(None).values_list("id", flat=True), per_page)

    def page(self, number):
        page = super().page(number)
        ids = list(page.object_list)
        rows = Task.objects.select_related("organization", "assignee").in_bulk(ids)
        page.object_list = [rows[pk] for pk in ids if pk in rows]
        return page
