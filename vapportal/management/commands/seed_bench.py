"""Fills the benchmark database: 200 client organizations, 50 assistants and about 100,000
tasks with their history, written with COPY so that it takes seconds.

It empties the database first, so it refuses to run unless the database is PostgreSQL and its
name ends in "_bench" (`make bench` uses vapportal_bench). The database is created if missing
and migrated before seeding; running the command again gives the same data."""

import random
import time
from collections.abc import Iterable, Sequence
from datetime import timedelta

import psycopg
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import OperationalError, connection, transaction
from django.utils import timezone
from psycopg import sql

from accounts.models import User
from assistants.models import AssistantProfile, Authority, Engagement
from clients.models import Membership, Organization
from tasks.models import (
    OPEN_STATUSES,
    Category,
    ChecklistItem,
    Comment,
    Priority,
    Status,
    Task,
    TaskEvent,
    TimeEntry,
)

BENCH_PASSWORD = "portal-bench-2026"
# Tables whose rows come from migrations, not from the seed.
KEPT_TABLES = {"django_migrations", "django_content_type", "auth_permission"}

# The share of tasks in each status, and of each priority: most work is open and waiting in
# the pool; a sixth of it is finished.
STATUS_MIX = {
    Status.NEW: 0.64,
    Status.IN_PROGRESS: 0.12,
    Status.WAITING: 0.05,
    Status.DONE: 0.16,
    Status.CANCELLED: 0.03,
}
PRIORITY_MIX = {Priority.LOW: 0.2, Priority.NORMAL: 0.5, Priority.HIGH: 0.22, Priority.URGENT: 0.08}

TIMEZONES = [
    "America/Chicago",
    "America/New_York",
    "America/Denver",
    "America/Los_Angeles",
    "America/Phoenix",
    "Europe/London",
]
FIRST_NAMES = ["Dana", "Luis", "Megan", "Tom", "Aisha", "Greg", "Kara", "Sam", "Priya", "Ben"]
FIRST_NAMES += ["Rosa", "Nate", "Hannah", "Victor", "Olivia", "Omar", "Chloe", "Diego", "Ingrid"]
LAST_NAMES = ["Kowalski", "Ortega", "Thiel", "Brandt", "Rahman", "Lindqvist", "Novak", "Shah"]
LAST_NAMES += ["Schultz", "Delgado", "Olson", "Cole", "Han", "Jensen", "Moreau", "Okafor", "Ruiz"]
BUSINESSES = ["Cars", "Dental Group", "Law Office", "Realty", "Plumbing", "Bakery", "Consulting"]
BUSINESSES += ["Landscaping", "Vet Clinic", "Insurance", "Roofing", "Print Shop", "Brewing Co"]
CITIES = ["Chicago", "Detroit", "Denver", "Atlanta", "Phoenix", "Boston", "Seattle", "Toronto"]
TASK_TITLES = [
    "Book flights to {city} for the {month} dealer meeting",
    "Reply to {vendor} about the {month} invoice",
    "Schedule a call with {person} about the lease renewal",
    "Find three quotes for {service}",
    "Renew the {thing} before it lapses",
    "Compile the {month} sales report for the managers",
    "Draft the team check-in for Monday",
    "Update the vendor list with {vendor}'s new contact",
    "Reconcile the {month} expense receipts",
    "Book a hotel in {city} near the convention center",
    "Send thank-you notes to the {month} event sponsors",
    "Research {service} providers in {city}",
    "Cancel the unused {thing} subscription",
    "Set up a lunch with {person} next week",
]
VENDORS = ["Acme Parts", "Lakeview Printing", "Northside Detailing", "Metro Signs"]
SERVICES = ["snow removal", "window cleaning", "payroll software", "security cameras"]
THINGS = ["business license", "domain name", "liability insurance", "parking permit"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September"]


class Command(BaseCommand):
    help = "Empty the _bench database and fill it with about 100,000 tasks for `make bench`."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--organizations", type=int, default=200)
        parser.add_argument("--assistants", type=int, default=50)
        parser.add_argument("--tasks", type=int, default=100_000)
        parser.add_argument(
            "--pod-size",
            type=int,
            default=8,
            help="Assistants (the first ones) who all serve the same clients: the bench's users.",
        )
        parser.add_argument(
            "--pod-organizations",
            type=int,
            default=40,
            help="How many clients the pod serves; their pools hold the queue and Take next work.",
        )
        parser.add_argument("--random-seed", type=int, default=2026)

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        _require_bench_database()
        _create_database_if_missing()
        call_command("migrate", interactive=False, verbosity=0)
        migrated = time.perf_counter()
        plan = _Plan(
            organizations=options["organizations"],
            assistants=options["assistants"],
            tasks=options["tasks"],
            pod_size=options["pod_size"],
            pod_organizations=options["pod_organizations"],
            rng=random.Random(options["random_seed"]),
        )
        if plan.pod_organizations > plan.organizations or plan.pod_size > plan.assistants:
            raise CommandError("The pod cannot be larger than the organizations or assistants.")
        with transaction.atomic():
            _empty_database()
            counts = plan.seed()
        seeded = time.perf_counter()
        with connection.cursor() as cursor:
            # Fresh statistics for the planner and a visibility map for index-only scans, as a
            # database that has been running for a while would have.
            cursor.execute("VACUUM ANALYZE")
        finished = time.perf_counter()
        summary = ", ".join(f"{count:,} {name}" for name, count in counts.items())
        self.stdout.write(f"Seeded {summary}.")
        self.stdout.write(
            f"Seed time: {finished - started:.1f} s (migrate check {migrated - started:.1f} s, "
            f"rows {seeded - migrated:.1f} s, vacuum analyze {finished - seeded:.1f} s)"
        )
        self.stdout.write(f"Every bench user's password is {BENCH_PASSWORD}")


def _require_bench_database() -> None:
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql" or not str(database["NAME"]).endswith(
        "_bench"
    ):
        raise CommandError(
            "seed_bench empties the database: point DATABASE_URL at a PostgreSQL database "
            f"whose name ends in _bench (not {database['NAME']!r})."
        )


