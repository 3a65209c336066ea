"""The assistant's queue: open work of every client they are engaged with."""

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import ClassVar, NamedTuple

from django.db import connection
from django.db.models import BooleanField, F, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from assistants.models import Engagement
from clients.models import Organization
from vapportal.params import page_number

from .models import OPEN_STATUSES, Category, Milestone, RunningTimer, Status, Task


def end_of_local_day(now: datetime, timezone_name: str) -> datetime:
    local = timezone.localtime(now, zoneinfo.ZoneInfo(timezone_name))
    return datetime.combine(local.date() + timedelta(days=1), time.min, tzinfo=local.tzinfo)


class QueueClient(NamedTuple):
    """One of the assistant's clients, as the queue shows it: its rows' due times are also
    given on the client's clock when it differs from the assistant's."""

    pk: int
    name: str
    zone: zoneinfo.ZoneInfo


def engaged_organization_ids(assistant) -> list[int]:
    return [client.pk for client in engaged_organizations(assistant)]


def engaged_organizations(assistant) -> list[QueueClient]:
    """Each active client the assistant is engaged with, by name."""
    return [
        QueueClient(pk, name, zoneinfo.ZoneInfo(zone))
        for pk, name, zone in _active_engagements(assistant)
        .order_by("organization__name")
        .values_list("organization_id", "organization__name", "organization__timezone")
    ]


def running_timer(assistant) -> RunningTimer | None:
    """The assistant's running timer with its task's title, for the queue to point at."""
    return (
        RunningTimer.objects.shown_to(assistant)
        .select_related("task")
        .only("task__title", "started_at")
        .first()
    )


def _active_engagements(assistant):
    return Engagement.objects.active().filter(assistant=assistant, organization__active=True)


def engaged_clients(assistant):
    """The ids of the assistant's active clients, as a subquery."""
    return _active_engagements(assistant).order_by().values("organization_id")


def _queue_order(table: str) -> str:
    """`TaskQuerySet.in_queue_order` written as SQL, for the statements below."""
    return f"{table}.priority DESC, {table}.due_at ASC NULLS LAST, {table}.created_at, {table}.id"


# The first tasks of the pool across the given clients, in queue order: the first `limit` of
# each client's pool (a range of task_pool_by_client), merged. New tasks are unassigned (a
# check constraint says so). Scanning the whole pool in queue order instead would walk past
# every other client's work, and past work already taken.
POOL_HEAD_SQL = f"""
SELECT head.id
FROM ({{clients}}) AS client(id)
CROSS JOIN LATERAL (
    SELECT pool.id, pool.priority, pool.due_at, pool.created_at
    FROM {Task._meta.db_table} AS pool
    WHERE pool.organization_id = client.id AND pool.status = '{Status.NEW}'
    ORDER BY {_queue_order("pool")}
    LIMIT %s
) AS head
ORDER BY {_queue_order("head")}
LIMIT %s
"""  # noqa: S608 (a table name and a status of our own, Django's SQL; the values are parameters)

# The first task of the pool head, in queue order, that is still in the pool (checked again
# on the row as it is locked), that work can start on (its milestone, if any, does not wait
# for the owner's approval) and that no one else is claiming at this instant: rows being
# claimed are skipped, not waited for. It comes with its client's name, for the message that
# says what was taken (read by a subquery: as a join it cost PostgreSQL a third of a
# millisecond more to plan). One statement, written out, because Take next runs it on every
# press and Django took longer to build it than PostgreSQL takes to run it.
CLAIMABLE_SQL = f"""
SELECT task.*, (
    SELECT organization.name FROM {Organization._meta.db_table} AS organization
    WHERE organization.id = task.organization_id
) AS organization_name
FROM {Task._meta.db_table} AS task
WHERE task.id IN ({POOL_HEAD_SQL})
    AND task.status = '{Status.NEW}' AND task.assignee_id IS NULL
    AND NOT EXISTS (
        SELECT FROM {Milestone._meta.db_table} AS milestone
        WHERE milestone.id = task.milestone_id
            AND milestone.needs_approval AND milestone.approved_at IS NULL
    )
ORDER BY {_queue_order("task")}
LIMIT 1
FOR UPDATE OF task SKIP LOCKED
"""  # noqa: S608 (table names and a status of our own, Django's SQL; the values are parameters)


