"""The routine-trip tick makes each due occurrence into exactly one trip with exactly one
booking task, whatever happens on the way: two ticks at the same moment (two worker processes,
or two threads on two database connections), or a worker killed in the middle of a batch.

Everything is real: Celery worker processes on the production settings, Redis and PostgreSQL.
The batch is slow only because it is big (daily routines booked months ahead); nothing in
the product is patched."""

import re
import signal
import uuid
import zoneinfo
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from tasks.models import Category, Task
from tasks.models import Status as TaskStatus
from tests.helpers import at_the_same_moment
from tests.integration.conftest import (
    WORKER_START_TIMEOUT,
    Worker,
    _database_url,
    _flush_redis,
    _forget_broker_connections,
    _stop,
    start_worker,
)
from travel import services
from travel.models import RoutineTrip, Trip
from travel.tasks import routines_dispatch
from vapportal.celery import app as celery_app

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
TICK_DONE = re.compile(
    r"travel\.tasks\.routines_dispatch\[([\w-]+)\] succeeded in [\d.e-]+s: (\d+)"
)


# The workers ----------------------------------------------------------------------------------


class TickWorkers:
    """Celery worker processes on the test database, each consuming a queue of its own, so
    that a tick published to `tick-<n>` runs on worker n and two ticks can run at once."""

    def __init__(self, database_url: str, broker_url: str, log_dir: Path) -> None:
        self.database_url, self.broker_url, self.log_dir = database_url, broker_url, log_dir
        self.started: list[tuple[Worker, str]] = []

    def start(self, count: int = 1) -> list[tuple[Worker, str]]:
        new = []
        for _ in range(count):
            name = f"routines-{uuid.uuid4().hex[:8]}"
            queue = f"tick-{name}"
            worker = start_worker(
                self.log_dir / f"{len(self.started) + 1}-{name}.log",
                hostname=name,
                database_url=self.database_url,
                broker_url=self.broker_url,
                email_url="dummymail://",
                queue=queue,
            )
            self.started.append((worker, queue))
            new.append((worker, queue))
        for worker, _ in new:
            worker.wait_for_log(
                r"@\S+ ready\.", what="a Celery worker to be ready", timeout=WORKER_START_TIMEOUT
            )
        return new

    def tick_on(self, queue: str) -> str:
        """Publish one beat tick to that worker's queue; the task's id."""
        return routines_dispatch.apply_async(queue=queue).id

    def made_by(self, worker: Worker, task_id: str, *, timeout: float = 120) -> int:
        """How many trips the tick made, once the worker says it succeeded."""
        found: list[int] = []

        def done() -> bool:
            for finished, made in TICK_DONE.findall(worker.log()):
                if finished == task_id:
                    found.append(int(made))
                    return True
            return False

        worker.wait_until(done, what=f"tick {task_id} to finish", timeout=timeout)
        return found[0]

    def kill(self, worker: Worker) -> None:
        """SIGKILL: no warm shutdown, no rollback but the one PostgreSQL does itself."""
        worker.process.send_signal(signal.SIGKILL)
        worker.process.wait(timeout=10)
        assert worker.process.returncode == -signal.SIGKILL, self.logs()

    def logs(self) -> str:
        return "\n".join(
            f"--- worker log {worker.log_path.name} ---\n{worker.log()}"
            for worker, _ in self.started
        )

    def stop_all(self) -> None:
        for worker, _ in self.started:
            _stop(worker.process)


@pytest.fixture
def broker(worker_broker_url, monkeypatch) -> Iterator[str]:
    """The integration tests' Redis database, empty before and after each test (a killed
    worker's unacknowledged tick must not reach the next test), and the test process
    publishing to it instead of running tasks eagerly."""
    conf = celery_app.conf
    previous = {"task_always_eager": conf.task_always_eager, "broker_url": conf.get("broker_url")}
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    _flush_redis(worker_broker_url)
    conf.update(task_always_eager=False, broker_url=worker_broker_url)
    _forget_broker_connections()
    try:
        yield worker_broker_url
    finally:
        _forget_broker_connections()
        conf.update(previous)
        _flush_redis(worker_broker_url)