def _create_database_if_missing() -> None:
    try:
        connection.ensure_connection()
        return
    except OperationalError as error:
        if "does not exist" not in str(error):
            raise
    database = settings.DATABASES["default"]
    params = {
        "dbname": "postgres",
        "host": database["HOST"] or None,
        "port": database["PORT"] or None,
        "user": database["USER"] or None,
        "password": database["PASSWORD"] or None,
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database["NAME"])))
    connection.close()


def _empty_database() -> None:
    tables = sorted(
        set(connection.introspection.django_table_names(only_existing=True)) - KEPT_TABLES
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE {} RESTART IDENTITY CASCADE".format(
                ", ".join(connection.ops.quote_name(table) for table in tables)
            )
        )


def _copy(table: str, columns: Sequence[str], rows: Iterable[tuple]) -> int:
    """COPY rows into a table: an order of magnitude faster than INSERTs for 100,000 rows."""
    count = 0
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _weighted(mix: dict) -> list:
    """A list to draw from with rng.choice, in the proportions of the mix. Plain values, not
    enum members, because psycopg would write an enum's name."""
    return [choice.value for choice, share in mix.items() for _ in range(round(share * 100))]


class _Plan:
    def __init__(
        self,
        *,
        organizations: int,
        assistants: int,
        tasks: int,
        pod_size: int,
        pod_organizations: int,
        rng: random.Random,
    ):
        self.organizations = organizations
        self.assistants = assistants
        self.tasks = tasks
        self.pod_size = pod_size
        self.pod_organizations = pod_organizations
        self.rng = rng
        self.now = timezone.now()
        self.statuses = _weighted(STATUS_MIX)
        self.priorities = _weighted(PRIORITY_MIX)

    def _name(self, index: int) -> str:
        return (
            f"{FIRST_NAMES[index % len(FIRST_NAMES)]} "
            f"{LAST_NAMES[(index // len(FIRST_NAMES) + index) % len(LAST_NAMES)]}"
        )

    def seed(self) -> dict[str, int]:
        password = make_password(BENCH_PASSWORD)
        notify_mix = [User.Notify.IMMEDIATELY] * 7 + [User.Notify.DAILY_DIGEST] * 2
        notify_mix += [User.Notify.NEVER]
        assistants = User.objects.bulk_create(
            User(
                email=f"assistant{n}@bench.vaportal.example",
                full_name="Rhonda Hayes" if n == 0 else self._name(n + 7),
                timezone=TIMEZONES[n % len(TIMEZONES)],
                password=password,
            )
            for n in range(self.assistants)
        )
        AssistantProfile.objects.bulk_create(
            AssistantProfile(
                user=user,
                bio="Virtual assistant: clerical work, vendors, travel.",
                skills="Scheduling, travel booking, vendor communications",
                working_hours="Mon–Fri 08:00–16:30",
            )
            for user in assistants
        )
        organizations = Organization.objects.bulk_create(
            Organization(
                name="Bergstrom Cars"
                if n == 0
                else f"{LAST_NAMES[n % len(LAST_NAMES)]} {BUSINESSES[n % len(BUSINESSES)]} {n}",
                slug=f"bench-client-{n}",
                timezone=TIMEZONES[n % len(TIMEZONES)],
                monthly_plan_hours=self.rng.choice([10, 20, 40, 80]),
            )
            for n in range(self.organizations)
        )
        owners = User.objects.bulk_create(
            User(
                email=f"owner{n}@bench.vaportal.example",
                full_name="Renard Bergstrom" if n == 0 else self._name(n * 3 + 1),
                timezone=organization.timezone,
                notify=self.rng.choice(notify_mix),
                password=password,
            )
            for n, organization in enumerate(organizations)
        )
        # A third of the clients also have a manager who delegates work.
        managed = [n for n in range(self.organizations) if n % 3 == 0]
        managers = dict(
            zip(
                managed,
                User.objects.bulk_create(
                    User(
                        email=f"manager{n}@bench.vaportal.example",
                        full_name=self._name(n * 5 + 2),
                        timezone=organizations[n].timezone,
                        notify=self.rng.choice(notify_mix),
                        password=password,
                    )
                    for n in managed
                ),
                strict=True,
            )
        )
        Membership.objects.bulk_create(
            [
                Membership(user=owner, organization=organization, role=Membership.Role.OWNER)
                for owner, organization in zip(owners, organizations, strict=True)
            ]
            + [
                Membership(user=manager, organization=organizations[n], role="manager")
                for n, manager in managers.items()
            ]
        )
        # Every client has one primary assistant (clients spread evenly over the assistants);
        # the pod's assistants also back up each other on the first clients, so that their
        # queues are long and their Take next presses compete for the same pools.
        engaged: dict[int, list[User]] = {}
        engagements = []
        for n, organization in enumerate(organizations):
            primary = assistants[n % self.assistants]
            engaged[n] = [primary]
            engagements.append(
                Engagement(
                    assistant=primary,
                    organization=organization,
                    started_on=timezone.localdate(self.now, organization.zone),
                    role=Engagement.Role.PRIMARY,
                    can_book_travel=True,
                    vendor_email_authority=Authority.SEND,
                    checkin_authority=Authority.DRAFT,
                )
            )
            if n < self.pod_organizations:
                for backup in assistants[: self.pod_size]:
                    if backup != primary:
                        engaged[n].append(backup)
                        engagements.append(
                            Engagement(
                                assistant=backup,
                                organization=organization,
                                started_on=timezone.localdate(self.now, organization.zone),
                                role=Engagement.Role.BACKUP,
                            )
                        )
        Engagement.objects.bulk_create(engagements)

        counts = self._seed_tasks(organizations, owners, managers, engaged)
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(
                no_style(), [Task, TaskEvent, TimeEntry, ChecklistItem, Comment]
            ):
                cursor.execute(statement)
        return {
            "organizations": len(organizations),
            "owners and managers": len(owners) + len(managers),
            "assistants": len(assistants),
            "engagements": len(engagements),
            **counts,
        }

    def _seed_tasks(self, organizations, owners, managers, engaged) -> dict[str, int]:
        rng, now = self.rng, self.now
        task_rows, event_rows, time_rows, checklist_rows, comment_rows = [], [], [], [], []
        per_organization, extra = divmod(self.tasks, len(organizations))
        task_id = 0
        for n, organization in enumerate(organizations):
            clients = [owners[n]] + ([managers[n]] if n in managers else [])
            for _ in range(per_organization + (1 if n < extra else 0)):
                task_id += 1
                status = rng.choice(self.statuses)
                requester = rng.choice(clients)
                age = timedelta(days=rng.uniform(0, 30 if status in OPEN_STATUSES else 180))
                created_at = now - age
                due_at = (
                    None
                    if rng.random() < 0.25
                    else created_at + timedelta(hours=rng.uniform(2, 24 * 21))
                )
                assignee = None
                if status != Status.NEW and not (status == Status.CANCELLED and rng.random() < 0.5):
                    assignee = rng.choice(engaged[n])
                completed_at = None
                if status == Status.DONE:
                    completed_at = min(now, created_at + timedelta(hours=rng.uniform(1, 240)))
                title = rng.choice(TASK_TITLES).format(
                    city=rng.choice(CITIES),
                    month=rng.choice(MONTHS),
                    vendor=rng.choice(VENDORS),
                    person=self._name(rng.randrange(400)),
                    service=rng.choice(SERVICES),
                    thing=rng.choice(THINGS),
                )
                task_rows.append(
                    (
                        task_id,
                        organization.id,
                        title,
                        f"Please take care of this.\n\n- {title}\n- Tell me when it is done",
                        rng.choice(Category.values),
                        rng.choice(self.priorities),
                        status,
                        assignee.id if assignee else None,
                        requester.id,
                        requester.id,
                        due_at,
                        rng.choice([None, None, 30, 60, 120, 240]),
                        created_at,
                        completed_at or created_at,
                        completed_at,
                    )
                )
                event_rows.append(
                    (task_id, requester.id, TaskEvent.Kind.CREATED, "", Status.NEW, created_at)
                )
                started_at = created_at + timedelta(minutes=rng.uniform(5, 600))
                if assignee is not None:
                    event_rows.append(
                        (
                            task_id,
                            assignee.id,
                            TaskEvent.Kind.ASSIGNED,
                            Status.NEW,
                            Status.IN_PROGRESS,
                            started_at,
                        )
                    )
                    for _ in range(rng.randint(0, 2) if status != Status.CANCELLED else 0):
                        time_rows.append(
                            (
                                task_id,
                                organization.id,
                                assignee.id,
                                rng.choice([15, 20, 30, 45, 60, 90]),
                                started_at,
                            )
                        )
                if status in (Status.WAITING, Status.DONE, Status.CANCELLED):
                    event_rows.append(
                        (
                            task_id,
                            (assignee or requester).id,
                            TaskEvent.Kind.MOVED,
                            Status.IN_PROGRESS if assignee else Status.NEW,
                            status,
                            completed_at or started_at,
                        )
                    )
                if rng.random() < 0.2:
                    for position in range(rng.randint(2, 4)):
                        checklist_rows.append(
                            (task_id, f"Step {position + 1}", status == Status.DONE, position)
                        )
                if assignee is not None and rng.random() < 0.15:
                    for author in (requester, assignee)[: rng.randint(1, 2)]:
                        comment_rows.append((task_id, author.id, "Any update on this?", started_at))
        return {
            "tasks": _copy(
                "tasks_task",
                (
                    "id",
                    "organization_id",
                    "title",
                    "details",
                    "category",
                    "priority",
                    "status",
                    "assignee_id",
                    "created_by_id",
                    "requested_by_id",
                    "due_at",
                    "budget_minutes",
                    "created_at",
                    "updated_at",
                    "completed_at",
                ),
                task_rows,
            ),
            "task events": _copy(
                "tasks_taskevent",
                ("task_id", "actor_id", "kind", "from_status", "to_status", "created_at", "note"),
                (row + ("",) for row in event_rows),
            ),
            "time entries": _copy(
                "tasks_timeentry",
                ("task_id", "organization_id", "assistant_id", "minutes", "logged_at", "note"),
                (row + ("",) for row in time_rows),
            ),
            "checklist items": _copy(
                "tasks_checklistitem", ("task_id", "text", "done", "position"), checklist_rows
            ),
            "comments": _copy(
                "tasks_comment", ("task_id", "author_id", "body", "created_at"), comment_rows
            ),
        }
