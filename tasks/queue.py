"""The assistant's queue: open work of every client they are engaged with."""

import zoneinfo
from datetime import datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from assistants.models import Engagement

from .models import Status, Task


def end_of_local_day(now: datetime, timezone_name: str) -> datetime:
    local = timezone.localtime(now, zoneinfo.ZoneInfo(timezone_name))
    return datetime.combine(local.date() + timedelta(days=1), time.min, tzinfo=local.tzinfo)


def engaged_organization_ids(assistant) -> list[int]:
    return [pk for pk, _ in engaged_organizations(assistant)]


def engaged_organizations(assistant) -> list[tuple[int, str]]:
    """(id, name) of each active client the assistant is engaged with, by name."""
    return list(
        _active_engagements(assistant)
        .order_by("organization__name")
        .values_list("organization_id", "organization__name")
    )


def _active_engagements(assistant):
    return Engagement.objects.active().filter(assistant=assistant, organization__active=True)


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
    organization_ids: list[int] | None = None,
    organization_id: int | None = None,
    status: str = "",
    category: str = "",
    due: str = "",
    now: datetime | None = None,
):
    """The assistant's own open tasks and the pool, in queue order, filtered.

    `organization_ids` are the assistant's clients when the caller has them already."""
    now = now or timezone.now()
    if organization_ids is None:
        organization_ids = engaged_organization_ids(assistant)
    if organization_id is not None:
        organization_ids = [pk for pk in organization_ids if pk == organization_id]
    tasks = Task.objects.open().filter(organization_id__in=organization_ids)
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


class TaskPage:
    """One page of tasks, without the total: its rows, its number and whether pages come
    before and after it. The pagination include reads it like Django's Page."""

    def __init__(self, rows: list, number: int, has_next: bool):
        self.object_list, self.number = rows, number
        self.has_next, self.has_previous = has_next, number > 1

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


class TaskPaginator:
    """Pages through task ids in their order without counting them, then loads only that
    page's rows with their client and assistant. The ids come from an index and the joins
    touch 25 rows, so a deep page costs little more than the first; counting every open task
    of every client on each view cost more than the rest of the page."""

    # What a row of the queue or the task list shows.
    ROW_FIELDS = (
        "title",
        "category",
        "priority",
        "status",
        "due_at",
        "organization__name",
        "assignee__full_name",
        "assignee__email",
    )

    def __init__(self, tasks, per_page: int):
        self.ids = tasks.select_related(None).values_list("id", flat=True)
        self.per_page = per_page

    def get_page(self, number) -> TaskPage:
        try:
            number = max(int(number), 1)
        except (TypeError, ValueError):
            number = 1
        ids = self._ids_of_page(number)
        if not ids and number > 1:
            # A page past the end (an old link, a shorter list now): show the last one.
            number = max(-(-self.ids.count() // self.per_page), 1)
            ids = self._ids_of_page(number)
        rows = (
            Task.objects.select_related("organization", "assignee")
            .only(*self.ROW_FIELDS)
            .in_bulk(ids[: self.per_page])
        )
        page_rows = [rows[pk] for pk in ids[: self.per_page] if pk in rows]
        return TaskPage(page_rows, number, has_next=len(ids) > self.per_page)

    def _ids_of_page(self, number: int) -> list[int]:
        start = (number - 1) * self.per_page
        return list(self.ids[start : start + self.per_page + 1])
