"""The check-in delivery scenario of `make bench`: how fast one real Celery worker mails a
check-in to 1,000 team members, against a bare SMTP loop sending the same mail.

One organization with 1,000 active team members; its owner sends a check-in now
(`checkin_write(action="send_now")`, what the "Send now" button calls). One `celery worker`
process (solo pool) on the bench's production settings, PostgreSQL database and Redis
database 14 starts the check-in and sends its batches to an aiosmtpd sink on loopback that
counts what arrives. Timed from the owner's send to the sink's receipt of the last message.

The baseline is the floor for the same mail on the same machine: the very messages the worker
sent (same envelopes, same bytes), sent again by a bare loop over one smtplib connection, in a
process of its own so that it does not share the sink's interpreter, to the same sink. Timed
from its connect to the sink's receipt of the last message; the median of a few runs.

The organization, its owner and everything sent is deleted afterwards, so that the other
scenarios see the seeded database unchanged. Only this module's worker is stopped."""

import multiprocessing
import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import cpu
from aiosmtpd.controller import Controller

ORGANIZATION_SLUG = "bench-checkin-delivery"
OWNER_EMAIL = "owner@checkin-delivery.bench.example"
MEMBER_DOMAIN = "team.checkin-delivery.bench.example"
WORKER_START_TIMEOUT = 30.0
WORKER_STOP_TIMEOUT = 15.0
BASELINE_RUNS = 3
SUBJECT = "Good morning, team: a record month"
MESSAGE = """\
Good morning, everyone.

We closed the month with **the best numbers in the dealership's history**, and it is your
doing: the extra test drives, the follow-up calls and the patience with every customer who
came back three times before deciding.

Three things for this week:

- The service bay opens at 7:00 from Monday; the early shift is on the board.
- Bring your ideas for the spring event to Thursday's huddle.
- The new CRM login comes by email today: please sign in before Friday.

See you on the floor."""
THANKS = "Thank you, Marcus and Paula, for staying late to deliver the Olsens' truck on time."
NEW_PROCESS = "1. Log every test drive in the CRM\n2. Hand the keys back at the desk\n3. Done"
VIDEO_URL = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


@dataclass
class DeliveryResult:
    name: str
    tool: str
    messages: int
    seconds: float
    cpu_ms: float = float("nan")  # CPU time per message of the sending side
    notes: list[str] = field(default_factory=list)

    @property
    def messages_per_second(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else float("nan")


@dataclass
class CheckinDeliveryReport:
    worker: DeliveryResult
    baseline: DeliveryResult | None
    checks: list[tuple[str, bool, str]]
    load: str


@dataclass
class Arrival:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    at: float  # time.perf_counter(): CLOCK_MONOTONIC, comparable across processes


class CountingSink:
    """aiosmtpd handler that keeps each message with the moment it arrived."""

    def __init__(self) -> None:
        self.arrivals: list[Arrival] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        self.arrivals.append(
            Arrival(
                envelope.mail_from,
                tuple(envelope.rcpt_tos),
                envelope.original_content,
                time.perf_counter(),
            )
        )
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, *, deadline: float, alive=lambda: True) -> bool:
        while len(self.arrivals) < count:
            if time.perf_counter() > deadline or not alive():
                return False
            time.sleep(0.005)
        return True


