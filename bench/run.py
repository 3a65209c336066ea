"""`make bench`: seed about 100,000 tasks, serve the portal with gunicorn on the production
settings and PostgreSQL, load it over loopback, and print one table.

wrk measures the GET pages and the task-creating POST for a fixed time each, and Take next
for a fixed count (10,000 presses over 8 connections): each wrk thread stops after its share
and records the task each press claimed, and then the database is checked for double
assignments.

The check-in delivery scenario (bench/checkin_delivery.py) mails one check-in to 1,000 team
members through one real Celery worker to an SMTP sink on loopback, against a bare smtplib
loop sending the same messages.

The routine-trip scenario (bench/routine_tick.py) times the beat tick making 10,000 due
occurrences of routine trips into trips with their booking tasks, then the same tick with
nothing due, against bulk-inserting as many plain trip rows. `--only http`, `--only checkins`
or `--only routines` runs one part alone.

Everything it starts (gunicorn, wrk, the Celery worker, the SMTP sink) is stopped on the way
out, failure or not. It uses only its own database (vapportal_bench) and Redis database 14."""

import argparse
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

from cpu import cpu_seconds, cpu_ticks

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = ROOT / "var" / "bench"
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/vapportal_bench"
)
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")
CSRF_CHARS = string.ascii_letters + string.digits
PAGE_SIZE = 25
SCENARIO_GROUPS = ("http", "checkins", "routines")


