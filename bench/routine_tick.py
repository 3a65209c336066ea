"""The routine-trip scenario of `make bench`: how fast the beat tick
(`travel.services.routines_dispatch`) makes due occurrences into trips, against bulk-inserting
the same number of plain trip rows.

Ten organizations, each with an owner who travels and one engaged primary assistant who may
book travel; ten routines per owner, every day ("the plant in Green Bay"), booked 100 days
ahead: 100 routines × 100 due occurrences = 10,000 (`--routine-occurrences`). Each due
occurrence becomes a trip pre-filled from the routine's template (a flight and a hotel), its
timeline event and a booking task claimed by the assistant, who is notified as the product
does (an outbox row, and its send task published to Redis database 14 after each commit; no
worker runs, and the database is emptied afterwards).

Timed in this process, on the production settings and the bench's PostgreSQL: the first tick
(everything due), then the same tick again with nothing due. The baseline, in the same run:
`Trip.objects.bulk_create` of as many plain trips for the same travelers, in one transaction,
batches of 1,000. The CPU column adds this process's CPU time and its PostgreSQL backend's.

Everything it creates (the organizations, their people, trips, tasks and outbox rows) is
deleted afterwards, so that the other scenarios see the seeded database unchanged."""

import time
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from cpu import cpu_seconds, cpu_ticks

SLUG_PREFIX = "bench-routines-"
EMAIL_DOMAIN = "routines.bench.example"
TIMEZONE = "America/Chicago"
ORGANIZATIONS = 10
BASELINE_BATCH = 1_000
TEMPLATE = [
    {
        "kind": "flight",
        "provider": "Delta",
        "number": "DL 2345",
        "origin": "ATW",
        "destination": "GRB",
        "day": 0,
        "start": "15:10",
        "end_day": 0,
        "end": "16:20",
        "start_zone": TIMEZONE,
        "end_zone": TIMEZONE,
        "cost": "320.00",
        "currency": "USD",
    },
    {
        "kind": "hotel",
        "provider": "Hyatt Regency Green Bay",
        "destination": "Green Bay",
        "day": 0,
        "start": "17:00",
        "end_day": 1,
        "end": "11:00",
        "start_zone": TIMEZONE,
        "end_zone": TIMEZONE,
        "cost": "189.00",
        "currency": "USD",
    },
]


@dataclass
class TickResult:
    name: str
    tool: str
    occurrences: int
    seconds: float
    made: int = 0
    cpu_ms: float = float("nan")  # CPU ms per occurrence: this process and its backend
    notes: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.occurrences / self.seconds if self.seconds > 0 else float("nan")


@dataclass
class RoutineTickReport:
    tick: TickResult
    idle: TickResult
    baseline: TickResult
    checks: list[tuple[str, bool, str]]
    load: str
    routines: int
    days: int
    organizations: int