class CheckinDeliveryScenario:
    def __init__(
        self,
        *,
        env: dict,
        root: Path,
        out_dir: Path,
        broker_url: str,
        recipients: int,
        time_limit: float,
    ) -> None:
        self.env, self.root, self.out_dir = env, root, out_dir
        self.broker_url, self.recipients, self.time_limit = broker_url, recipients, time_limit
        self.worker: subprocess.Popen | None = None
        self.worker_log_path = out_dir / "celery-worker.log"

    def run(self) -> CheckinDeliveryReport:
        sink = CountingSink()
        # The Controller connects to its own port to check it is up, so the port cannot be 0.
        controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
        controller.start()
        try:
            _remove_bench_organization()
            owner, organization, emails = self._create_organization()
            _flush_redis(self.broker_url)  # whatever earlier scenarios queued is not ours to send
            self._start_worker(controller.port)
            load = _load_average()
            worker, checks = self._send_through_worker(sink, owner, organization, emails)
            baseline = None
            if sink.arrivals:
                baseline, baseline_check = self._bare_loop(sink, controller.port)
                checks.append(baseline_check)
            return CheckinDeliveryReport(worker=worker, baseline=baseline, checks=checks, load=load)
        finally:
            self.stop_worker()
            controller.stop()
            _remove_bench_organization()
            _flush_redis(self.broker_url)

    # -- preparation ---------------------------------------------------------------------

    def _create_organization(self):
        from accounts.models import User
        from clients.models import Membership, Organization, TeamMember

        organization = Organization.objects.create(
            name="Bench Check-in Motors", slug=ORGANIZATION_SLUG, timezone="America/Chicago"
        )
        owner = User.objects.create_user(email=OWNER_EMAIL, full_name="Dana Kowalski")
        Membership.objects.create(user=owner, organization=organization, role=Membership.Role.OWNER)
        emails = [f"member{number:05d}@{MEMBER_DOMAIN}" for number in range(self.recipients)]
        TeamMember.objects.bulk_create(
            TeamMember(
                organization=organization,
                name=f"Team Member {number:05d}",
                email=address,
                location="Neenah dealership" if number % 2 else "Appleton dealership",
            )
            for number, address in enumerate(emails)
        )
        return owner, organization, emails

    # -- the worker ----------------------------------------------------------------------

    def _start_worker(self, smtp_port: int) -> None:
        env = {
            **os.environ,
            **self.env,
            "CELERY_BROKER_URL": self.broker_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "PYTHONUNBUFFERED": "1",
        }
        command = [
            sys.executable, "-m", "celery", "-A", "vapportal", "worker",
            "--pool", "solo", "--loglevel", "INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--hostname", f"bench-checkins-{uuid.uuid4().hex[:8]}@%h",
        ]  # fmt: skip
        print("Check-in delivery: starting one Celery worker (solo pool)...", flush=True)
        with self.worker_log_path.open("wb") as log:
            self.worker = subprocess.Popen(
                command,
                cwd=self.root,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while not re.search(r"@\S+ ready\.", self._worker_log()):
            if self.worker.poll() is not None:
                raise SystemExit(f"The Celery worker exited; see {self.worker_log_path}")
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"The Celery worker was not ready within {WORKER_START_TIMEOUT:g} s; "
                    f"see {self.worker_log_path}"
                )
            time.sleep(0.1)

    def _worker_log(self) -> str:
        return self.worker_log_path.read_text(errors="replace")

    def stop_worker(self) -> None:
        if self.worker is None:
            return
        worker, self.worker = self.worker, None
        if worker.poll() is None:
            try:
                os.killpg(worker.pid, signal.SIGTERM)  # warm shutdown: finish the current task
                worker.wait(timeout=WORKER_STOP_TIMEOUT)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()

    def _worker_cpu(self) -> dict[int, int]:
        """CPU clock ticks of the worker and of the PostgreSQL backends on the bench
        database (this script's own connection aside): the worker's is the only other one."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            )
            pids = [self.worker.pid, *(row[0] for row in cursor.fetchall())]
        return cpu.cpu_ticks(pids)

    # -- the timed send ------------------------------------------------------------------

    def _send_through_worker(self, sink: CountingSink, owner, organization, emails: list[str]):
        from checkins import services
        from checkins.models import CheckIn, Delivery

        total = len(emails)
        content = services.Content(
            subject=SUBJECT,
            message=MESSAGE,
            thanks=THANKS,
            new_process=NEW_PROCESS,
            video_url=VIDEO_URL,
        )
        print(
            f"Check-in delivery: {total:,} messages through the worker to the SMTP sink...",
            flush=True,
        )
        cpu_before = self._worker_cpu()
        started = time.perf_counter()
        # Send now: the worker starts it (one delivery row per recipient) and sends the
        # batches it queues, one SMTP connection each.
        checkin = services.checkin_write(
            actor=owner, organization=organization, content=content, action="send_now"
        )
        deadline = started + self.time_limit
        complete = sink.wait_for(total, deadline=deadline, alive=self._worker_alive)
        # The last batch marks its rows and the check-in after its last message; once the
        # check-in is sent nothing is left to run, so a late duplicate would show by then.
        unfinished = CheckIn.objects.filter(
            pk=checkin.pk, status__in=[CheckIn.Status.SCHEDULED, CheckIn.Status.SENDING]
        )
        while unfinished.exists() and time.perf_counter() < deadline + 30:
            time.sleep(0.05)
        time.sleep(0.5)
        cpu_seconds = cpu.cpu_seconds(self._worker_cpu(), cpu_before)
        arrivals = list(sink.arrivals)
        arrived = len(arrivals)
        finished = max((arrival.at for arrival in arrivals), default=time.perf_counter())
        first = min((arrival.at for arrival in arrivals), default=float("nan"))
        result = DeliveryResult(
            name=f"Check-in delivery: {total:,} messages, send now, 1 Celery worker (solo pool)",
            tool="celery + smtp",
            messages=min(arrived, total),
            seconds=finished - started,
            cpu_ms=1000 * cpu_seconds / arrived if arrived else float("nan"),
        )
        result.notes.append(
            f"{arrived:,} messages in {finished - started:.2f} s, the first after "
            f"{first - started:.2f} s; worker and its PostgreSQL backend "
            f"{cpu_seconds:.1f} s of CPU"
        )
        if not complete:
            result.notes.append(
                f"stopped after {self.time_limit:g} s or when the worker exited, with "
                f"{arrived:,} of {total:,} messages; see {self.worker_log_path}"
            )

        checkin.refresh_from_db()
        rows = Counter(Delivery.objects.filter(checkin=checkin).values_list("status", flat=True))
        per_address = Counter(address for arrival in arrivals for address in arrival.rcpt_tos)
        missing = len(set(emails) - per_address.keys())
        twice = sum(1 for count in per_address.values() if count > 1)
        strangers = len(per_address.keys() - set(emails))
        ok = (
            arrived == total
            and missing == twice == strangers == 0
            and rows == {Delivery.Status.SENT: total}
            and checkin.status == CheckIn.Status.SENT
        )
        detail = (
            f"{arrived:,} messages arrived; team members missed: {missing}, "
            f"mailed more than once: {twice}; other addresses: {strangers}; delivery rows "
            + ", ".join(f"{status} {count:,}" for status, count in sorted(rows.items()))
            + f"; the check-in is {checkin.get_status_display().lower()}"
        )
        checks = [
            (
                f"Check-in delivery: all {total:,} messages arrived exactly once, every "
                "delivery row sent",
                ok,
                detail,
            )
        ]
        return result, checks

    def _worker_alive(self) -> bool:
        return self.worker is not None and self.worker.poll() is None

    # -- the baseline --------------------------------------------------------------------

    def _bare_loop(self, sink: CountingSink, port: int):
        sent = [(a.mail_from, list(a.rcpt_tos), a.content) for a in sink.arrivals]
        # Should the worker have fallen short, the loop still sends as many as were due.
        envelopes = [sent[number % len(sent)] for number in range(self.recipients)]
        size = sum(len(content) for _, _, content in envelopes) / len(envelopes)
        expected = Counter(address for _, rcpt_tos, _ in envelopes for address in rcpt_tos)
        print(
            f"Check-in delivery baseline: the same {len(envelopes):,} messages by a bare "
            f"smtplib loop, {BASELINE_RUNS} runs...",
            flush=True,
        )
        runs = []
        # A process of its own, like the worker: the sink's thread keeps this interpreter.
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            for _ in range(BASELINE_RUNS):
                sink.arrivals.clear()
                started, cpu_seconds = pool.apply(bare_smtp_loop, (port, envelopes))
                sink.wait_for(len(envelopes), deadline=time.perf_counter() + self.time_limit)
                arrivals = list(sink.arrivals)
                finished = max((arrival.at for arrival in arrivals), default=time.perf_counter())
                runs.append((finished - started, cpu_seconds, arrivals))
        seconds, cpu_seconds, arrivals = sorted(runs, key=lambda run: run[0])[len(runs) // 2]
        result = DeliveryResult(
            name=f"Check-in delivery baseline: the same {len(envelopes):,} messages, bare "
            "smtplib loop over one connection",
            tool="smtplib",
            messages=len(arrivals),
            seconds=seconds,
            cpu_ms=1000 * cpu_seconds / len(arrivals),
        )
        result.notes.append(
            f"median of {BASELINE_RUNS} runs: "
            + ", ".join(f"{len(run[2]) / run[0]:,.0f}" for run in runs)
            + f" messages/s; {size / 1024:.1f} KiB a message; the sender's CPU only"
        )
        ok = all(
            Counter(address for arrival in run[2] for address in arrival.rcpt_tos) == expected
            for run in runs
        )
        check = (
            "Check-in delivery baseline: in each run every message arrived exactly once",
            ok,
            ", ".join(f"{len(run[2]):,}" for run in runs)
            + f" messages in {len(runs)} runs of {len(envelopes):,}",
        )
        return result, check


def bare_smtp_loop(port: int, envelopes: list[tuple[str, list[str], bytes]]) -> tuple[float, float]:
    """Send each message over one connection; when it started, and the CPU seconds it used.
    Runs in a process of its own."""
    cpu_started = time.process_time()
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as smtp:
        for mail_from, rcpt_tos, content in envelopes:
            smtp.sendmail(mail_from, rcpt_tos, content)
    return started, time.process_time() - cpu_started


def _remove_bench_organization() -> None:
    """This scenario's rows, left by this run or by one that was interrupted."""
    from accounts.models import User
    from clients.models import Organization

    Organization.objects.filter(slug=ORGANIZATION_SLUG).delete()  # team, check-ins, rows
    User.objects.filter(email=OWNER_EMAIL).delete()


def _flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _load_average() -> str:
    return Path("/proc/loadavg").read_text().split()[0]