def pool_head(clients, limit: int | None) -> list[int]:
    """Ids of the first `limit` tasks (all when None) of the pool of `clients` (a subquery of
    organization ids, like `engaged_clients`), in queue order."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(*_with_clients(POOL_HEAD_SQL, clients, limit))
            return [pk for (pk,) in cursor.fetchall()]
    pool = (
        Task.objects.filter(organization_id__in=clients, status=Status.NEW, assignee__isnull=True)
        .in_queue_order()
        .values_list("id", flat=True)
    )
    return list(pool[:limit] if limit else pool)


def claimable_statement(clients, limit: int | None) -> tuple[str, tuple]:
    """PostgreSQL's statement for `lock_first_claimable`, and its parameters."""
    return _with_clients(CLAIMABLE_SQL, clients, limit)


def _with_clients(sql: str, clients, limit: int | None) -> tuple[str, tuple]:
    clients_sql, clients_params = clients.query.sql_with_params()
    # LIMIT NULL is no limit.
    return sql.format(clients=clients_sql), (*clients_params, limit, limit)


def lock_first_claimable(clients, limit: int | None) -> Task | None:
    """The first of the first `limit` tasks of the pool of `clients` (see `pool_head`) that is
    still in the pool, that work can start on and that no one else is claiming, locked until
    the transaction ends, with its client's name as `organization_name`. Call it inside a
    transaction."""
    if connection.vendor == "postgresql":
        return next(iter(Task.objects.raw(*claimable_statement(clients, limit))), None)
    # SQLite has no row locks: it lets one transaction write at a time.
    claimable = Task.objects.filter(
        id__in=pool_head(clients, limit), status=Status.NEW, assignee__isnull=True
    )
    return (
        claimable.startable()
        .in_queue_order()
        .annotate(organization_name=F("organization__name"))
        .first()
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
    filters = Q(status__in=OPEN_STATUSES, organization_id__in=organization_ids) & (
        Q(assignee=assistant) | Q(assignee__isnull=True)
    )
    if status:
        filters &= Q(status=status)
    if category:
        filters &= Q(category=category)
    if due == "overdue":
        filters &= Q(due_at__lt=now)
    elif due == "today":
        filters &= Q(due_at__lt=end_of_local_day(now, assistant.timezone))
    elif due == "week":
        filters &= Q(due_at__lt=now + timedelta(days=7))
    return Task.objects.filter(filters).in_queue_order()


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class QueuePosition:
    """Where a page ended, in queue order: the Next link carries it, so the next page starts
    there in the index instead of skipping every row before it (page 200 costs what page 1
    does). Written as four integers: priority, due and created times in microseconds since
    1970 (due "-" when there is none), and the id."""

    priority: int
    due_at: datetime | None
    created_at: datetime
    id: int

    @classmethod
    def of(cls, task: Task) -> "QueuePosition":
        return cls(task.priority, task.due_at, task.created_at, task.pk)

    def encode(self) -> str:
        due = "-" if self.due_at is None else str(_micros(self.due_at))
        return f"{self.priority}.{due}.{_micros(self.created_at)}.{self.id}"

    @classmethod
    def decode(cls, text: str | None) -> "QueuePosition | None":
        """None for anything that is not a position this class wrote."""
        try:
            priority, due, created, pk = (text or "").split(".")
            return cls(
                int(priority),
                None if due == "-" else EPOCH + timedelta(microseconds=int(due)),
                EPOCH + timedelta(microseconds=int(created)),
                int(pk),
            )
        except (ValueError, OverflowError):
            return None

    def following(self, tasks) -> list:
        """The tasks after this position, as querysets that each read one range of the
        queue-order index; together and in this order they are the rest of the queue."""
        table = Task._meta.db_table
        same_priority = tasks.filter(priority=self.priority)
        if self.due_at is None:
            pieces = [
                same_priority.filter(due_at__isnull=True).filter(
                    _row_after(
                        f'("{table}"."created_at", "{table}"."id")', self.created_at, self.id
                    )
                )
            ]
        else:
            pieces = [
                same_priority.filter(
                    _row_after(
                        f'("{table}"."due_at", "{table}"."created_at", "{table}"."id")',
                        self.due_at,
                        self.created_at,
                        self.id,
                    )
                ),
                same_priority.filter(due_at__isnull=True),  # no due time sorts last
            ]
        return [*pieces, tasks.filter(priority__lt=self.priority)]


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def _row_after(columns: str, *values) -> RawSQL:
    """A row comparison, which PostgreSQL reads as a range of the index."""
    placeholders = ", ".join(["%s"] * len(values))
    # Only column names of our own and placeholders go into the SQL; the values are parameters.
    return RawSQL(f"{columns} > ({placeholders})", values, output_field=BooleanField())  # noqa: S611


class TaskPage:
    """One page of tasks, without the total: its rows, its number and whether pages come
    before and after it. The pagination include reads it like Django's Page."""

    def __init__(self, rows: list, number: int, has_next: bool):
        self.object_list, self.number = rows, number
        self.has_next, self.has_previous = has_next, number > 1
        # The Next link's position: where this page ends.
        self.after = QueuePosition.of(rows[-1]).encode() if has_next else ""

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


# The task's own columns a row shows (its position in the queue among them).
ROW_COLUMNS = ("title", "category", "priority", "status", "due_at", "created_at")


class TaskPaginator:
    """Pages through tasks in queue order without counting them: counting every open task of
    every client on each view cost more than the rest of the page.

    The first page, and a page the Next link gave a position for, read their rows straight
    from a range of the queue-order index. A page asked for by number alone skips the rows
    before it: it reads only ids for that, then joins that page's 25 rows."""

    # What a row of the queue or the task list shows.
    ROW_FIELDS = (
        *ROW_COLUMNS,
        "organization__name",
        "organization__timezone",
        "assignee__full_name",
        "assignee__email",
    )

    def __init__(self, tasks, per_page: int):
        self.tasks = tasks.select_related(None)
        self.per_page = per_page

    def get_page(self, number, after: str | None = None) -> TaskPage:
        """Page `number` (as the query string gave it); from the position `after` when the
        Next link gave one."""
        number = page_number(number)
        position = QueuePosition.decode(after) if number > 1 else None
        if number == 1:
            rows = self._rows(self.tasks, self.per_page + 1)
        elif position:
            rows = self._rows_after(position)
        else:
            rows = self._rows_of_page(number)
        if not rows and number > 1:
            # A page past the end (an old link, a shorter list now): show the last one.
            number = max(-(-self.tasks.count() // self.per_page), 1)
            rows = self._rows_of_page(number)
        return TaskPage(rows[: self.per_page], number, has_next=len(rows) > self.per_page)

    def _rows(self, tasks, limit: int) -> list[Task]:
        if limit <= 0:
            return []
        return list(self._joined(tasks)[:limit])

    def _joined(self, tasks):
        return tasks.select_related("organization", "assignee").only(*self.ROW_FIELDS)

    def _rows_after(self, position: QueuePosition) -> list:
        rows: list = []
        for piece in position.following(self.tasks):
            rows += self._rows(piece, self.per_page + 1 - len(rows))
        return rows

    def _rows_of_page(self, number: int) -> list:
        start = (number - 1) * self.per_page
        ids = list(self.tasks.values_list("id", flat=True)[start : start + self.per_page + 1])
        return self._rows_with_ids(ids)

    def _rows_with_ids(self, ids: list[int]) -> list[Task]:
        by_id = self._joined(Task.objects.all()).in_bulk(ids)
        return [by_id[pk] for pk in ids if pk in by_id]


@dataclass(slots=True)
class QueueRow:
    """One task of the queue page, read as plain values: making a Task of every row cost more
    than reading it. It answers what the row shows as a Task would."""

    pk: int
    organization_id: int
    assignee_id: int | None
    title: str
    category: str
    priority: int
    status: str
    due_at: datetime | None
    created_at: datetime
    organization: QueueClient | None = None
    assignee: object = None

    COLUMNS: ClassVar = ("id", "organization_id", "assignee_id", *ROW_COLUMNS)

    def get_category_display(self) -> str:
        return CATEGORY_LABELS[self.category]


CATEGORY_LABELS = dict(Category.choices)


class QueuePaginator(TaskPaginator):
    """The queue's pages without joins or Task objects: a row's client is one of the
    assistant's clients, already read for the filter, and its assistant is the viewer or
    nobody (the pool)."""

    def __init__(self, tasks, per_page: int, *, assistant, clients: list[QueueClient]):
        super().__init__(tasks, per_page)
        self.assistant = assistant
        self.clients = {client.pk: client for client in clients}

    def _rows(self, tasks, limit: int) -> list[QueueRow]:
        if limit <= 0:
            return []
        return [self._row(values) for values in tasks.values_list(*QueueRow.COLUMNS)[:limit]]

    def _rows_with_ids(self, ids: list[int]) -> list[QueueRow]:
        by_id = {
            values[0]: values
            for values in Task.objects.filter(id__in=ids).values_list(*QueueRow.COLUMNS)
        }
        return [self._row(by_id[pk]) for pk in ids if pk in by_id]

    def _row(self, values) -> QueueRow:
        row = QueueRow(*values)
        row.organization = self.clients[row.organization_id]
        row.assignee = self.assistant if row.assignee_id else None
        return row