@pytest.fixture
def workers(django_db_setup, broker, tmp_path) -> Iterator[TickWorkers]:
    from django.db import connection

    started = TickWorkers(_database_url(connection.settings_dict), broker, tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


# The routines ---------------------------------------------------------------------------------


def _today() -> date:
    return timezone.localdate(timezone=CHICAGO)


def _daily_routines(owner, organization, *, count: int, lead_days: int) -> list[RoutineTrip]:
    """Routines that come back every day, booked `lead_days` ahead: each has `lead_days`
    occurrences due now (tomorrow's to the last day of the window; today's left too late)."""
    return [
        services.routine_create(
            actor=owner,
            organization=organization,
            traveler=owner,
            fields=services.RoutineFields(
                title=f"Plant visit {number + 1}",
                destinations="Green Bay",
                rrule="FREQ=DAILY",
                timezone="America/Chicago",
                starts_on=_today(),
                days_before=1,
                nights=1,
                lead_days=lead_days,
                auto_approve_limit=Decimal("900"),
                segment_template=[
                    {
                        "kind": "car",
                        "provider": "Enterprise",
                        "destination": "Green Bay",
                        "day": 0,
                        "start": "07:00",
                        "end_day": 1,
                        "end": "18:00",
                        "start_zone": "America/Chicago",
                        "cost": "89.00",
                    }
                ],
            ),
        )
        for number in range(count)
    ]


def _due(routine: RoutineTrip) -> set[date]:
    today = _today()
    return {today + timedelta(days=n) for n in range(1, routine.lead_days + 1)}


def _assert_one_trip_and_one_task_per_occurrence(routines: list[RoutineTrip], assistant) -> None:
    trips = Trip.objects.filter(routine__in=routines)
    per_occurrence = Counter(trips.values_list("routine_id", "occurrence_date"))
    expected = {(routine.pk, day) for routine in routines for day in _due(routine)}
    assert set(per_occurrence) == expected
    assert set(per_occurrence.values()) == {1}
    # Every trip has its booking task, in the assistant's hands, and no task was left behind
    # without its trip by a transaction that did not finish.
    assert not trips.filter(task__isnull=True).exists()
    tasks = Task.objects.filter(organization=routines[0].organization, category=Category.TRAVEL)
    assert tasks.count() == len(expected)
    assert not tasks.filter(trip__isnull=True).exists()
    assert set(tasks.values_list("assignee", "status")) == {(assistant.pk, TaskStatus.IN_PROGRESS)}
    assert sorted(trips.values_list("task_id", flat=True)) == sorted(
        tasks.values_list("id", flat=True)
    )


# Two ticks at once ----------------------------------------------------------------------------


def test_two_workers_ticking_at_once_make_each_occurrence_into_one_trip_and_one_task(
    owner, organization, assistant, workers
):
    routines = _daily_routines(owner, organization, count=3, lead_days=60)
    expected = sum(len(_due(routine)) for routine in routines)
    (first, first_queue), (second, second_queue) = workers.start(count=2)

    ticks = [workers.tick_on(first_queue), workers.tick_on(second_queue)]
    made = [workers.made_by(first, ticks[0]), workers.made_by(second, ticks[1])]

    assert sum(made) == expected, workers.logs()
    assert min(made) >= 1, f"The two ticks did not overlap: {made}"
    _assert_one_trip_and_one_task_per_occurrence(routines, assistant)


def test_two_threads_ticking_at_once_on_two_connections_make_each_trip_once(
    owner, organization, assistant
):
    routines = _daily_routines(owner, organization, count=2, lead_days=40)
    expected = sum(len(_due(routine)) for routine in routines)
    made = at_the_same_moment(services.routines_dispatch, services.routines_dispatch, timeout=120)

    assert sum(made) == expected
    assert min(made) >= 1, f"The two ticks did not overlap: {made}"
    _assert_one_trip_and_one_task_per_occurrence(routines, assistant)


# A worker killed mid-batch --------------------------------------------------------------------


def test_a_worker_killed_mid_batch_keeps_what_it_committed_and_the_next_tick_makes_the_rest(
    owner, organization, assistant, workers
):
    routines = _daily_routines(owner, organization, count=4, lead_days=services.MAX_LEAD_DAYS)
    expected = sum(len(_due(routine)) for routine in routines)
    made_so_far = Trip.objects.filter(routine__in=routines)
    [(worker, queue)] = workers.start()

    workers.tick_on(queue)
    worker.wait_until(
        lambda: made_so_far.count() >= 40, what="the tick to make 40 trips", timeout=60
    )
    workers.kill(worker)

    committed = set(made_so_far.values_list("pk", flat=True))
    assert 40 <= len(committed) < expected, "The batch finished before the worker was killed"
    trips = Trip.objects.filter(pk__in=committed)
    assert not trips.filter(task__isnull=True).exists()
    assert not Task.objects.filter(organization=organization, trip__isnull=True).exists()
    assert Task.objects.filter(organization=organization).count() == len(committed)

    [(replacement, queue)] = workers.start()
    made = workers.made_by(replacement, workers.tick_on(queue))

    assert made == expected - len(committed), workers.logs()
    assert committed <= set(made_so_far.values_list("pk", flat=True))
    _assert_one_trip_and_one_task_per_occurrence(routines, assistant)

    # One more tick, as beat would run five minutes later: nothing is due any more.
    assert workers.made_by(replacement, workers.tick_on(queue)) == 0
    assert made_so_far.count() == expected