@dataclass
class Result:
    name: str
    tool: str
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    requests: int
    errors: int = 0
    # CPU time the gunicorn workers and their PostgreSQL backends spent per request: other
    # jobs on a shared machine inflate it far less than they inflate the latencies.
    cpu_ms: float = float("nan")
    notes: list[str] = field(default_factory=list)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk scenario")
    parser.add_argument("--warmup", type=int, default=2, help="untimed seconds before each")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--claim-clients", type=int, default=8)
    parser.add_argument(
        "--claim-time-limit",
        type=int,
        default=180,
        help="stop Take next after this many seconds even if the claims are not all done",
    )
    cores = len(os.sched_getaffinity(0))
    parser.add_argument("--workers", type=int, default=2 * cores + 1, help="gunicorn workers")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=600,
        help="CONN_MAX_AGE for the web workers: persistent database connections that outlive "
        "the run, so that their CPU time can be counted",
    )
    parser.add_argument("--skip-seed", action="store_true", help="reuse the seeded database")
    parser.add_argument(
        "--only",
        choices=SCENARIO_GROUPS,
        help="run only the HTTP scenarios (wrk, Take next), only the check-in delivery or only "
        "the routine-trip tick",
    )
    parser.add_argument("--checkin-recipients", type=int, default=1_000)
    parser.add_argument(
        "--checkin-time-limit",
        type=int,
        default=300,
        help="stop waiting for the check-in's messages after this many seconds",
    )
    parser.add_argument(
        "--routine-occurrences",
        type=int,
        default=10_000,
        help="due occurrences the routine tick makes into trips",
    )
    parser.add_argument(
        "--routine-days",
        type=int,
        default=100,
        help="due occurrences per routine (daily routines booked this many days ahead)",
    )
    args = parser.parse_args()

    wrk = shutil.which("wrk")
    if wrk is None and args.only not in ("checkins", "routines"):
        print("wrk is needed: apt-get install -y wrk (Debian package), then run make bench again.")
        return 2
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    origin = f"http://127.0.0.1:{port}"
    env = {
        "DJANGO_SETTINGS_MODULE": "vapportal.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "TRAVEL_ENCRYPTION_KEYS": secrets.token_urlsafe(24),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "CSRF_TRUSTED_ORIGINS": origin,
        "DATABASE_URL": DATABASE_URL,
        "CELERY_BROKER_URL": BROKER_URL,
        "EMAIL_URL": "dummymail://",
        "SITE_URL": origin,
        "CONN_MAX_AGE": str(args.conn_max_age),
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    import django

    django.setup()

    # Ctrl-C or a TERM from make: unwind through the finally blocks that stop what we started.
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    run = BenchRun(args=args, env=env, port=port, origin=origin, wrk=wrk, cores=cores)
    try:
        return run.execute()
    finally:
        run.cleanup()


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BenchRun:
    def __init__(self, *, args, env: dict, port: int, origin: str, wrk: str, cores: int):
        self.args, self.env, self.port, self.origin, self.wrk = args, env, port, origin, wrk
        self.cores = cores
        self.server: subprocess.Popen | None = None
        self.server_log = None
        self.seed_seconds: float | None = None
        self.seed_summary = ""
        self.results: dict[str, Result] = {}
        self.checks: list[tuple[str, bool, str]] = []
        # Other people's test runs share this machine; the load average before each scenario
        # says how quiet it was.
        self.load: dict[str, str] = {}
        self.double_assignment_check: tuple[bool, str] = (False, "not run")
        self.plan_times: dict[str, str] = {}
        self.checkin_scenario = None
        self.checkin_delivery = None
        self.routine_tick = None

    def _runs(self, group: str) -> bool:
        return self.args.only in (None, group)

    # -- the run -------------------------------------------------------------------------

    def execute(self) -> int:
        started = time.perf_counter()
        self._seed()
        if self._runs("http"):
            self._http_scenarios()
        if self._runs("checkins"):
            self.checkin_delivery = self._checkin_delivery()
        if self._runs("routines"):
            self.routine_tick = self._routine_tick()
        report = self._report(time.perf_counter() - started)
        print(report)
        (OUT_DIR / "results.md").write_text(report)
        print(f"Written to {(OUT_DIR / 'results.md').relative_to(ROOT)}")
        return 0 if all(ok for _, ok, _ in self.checks) else 1

    def _http_scenarios(self) -> None:
        self._collect_static()
        people = self._people()
        self.queue_rows, self.create_people = people["queue_rows"], people["create_people"]
        _flush_broker()
        self._start_server()
        self._check_pages(people)
        task_path = f"/tasks/{people['task_id']}/"
        page_200 = self._follow_next_to_page(200, people["assistant_cookie"])
        scenarios = {
            "baseline": ("Baseline: GET /help/", "/help/"),
            "queue": ("Queue page 1: GET /tasks/queue/", "/tasks/queue/"),
            "queue200": ("Queue page 200, reached by Next: GET " + page_200, page_200),
            "queue200_typed": (
                "Queue page 200 by its number alone: GET /tasks/queue/?page=200",
                "/tasks/queue/?page=200",
            ),
            "task": (f"Task page: GET {task_path}", task_path),
        }
        for key, (name, path) in scenarios.items():
            self.results[key] = self._wrk_get(name, path, people["assistant_cookie"])
        self.results["create"] = self._wrk_post(
            "Create a task: POST /tasks/new/", "/tasks/new/", people["create_requests"]
        )
        # The baseline once more: the machine is shared, and the two runs show the drift.
        self.results["baseline_again"] = self._wrk_get(
            "Baseline again: GET /help/", "/help/", people["assistant_cookie"]
        )
        self.results["take_next"] = self._take_next(people)
        self._stop_server()
        self._explain(people)

    def _checkin_delivery(self):
        """After the HTTP scenarios, with gunicorn stopped: the worker has the machine."""
        from checkin_delivery import CheckinDeliveryScenario

        self.checkin_scenario = CheckinDeliveryScenario(
            env=self.env,
            root=ROOT,
            out_dir=OUT_DIR,
            broker_url=BROKER_URL,
            recipients=self.args.checkin_recipients,
            time_limit=self.args.checkin_time_limit,
        )
        report = self.checkin_scenario.run()
        self.load["Check-in delivery: the worker"] = report.load
        return report

    def _routine_tick(self):
        """Last, with gunicorn and the check-in worker stopped: the tick runs in this process."""
        from routine_tick import RoutineTickScenario

        scenario = RoutineTickScenario(
            occurrences=self.args.routine_occurrences,
            days=self.args.routine_days,
            broker_url=BROKER_URL,
        )
        report = scenario.run()
        self.load["Routine tick: this process"] = report.load
        return report

    def cleanup(self) -> None:
        self._stop_server()
        if self.checkin_scenario is not None:
            self.checkin_scenario.stop_worker()
        from django.db import connections

        connections.close_all()
        try:
            _flush_broker()
        except Exception as error:  # noqa: BLE001 (tidying up must not hide the real error)
            print(f"Could not empty Redis database 14: {error}")

    # -- preparation ---------------------------------------------------------------------

    def _seed(self) -> None:
        from django.core.management import call_command

        if self.args.skip_seed:
            print("Reusing the seeded database (--skip-seed).")
            return
        print("Seeding the bench database (seed_bench)...", flush=True)
        out = StringIO()
        started = time.perf_counter()
        call_command("seed_bench", stdout=out)
        self.seed_seconds = time.perf_counter() - started
        print(out.getvalue(), end="")
        summary, timing = out.getvalue().splitlines()[:2]
        self.seed_summary = f"{summary} {timing}"

    def _collect_static(self) -> None:
        # The production settings serve hashed file names from a manifest; without it every
        # page that links a stylesheet fails.
        from django.core.management import call_command

        call_command("collectstatic", interactive=False, verbosity=0)

    def _people(self) -> dict:
        """Signed-in sessions made directly in the session store (the session cookie is
        Secure in production, so logging in over plain http would not keep it), and the
        request bodies of the POST scenarios."""
        from accounts.models import User
        from clients.models import Membership
        from tasks.models import Status, Task, TaskEvent
        from tasks.queue import queue_for

        assistants = list(
            User.objects.filter(
                email__startswith="assistant", assistant_profile__isnull=False
            ).order_by("id")[: self.args.claim_clients]
        )
        if len(assistants) < self.args.claim_clients:
            raise SystemExit("The bench database has too few assistants: run without --skip-seed.")
        measured = assistants[0]
        queue_rows = queue_for(measured).count()
        if queue_rows < 200 * PAGE_SIZE:
            raise SystemExit(f"The measured queue has {queue_rows} rows: page 200 does not exist.")
        task = (
            Task.objects.filter(assignee=measured, status=Status.IN_PROGRESS)
            .exclude(comments=None)
            .order_by("id")
            .first()
        )
        due_date = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
        create_lines = []
        for membership in Membership.objects.filter(role=Membership.Role.OWNER).select_related(
            "user"
        ):
            cookie, token = _session(membership.user)
            body = urllib.parse.urlencode(
                {
                    "csrfmiddlewaretoken": token,
                    "organization": membership.organization_id,
                    "title": "Call the insurer about the fleet policy renewal",
                    "details": "They need the **new VINs** before Friday.",
                    "category": "vendors",
                    "priority": "2",
                    "due_date": due_date,
                    "due_time": "17:00",
                    "budget_minutes": "45",
                    "checklist": "Find the VIN list\nCall the agent",
                }
            )
            create_lines.append(f"{cookie}\t{body}")
        create_requests = OUT_DIR / "create_requests.tsv"
        create_requests.write_text("\n".join(create_lines) + "\n")
        # Take next: one line per claiming assistant; wrk's connections take them in turn.
        claim_requests = OUT_DIR / "claim_requests.tsv"
        claim_requests.write_text(
            "".join(
                "{}\tcsrfmiddlewaretoken={}\n".format(*_session(assistant))
                for assistant in assistants
            )
        )
        return {
            "assistant_cookie": _session(measured)[0],
            "queue_rows": queue_rows,
            "task_id": task.id,
            "create_requests": create_requests,
            "create_people": len(create_lines),
            "claim_requests": claim_requests,
            "event_watermark": TaskEvent.objects.order_by("-id").values_list("id", flat=True)[0],
            "measured": measured,
        }

    # -- the server ----------------------------------------------------------------------

    def _start_server(self) -> None:
        self.server_log = open(OUT_DIR / "gunicorn.log", "w")  # noqa: SIM115
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "vapportal.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.args.workers),
            "--worker-class",
            "sync",
            "--timeout",
            "60",
        ]
        print(
            f"Starting gunicorn: {self.args.workers} sync workers on 127.0.0.1:{self.port} "
            f"(CONN_MAX_AGE={self.args.conn_max_age})",
            flush=True,
        )
        self.server = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=self.server_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise SystemExit(f"gunicorn exited; see {OUT_DIR / 'gunicorn.log'}")
            try:
                status, _, _ = self._request("GET", "/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit("gunicorn did not answer /healthz within 30 s")

    def _stop_server(self) -> None:
        if self.server is None:
            return
        server, self.server = self.server, None
        if server.poll() is None:
            try:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=15)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        if self.server_log:
            self.server_log.close()

    def _server_cpu(self) -> dict[int, int]:
        """CPU clock ticks used so far by each gunicorn worker and by each PostgreSQL backend
        connected to the bench database (this script's own connection aside)."""
        from django.db import connection

        pids = [
            int(child)
            for task in Path(f"/proc/{self.server.pid}/task").iterdir()
            for child in (task / "children").read_text().split()
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            )
            pids += [row[0] for row in cursor.fetchall()]
        return cpu_ticks(pids)

    def _server_cpu_since(self, before: dict[int, int]) -> float:
        """CPU seconds since `before`; a process that started since then counts in full."""
        return cpu_seconds(self._server_cpu(), before)

    def _request(self, method: str, path: str, headers: dict | None = None, body: str = ""):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body or None, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.getheader("Location", ""), response.read()
        finally:
            connection.close()

    def _follow_next_to_page(self, number: int, cookie: str) -> str:
        """The address of page `number` as a person reaches it: by following Next from the
        first page (its link carries where the previous page ended)."""
        path = "/tasks/queue/"
        link = re.compile(rb'href="\?([^"]*page=(\d+)[^"]*)">Next</a>')
        for _ in range(number - 1):
            status, location, body = self._request("GET", path, {"Cookie": cookie})
            found = link.search(body) if status == 200 else None
            if found is None:
                raise SystemExit(f"GET {path} answered {status} {location}: no Next link")
            path = "/tasks/queue/?" + found.group(1).decode().replace("&amp;", "&")
        status, location, body = self._request("GET", path, {"Cookie": cookie})
        if status != 200 or f"Page {number}<".encode() not in body:
            raise SystemExit(f"GET {path} answered {status} {location}: not page {number}")
        return path

    def _check_pages(self, people: dict) -> None:
        """Each scenario does what it claims before it is timed: a 200 with the expected
        page, not a redirect to the login page or a 404."""
        cookie = {"Cookie": people["assistant_cookie"]}
        expected = {
            "/help/": b"How VA Portal works",
            "/tasks/queue/": b'id="queue"',
            "/tasks/queue/?page=200": b"Page 200<",
            f"/tasks/{people['task_id']}/": b"Any update on this?",
        }
        for path, marker in expected.items():
            status, location, body = self._request("GET", path, cookie)
            if status != 200 or marker not in body:
                raise SystemExit(f"GET {path} answered {status} {location}: not the page expected")

    # -- the load ------------------------------------------------------------------------

    def _wrk(self, name: str, path: str, extra: list[str], script: str, script_args=()):
        url = f"{self.origin}{path}"
        base = [self.wrk, f"-t{self.args.threads}", f"-c{self.args.connections}", "--latency"]
        base += ["-s", str(BENCH_DIR / script), *extra]
        if self.args.warmup:
            subprocess.run(
                [*base, f"-d{self.args.warmup}s", url, "--", *script_args],
                check=True,
                capture_output=True,
            )
        print(f"wrk: {name} ({self.args.duration} s)...", flush=True)
        self.load[name] = _load_average()
        cpu_before = self._server_cpu()
        output = subprocess.run(
            [*base, f"-d{self.args.duration}s", url, "--", *script_args],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        cpu = self._server_cpu_since(cpu_before)
        (OUT_DIR / f"wrk-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.txt").write_text(
            output
        )
        result = _parse_wrk(name, output)
        result.cpu_ms = 1000 * cpu / result.requests if result.requests else float("nan")
        return result

    def _wrk_get(self, name: str, path: str, cookie: str) -> Result:
        return self._wrk(name, path, ["-H", f"Cookie: {cookie}"], "get.lua")

    def _wrk_post(self, name: str, path: str, requests_file: Path) -> Result:
        from tasks.models import Task

        before = Task.objects.count()
        result = self._wrk(
            name,
            path,
            ["-H", f"Origin: {self.origin}"],
            "post_form.lua",
            (str(requests_file), path),
        )
        created = Task.objects.count() - before
        result.notes.append(f"{created:,} tasks created (warm-up included)")
        return result

    def _take_next(self, people: dict) -> Result:
        """`claims` presses of Take next by wrk over `claim_clients` connections, successive
        presses from different assistants. Each wrk thread stops after its share and records
        where every press was redirected (the task it claimed); then the database is checked
        for double assignments."""
        total = self.args.claims
        threads = self.args.threads
        per_thread = -(-total // threads)
        path = "/tasks/queue/next/"
        record = OUT_DIR / "take-next"
        for old in OUT_DIR.glob("take-next-*"):
            old.unlink()
        command = [
            self.wrk,
            f"-t{threads}",
            f"-c{self.args.claim_clients}",
            f"-d{self.args.claim_time_limit}s",
            "--latency",
            "-s",
            str(BENCH_DIR / "post_form.lua"),
            "-H",
            f"Origin: {self.origin}",
            f"{self.origin}{path}",
            "--",
            str(people["claim_requests"]),
            path,
            str(per_thread),
            str(record),
        ]
        records = [Path(f"{record}-{number}") for number in range(threads)]
        name = f"Take next: POST {path} ({self.args.claim_clients} clients)"
        print(f"wrk: {name}, {per_thread * threads:,} presses...", flush=True)
        self.load[f"Take next ({self.args.claim_clients} clients)"] = _load_average()
        cpu_before = self._server_cpu()
        started = time.perf_counter()
        wrk = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        try:
            # wrk runs for its whole duration even when every thread has stopped: interrupt
            # it (it then reports as usual) once each thread has written its record.
            while wrk.poll() is None and not all(path.exists() for path in records):
                time.sleep(0.02)
            elapsed = time.perf_counter() - started
            wrk.send_signal(signal.SIGINT)
            output, _ = wrk.communicate(timeout=60)
        finally:
            if wrk.poll() is None:
                wrk.kill()
                wrk.wait()
        cpu = self._server_cpu_since(cpu_before)
        (OUT_DIR / "wrk-take-next.txt").write_text(output)
        result = _parse_wrk(name, output)
        result.cpu_ms = 1000 * cpu / result.requests if result.requests else float("nan")
        claimed, outcomes = [], {"empty": 0, "error": 0}
        pattern = re.compile(r"/tasks/(\d+)/$")
        for line in (line for path in records if path.exists() for line in path.open()):
            status, _, location = line.rstrip("\n").partition("\t")
            match = pattern.search(location)
            if status == "302" and match:
                claimed.append(int(match.group(1)))
            else:
                outcomes["empty" if status == "302" else "error"] += 1
        presses = len(claimed) + outcomes["empty"] + outcomes["error"]
        if presses < total:
            result.notes.append(
                f"stopped at the {self.args.claim_time_limit} s limit after {presses:,} of "
                f"{total:,} presses"
            )
        result.notes.append(
            f"{len(claimed):,} claims, {outcomes['empty']:,} empty pool, "
            f"{outcomes['error']:,} errors, in {elapsed:.1f} s"
        )
        self._verify_claims(people, claimed, result)
        return result

    def _verify_claims(self, people: dict, claimed: list[int], result: Result) -> None:
        """No task taken twice: one "assigned" event per task since the run started, each
        task held by the assistant its event names, and as many events as the presses wrk
        saw claim a task (plus at most one per connection, pressed as the threads stopped)."""
        from django.db.models import Count, F

        from tasks.models import TaskEvent

        events = TaskEvent.objects.filter(
            id__gt=people["event_watermark"], kind=TaskEvent.Kind.ASSIGNED
        )
        doubled = events.values("task").annotate(n=Count("id")).filter(n__gt=1).count()
        event_count = events.count()
        repeated = len(claimed) - len(set(claimed))
        held_by_another = events.exclude(task__assignee=F("actor")).count()
        unrecorded = len(set(claimed) - set(events.values_list("task", flat=True)))
        in_flight = event_count - len(claimed)
        ok = (
            doubled == repeated == held_by_another == unrecorded == 0
            and 0 <= in_flight <= self.args.claim_clients
        )
        detail = (
            f"{len(claimed):,} claims seen by wrk, {event_count:,} 'assigned' events "
            f"({in_flight} pressed as wrk stopped); tasks with more than one: {doubled}; "
            f"task ids returned twice: {repeated}; claimed tasks held by someone other than "
            f"their taker: {held_by_another}; claims with no event: {unrecorded}"
        )
        result.notes.append(detail)
        self.double_assignment_check = (ok, detail)

    # -- the query plans -----------------------------------------------------------------

    def _explain(self, people: dict) -> None:
        """EXPLAIN ANALYZE of the queue page's queries and Take next's, on the same data."""
        from django.db import connection, transaction

        from tasks.queue import claimable_statement, engaged_clients, queue_for
        from tasks.services import TAKE_NEXT_WINDOWS

        measured = people["measured"]
        queue = queue_for(measured)
        lines = []
        with transaction.atomic(), connection.cursor() as cursor:
            # Take next's claim (tasks.services.claim_next_task), first window.
            clients, window = engaged_clients(measured), TAKE_NEXT_WINDOWS[0]
            count_sql, count_params = queue.order_by().query.sql_with_params()
            statements = {
                "queue page 1": queue[:PAGE_SIZE].query.sql_with_params(),
                "queue page 200": queue[199 * PAGE_SIZE : 200 * PAGE_SIZE].query.sql_with_params(),
                "take next's claim (after the run)": claimable_statement(clients, window),
                # Django's own SQL for the queue inside; the values travel as parameters.
                "queue count": (f"SELECT COUNT(*) FROM ({count_sql}) AS q", count_params),  # noqa: S608
            }
            for label, (sql, params) in statements.items():
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = [row[0] for row in cursor.fetchall()]
                lines += [f"-- {label}", *plan, ""]
                self.plan_times[label] = next(
                    (line.split(": ")[1] for line in plan if line.startswith("Execution Time")),
                    "?",
                )
            transaction.set_rollback(True)
        (OUT_DIR / "explain.txt").write_text("\n".join(lines))

    # -- the report ----------------------------------------------------------------------

    def _report(self, elapsed: float) -> str:
        rows = [
            "| scenario | requests/s | p50 ms | p95 ms "
            "| throughput vs baseline | p95 vs baseline | server CPU ms/request |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        setup: list[str] = []
        notes: list[str] = []
        self.checks = []
        if self.results:
            self._http_report(rows, setup, notes)
        if self.checkin_delivery is not None:
            self._checkin_report(rows, setup, notes)
        if self.routine_tick is not None:
            self._routine_report(rows, setup, notes)
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            "unknown",
        )
        seed = f"{self.seed_seconds:.1f} s" if self.seed_seconds is not None else "not seeded"
        lines = [
            "# VA Portal benchmark",
            "",
            f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            f"- nproc: {self.cores}; CPU: {cpu}",
            f"- seed: {seed} ({self.seed_summary})" if self.seed_summary else f"- seed: {seed}",
            *setup,
            "",
            *rows,
            "",
            "## Targets",
            "",
            *[
                f"- {'PASS' if ok else 'FAIL'}: {label} ({detail})"
                for label, ok, detail in self.checks
            ],
            "",
            "## Notes",
            "",
            *notes,
            "- 1-minute load average before each scenario (2 cores; other jobs on the machine "
            "count too): "
            + ", ".join(f"{name.split(':')[0]} {load}" for name, load in self.load.items()),
            f"- whole run: {elapsed:.0f} s",
            "",
        ]
        return "\n".join(lines)

    def _http_report(self, rows: list[str], setup: list[str], notes: list[str]) -> None:
        baselines = [self.results["baseline"], self.results["baseline_again"]]
        # Ratios are to the mean of the two baseline runs.
        base = Result(
            name="baseline",
            tool="wrk",
            requests_per_second=sum(b.requests_per_second for b in baselines) / 2,
            p50_ms=sum(b.p50_ms for b in baselines) / 2,
            p95_ms=sum(b.p95_ms for b in baselines) / 2,
            requests=sum(b.requests for b in baselines),
        )
        order = [
            "baseline",
            "baseline_again",
            "queue",
            "queue200",
            "queue200_typed",
            "task",
            "create",
            "take_next",
        ]
        for result in (self.results[key] for key in order):
            rows.append(
                f"| {result.name} [{result.tool}] | {result.requests_per_second:,.1f} | "
                f"{result.p50_ms:.1f} | {result.p95_ms:.1f} | "
                f"{result.requests_per_second / base.requests_per_second:.2f}× | "
                f"{result.p95_ms / base.p95_ms:.2f}× | {result.cpu_ms:.1f} |"
            )
        queue, deep, take = (self.results[key] for key in ("queue", "queue200", "take_next"))
        share = queue.requests_per_second / base.requests_per_second
        deep_cost = queue.requests_per_second / deep.requests_per_second
        deep_p50 = deep.p50_ms / queue.p50_ms
        doubles_ok, doubles_detail = self.double_assignment_check
        complete = take.requests >= self.args.claims
        self.checks += [
            (
                "Queue page keeps at least 40% of the baseline's throughput",
                share >= 0.40,
                f"{share:.0%}",
            ),
            ("Queue page p95 under 100 ms", queue.p95_ms < 100, f"{queue.p95_ms:.1f} ms"),
            (
                f"Take next: {self.args.claims:,} presses by {self.args.claim_clients} "
                "concurrent clients, zero double assignments",
                doubles_ok and complete,
                doubles_detail + ("" if complete else f"; only {take.requests:,} presses"),
            ),
            ("Take next p95 under 50 ms", take.p95_ms < 50, f"{take.p95_ms:.1f} ms"),
            (
                "Queue page 200 (reached by Next) costs no more than 1.5× page 1 "
                "(time per request and p50)",
                deep_cost <= 1.5 and deep_p50 <= 1.5,
                f"{deep_cost:.2f}× the time per request, {deep_p50:.2f}× the p50",
            ),
        ]
        errors = [
            f"- {r.name}: {r.errors:,} failed requests" for r in self.results.values() if r.errors
        ]
        notes += [f"- {r.name}: {'; '.join(r.notes)}" for r in self.results.values() if r.notes]
        base_cpu = sum(b.cpu_ms for b in baselines) / 2
        notes.append(
            "- server CPU per request against the baseline's (what the throughput ratios tend "
            "to on a CPU-bound machine, whatever else runs on it): "
            + ", ".join(
                f"{self.results[key].name.split(':')[0]} {self.results[key].cpu_ms / base_cpu:.1f}×"
                for key in order[2:]
            )
        )
        notes += errors
        notes.append(
            "- query plans (EXPLAIN ANALYZE, var/bench/explain.txt): "
            + ", ".join(f"{label} {value}" for label, value in self.plan_times.items())
        )
        setup += [
            f"- server: gunicorn, {self.args.workers} sync workers, production settings, "
            f"PostgreSQL, CONN_MAX_AGE={self.args.conn_max_age}; loopback",
            f"- load: wrk {self.args.threads} threads × {self.args.connections} connections, "
            f"{self.args.duration} s per scenario after {self.args.warmup} s warm-up "
            "(the baseline at the start and again before Take next; ratios are to their mean); "
            f"Take next: wrk {self.args.threads} threads × {self.args.claim_clients} "
            f"connections, {self.args.claims:,} presses",
            f"- data: the measured assistant's queue holds {self.queue_rows:,} open tasks "
            f"({self.queue_rows // PAGE_SIZE + 1} pages); the POST rotates over "
            f"{self.create_people} owners",
        ]

    def _checkin_report(self, rows: list[str], setup: list[str], notes: list[str]) -> None:
        """Two rows in messages per second: the worker's delivery and the bare loop it is
        compared with; the CPU column is per message, of the sending side."""
        delivery = self.checkin_delivery
        worker, bare = delivery.worker, delivery.baseline
        for result in (bare, worker):
            if result is None:
                continue
            ratio = (
                f"{result.messages_per_second / bare.messages_per_second:.2f}× the bare loop"
                if bare
                else "—"
            )
            rows.append(
                f"| {result.name} [{result.tool}] | {result.messages_per_second:,.1f} msg/s | "
                f"— | — | {ratio} | — | {result.cpu_ms:.2f} |"
            )
        self.checks += delivery.checks
        notes += [f"- {r.name}: {'; '.join(r.notes)}" for r in (bare, worker) if r and r.notes]
        setup.append(
            f"- check-in delivery: {self.args.checkin_recipients:,} active team members, one "
            "check-in sent now; one Celery worker (solo pool, production settings, "
            f"CONN_MAX_AGE={self.args.conn_max_age}, Redis database 14) through Django's SMTP "
            "backend to an aiosmtpd sink on loopback, timed from the send to the sink's last "
            "message; against the same messages sent by a bare smtplib loop over one "
            "connection from a process of its own. Rates are messages/s; their CPU column "
            "is CPU ms per message of the sender (the worker and its PostgreSQL backend; "
            "the loop's process)"
        )

    def _routine_report(self, rows: list[str], setup: list[str], notes: list[str]) -> None:
        """Three rows in occurrences (or rows) per second: the bulk insert, the tick making
        them and the tick with nothing due; the CPU column is per occurrence (or row)."""
        report = self.routine_tick
        base = report.baseline
        for result in (base, report.tick, report.idle):
            rows.append(
                f"| {result.name} [{result.tool}] | {result.per_second:,.1f} occurrences/s | "
                f"— | — | {result.per_second / base.per_second:.3f}× the bulk insert | — | "
                f"{result.cpu_ms:.2f} |"
            )
        self.checks += report.checks
        notes += [
            f"- {r.name}: {'; '.join(r.notes)}" for r in (base, report.tick, report.idle) if r.notes
        ]
        notes.append(
            f"- routine tick: {report.tick.per_second / base.per_second:.3f}× the bulk insert's "
            f"rate ({base.per_second / report.tick.per_second:,.0f} times slower); with nothing "
            f"due, {report.idle.seconds * 1000:,.0f} ms for the {report.routines} routines"
        )
        setup.append(
            f"- routine tick: {report.routines} daily routines × {report.days} due "
            f"occurrences = {report.routines * report.days:,}, over {report.organizations} "
            "organizations, each with one engaged primary assistant who may book travel; "
            "travel.services.routines_dispatch() in this process on the production settings "
            "(each occurrence: a trip, its template's segments, a booking task claimed by the "
            "assistant and the assistant's notification email queued, Redis database 14), then "
            "again with nothing due; against bulk_create of as many plain trip rows in one "
            "transaction. Rates are occurrences (rows) per second; their CPU column is CPU ms "
            "per occurrence of this process and its PostgreSQL backend"
        )


def _session(user) -> tuple[str, str]:
    """A Cookie header for a signed-in session of the user, and its CSRF token."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    token = "".join(secrets.choice(CSRF_CHARS) for _ in range(32))
    cookie = (
        f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {settings.CSRF_COOKIE_NAME}={token}"
    )
    return cookie, token


def _load_average() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def _flush_broker() -> None:
    """Empty Redis database 14 (ours) of the notification emails the POSTs queued: no
    worker runs during the bench."""
    import redis

    redis.Redis.from_url(BROKER_URL).flushdb()


def _parse_wrk(name: str, output: str) -> Result:
    fields = dict(re.findall(r"(\w+)=(\d+)", _line(output, "BENCH ")))
    requests = int(fields["requests"])
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = sum(
        int(fields[key]) for key in ("connect_errors", "read_errors", "write_errors", "timeouts")
    )
    errors += int(non_2xx.group(1)) if non_2xx else 0
    return Result(
        name=name,
        tool="wrk",
        requests_per_second=float(rate.group(1))
        if rate
        else requests / (int(fields["duration_us"]) / 1e6),
        p50_ms=int(fields["p50_us"]) / 1000,
        p95_ms=int(fields["p95_us"]) / 1000,
        requests=requests,
        errors=errors,
    )


def _line(output: str, prefix: str) -> str:
    for line in output.splitlines():
        if line.startswith(prefix):
            return line
    raise SystemExit(f"wrk printed no {prefix.strip()} line:\n{output}")


if __name__ == "__main__":
    sys.exit(main())