class RoutineTickScenario:
    def __init__(self, *, occurrences: int, days: int, broker_url: str) -> None:
        if occurrences % days:
            raise SystemExit("--routine-occurrences must be a multiple of --routine-days.")
        self.days = days
        self.routines = occurrences // days
        self.occurrences = occurrences
        self.broker_url = broker_url

    def run(self) -> RoutineTickReport:
        try:
            _remove_bench_rows()
            _flush_redis(self.broker_url)
            routines, people = self._create_routines()
            load = _load_average()
            tick, checks = self._first_tick(routines, people)
            idle, idle_check = self._idle_tick(routines)
            checks.append(idle_check)
            baseline = self._bulk_insert(routines)
            return RoutineTickReport(
                tick=tick,
                idle=idle,
                baseline=baseline,
                checks=checks,
                load=load,
                routines=self.routines,
                days=self.days,
                organizations=min(ORGANIZATIONS, self.routines),
            )
        finally:
            print("Routine tick: deleting what the scenario created...", flush=True)
            _remove_bench_rows()
            _flush_redis(self.broker_url)

    # -- preparation ---------------------------------------------------------------------

    def _create_routines(self):
        """The organizations, their owners and assistants, and the routines, as the product
        makes them (`routine_create` checks and normalises each rule)."""
        from accounts.models import User
        from assistants.models import AssistantProfile, Engagement
        from clients.models import Membership, Organization
        from travel import services
        from travel.models import TravelProfile

        print(
            f"Routine tick: {self.routines} daily routines over {ORGANIZATIONS} organizations, "
            f"{self.days} due occurrences each...",
            flush=True,
        )
        organizations = min(ORGANIZATIONS, self.routines)
        routines, people = [], []
        for number in range(organizations):
            organization = Organization.objects.create(
                name=f"Bench Routine Motors {number}",
                slug=f"{SLUG_PREFIX}{number}",
                timezone=TIMEZONE,
            )
            owner = User.objects.create_user(
                email=f"owner{number}@{EMAIL_DOMAIN}",
                full_name=f"Routine Owner {number}",
                timezone=TIMEZONE,
            )
            Membership.objects.create(
                user=owner, organization=organization, role=Membership.Role.OWNER
            )
            assistant = User.objects.create_user(
                email=f"assistant{number}@{EMAIL_DOMAIN}",
                full_name=f"Routine Assistant {number}",
                timezone=TIMEZONE,
            )
            AssistantProfile.objects.create(user=assistant, skills="Travel booking")
            Engagement.objects.create(
                assistant=assistant,
                organization=organization,
                role=Engagement.Role.PRIMARY,
                can_book_travel=True,
                travel_budget_limit=Decimal("1500"),
            )
            TravelProfile.objects.create(
                traveler=owner,
                home_airport="ATW",
                seat=TravelProfile.Seat.AISLE,
                preferred_airlines="Delta",
                hotel_chains="Hyatt",
            )
            people.append((organization, owner, assistant))
        today = _today()
        for number in range(self.routines):
            organization, owner, _ = people[number % organizations]
            routines.append(
                services.routine_create(
                    actor=owner,
                    organization=organization,
                    traveler=owner,
                    fields=services.RoutineFields(
                        title=f"Green Bay plant visit {number:03d}",
                        destinations="Green Bay",
                        rrule="FREQ=DAILY",
                        timezone=TIMEZONE,
                        starts_on=today,
                        days_before=1,
                        nights=1,
                        lead_days=self.days,
                        segment_template=TEMPLATE,
                        preferences="Aisle seat, the usual hotel",
                        auto_approve_limit=Decimal("600"),
                    ),
                )
            )
        return routines, people

    # -- the timed ticks -----------------------------------------------------------------

    def _first_tick(self, routines, people):
        from django.db.models import Count

        from tasks.models import Task
        from travel import services
        from travel.models import Trip

        print(
            f"Routine tick: routines_dispatch() making {self.occurrences:,} due occurrences...",
            flush=True,
        )
        made, seconds, cpu_seconds = _timed(services.routines_dispatch)
        result = TickResult(
            name=f"Routine tick: routines_dispatch() making {self.occurrences:,} due "
            f"occurrences ({self.routines} routines × {self.days} days)",
            tool="python, in process",
            occurrences=made,
            seconds=seconds,
            made=made,
            cpu_ms=1000 * cpu_seconds / made if made else float("nan"),
        )
        result.notes.append(
            f"{made:,} trips in {seconds:.1f} s ({1000 * seconds / max(made, 1):.1f} ms each); "
            f"this process and its PostgreSQL backend {cpu_seconds:.1f} s of CPU"
        )

        trips = Trip.objects.filter(routine__in=routines)
        per_occurrence = trips.values("routine", "occurrence_date").annotate(n=Count("id"))
        doubled = per_occurrence.filter(n__gt=1).count()
        occurrences = per_occurrence.count()
        without_task = trips.filter(task__isnull=True).count()
        organizations = [organization for organization, _, _ in people]
        tasks = Task.objects.filter(organization__in=organizations)
        task_count = tasks.count()
        orphan_tasks = tasks.filter(trip__isnull=True).count()
        unclaimed = tasks.filter(assignee__isnull=True).count()
        ok = (
            made == occurrences == task_count == self.occurrences
            and doubled == without_task == orphan_tasks == unclaimed == 0
        )
        detail = (
            f"the tick reported {made:,}; {occurrences:,} occurrences with a trip, "
            f"{doubled} with more than one; {task_count:,} booking tasks, trips without one: "
            f"{without_task}, tasks without a trip: {orphan_tasks}, not claimed: {unclaimed}"
        )
        checks = [
            (
                f"Routine tick: {self.occurrences:,} due occurrences made into exactly one trip "
                "and one claimed booking task each",
                ok,
                detail,
            )
        ]
        return result, checks

    def _idle_tick(self, routines):
        from travel import services
        from travel.models import Trip

        print("Routine tick: routines_dispatch() again, with nothing due...", flush=True)
        before = Trip.objects.filter(routine__in=routines).count()
        made, seconds, cpu_seconds = _timed(services.routines_dispatch)
        after = Trip.objects.filter(routine__in=routines).count()
        result = TickResult(
            name=f"Routine tick again, nothing due: the same {self.occurrences:,} occurrences "
            "looked at",
            tool="python, in process",
            occurrences=self.occurrences,
            seconds=seconds,
            made=made,
            cpu_ms=1000 * cpu_seconds / self.occurrences,
        )
        result.notes.append(
            f"{seconds * 1000:.0f} ms for {self.routines} routines "
            f"({1000 * seconds / self.routines:.1f} ms a routine), {made} trips made"
        )
        check = (
            "Routine tick re-run with nothing due makes nothing",
            made == 0 and after == before,
            f"made {made}; trips before {before:,}, after {after:,}",
        )
        return result, check

    # -- the baseline --------------------------------------------------------------------

    def _bulk_insert(self, routines) -> TickResult:
        """As many plain trips for the same travelers, bulk-inserted in one transaction and
        deleted again (the delete is not timed)."""
        from django.db import transaction

        from travel.models import Trip

        print(
            f"Routine tick baseline: bulk_create of {self.occurrences:,} plain trips...",
            flush=True,
        )
        today = _today()
        marker = "bench-routines-baseline"
        rows = [
            Trip(
                organization_id=routine.organization_id,
                traveler_id=routine.traveler_id,
                requested_by_id=routine.created_by_id,
                purpose=routine.title,
                destinations=routine.destinations,
                depart_on=today + timedelta(days=day),
                return_on=today + timedelta(days=day + 1),
                notes=marker,
                currency=routine.currency,
                status=Trip.Status.PLANNING,
            )
            for routine in routines
            for day in range(self.days)
        ]

        def insert() -> int:
            with transaction.atomic():
                return len(Trip.objects.bulk_create(rows, batch_size=BASELINE_BATCH))

        inserted, seconds, cpu_seconds = _timed(insert)
        Trip.objects.filter(notes=marker, routine__isnull=True).delete()
        result = TickResult(
            name=f"Routine tick baseline: bulk_create of {inserted:,} plain trip rows",
            tool="django bulk_create",
            occurrences=inserted,
            seconds=seconds,
            made=inserted,
            cpu_ms=1000 * cpu_seconds / inserted if inserted else float("nan"),
        )
        result.notes.append(
            f"{inserted:,} rows in {seconds:.2f} s, one transaction, batches of {BASELINE_BATCH:,}"
        )
        return result


def _timed(work):
    """Run `work()`; its result, the seconds it took and the CPU seconds of this process and
    of its PostgreSQL backend."""
    from django.db import connection

    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    backend_before = cpu_ticks([backend])
    cpu_before = time.process_time()
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    cpu += cpu_seconds(cpu_ticks([backend]), backend_before)
    return result, seconds, cpu


def _today():
    import zoneinfo

    from django.utils import timezone

    return timezone.localdate(timezone=zoneinfo.ZoneInfo(TIMEZONE))


def _remove_bench_rows() -> None:
    """This scenario's rows, left by this run or by one that was interrupted: the
    organizations take their trips, routines, tasks and engagements with them."""
    from accounts.models import User
    from clients.models import Organization
    from vapportal.models import OutgoingEmail

    Organization.objects.filter(slug__startswith=SLUG_PREFIX).delete()
    User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").delete()
    OutgoingEmail.objects.filter(to__endswith=f"@{EMAIL_DOMAIN}").delete()


def _flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def _load_average() -> str:
    return Path("/proc/loadavg").read_text().split()[0]
