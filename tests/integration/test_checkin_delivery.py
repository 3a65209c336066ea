"""Each team member receives each check-in exactly once, whatever happens on the way: two beat
ticks at once, two workers on one batch, a worker killed mid-batch, Redis restarted, a mail
server that says "try later". The one documented exception is at most once: a message the
server accepted just as its worker died is never sent again.

Everything is real: Celery worker processes on the production settings, Redis, PostgreSQL and
an SMTP server on loopback that counts what each address receives. The failures are made to
happen on purpose, at a chosen message, so that every run takes the same path."""

import asyncio
import email
import email.policy
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import redis
from django.utils import timezone

from checkins import services
from checkins.models import CheckIn, Delivery
from checkins.tasks import checkin_deliver_batch
from clients.models import Organization, TeamMember
from tests.factories import TeamMemberFactory
from tests.helpers import at_the_same_moment, free_port
from tests.integration.conftest import (
    WORKER_START_TIMEOUT,
    Worker,
    _database_url,
    _flush_redis,
    _forget_broker_connections,
    _stop,
    start_worker,
)
from tests.smtp import serving_smtp
from vapportal.celery import app as celery_app

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# The workers requeue after 1 s, give up on a send after 2 s and retry after 1 s; the ticks the
# tests run themselves look an hour ahead, past any of the delays the test process has.
WORKER_CHECKIN_SETTINGS = {
    "CHECKIN_REQUEUE_AFTER": "1",
    "CHECKIN_SENDING_LEASE": "2",
    "CHECKIN_RETRY_BACKOFF": "1",
}
AN_HOUR_LATER = timedelta(hours=1)
QUEUE = "celery"
TASK_RECEIVED = re.compile(r"Task [\w.]+\[([\w-]+)\] received")
TASK_FINISHED = re.compile(r"Task [\w.]+\[([\w-]+)\] (?:succeeded|retry|raised|failed)")
BATCH_SENT = re.compile(r"checkin_deliver_batch\[[\w-]+\] succeeded in [\d.e-]+s: (\d+)")


# The mail server ------------------------------------------------------------------------------


class MailServer:
    """An aiosmtpd handler that keeps what it accepts, one entry per recipient, and misbehaves
    on cue: slowly, holding one message mid-send, refusing an address for now or for good, or
    killing the worker right after accepting a message and before saying so."""

    def __init__(self) -> None:
        self.received: list[tuple[str, EmailMessage]] = []
        self.refusals: list[tuple[str, str]] = []
        self.messages_started = 0
        self.seconds_per_message = 0.0
        self.hold_message: int | None = None  # the n-th message waits until released
        self.holding = threading.Event()
        self.released = threading.Event()
        self.try_later: dict[str, int] = {}  # address: how many times to answer 451
        self.refused_for_good: set[str] = set()
        self.kill_after_accepting: tuple[str, int] | None = None  # (address, worker pid)
        self.port = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802
        if address in self.refused_for_good:
            return self._refuse(address, "550 5.1.1 Recipient address rejected: User unknown")
        if self.try_later.get(address, 0) > 0:
            self.try_later[address] -= 1
            return self._refuse(address, "451 4.3.0 try later")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        self.messages_started += 1
        if self.messages_started == self.hold_message:
            self.holding.set()
            while not self.released.is_set():
                await asyncio.sleep(0.02)
        await asyncio.sleep(self.seconds_per_message)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.extend((address, message) for address in envelope.rcpt_tos)
        if self.kill_after_accepting and self.kill_after_accepting[0] in envelope.rcpt_tos:
            os.kill(self.kill_after_accepting[1], signal.SIGKILL)
            self.kill_after_accepting = None
        return "250 Message accepted for delivery"

    def _refuse(self, address: str, reply: str) -> str:
        self.refusals.append((address, reply))
        return reply

    def messages_to(self, address: str) -> list[EmailMessage]:
        return [message for to, message in list(self.received) if to == address]

    def messages_per_address(self) -> Counter:
        return Counter(to for to, _ in list(self.received))


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    handler = MailServer()
    with serving_smtp(handler) as controller:
        handler.port = controller.port
        try:
            yield handler
        finally:
            handler.released.set()


# Redis ----------------------------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of the test's own, without persistence: a restart forgets every message."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.directory)]
        with (self.directory / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        _wait_for(self._answers, what=f"redis-server on port {self.port} to answer", timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def _answers(self) -> bool:
        try:
            with redis.Redis.from_url(self.url, socket_connect_timeout=0.5) as client:
                return client.ping()
        except redis.ConnectionError:
            return False


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def shared_broker(worker_broker_url) -> Iterator[str]:
    """The integration tests' database on the shared Redis, empty before and after each test:
    a killed worker's unacknowledged task must not reach the next test's worker."""
    _flush_redis(worker_broker_url)
    try:
        yield worker_broker_url
    finally:
        _flush_redis(worker_broker_url)


def _waiting_in(broker_url: str) -> int:
    with redis.Redis.from_url(broker_url, socket_connect_timeout=3) as client:
        return client.llen(QUEUE)


@pytest.fixture
def publish_to(monkeypatch) -> Iterator[Callable[[str], None]]:
    """`publish_to(url)`: the test process's tasks go to that Redis instead of running eagerly."""
    conf = celery_app.conf
    previous = {"task_always_eager": conf.task_always_eager, "broker_url": conf.get("broker_url")}
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)

    def point(broker_url: str) -> None:
        conf.update(task_always_eager=False, broker_url=broker_url)
        _forget_broker_connections()

    try:
        yield point
    finally:
        _forget_broker_connections()
        conf.update(previous)


# The workers ----------------------------------------------------------------------------------


class Workers:
    """Celery worker processes on the test database, started, killed and restarted as a test
    needs; whatever is still running is stopped when the test ends."""

    def __init__(self, database_url: str, mail_server: MailServer, log_dir: Path) -> None:
        self.database_url = database_url
        self.mail_server = mail_server
        self.log_dir = log_dir
        self.running: list[Worker] = []
        self.started: list[Worker] = []

    def start(self, broker_url: str, count: int = 1) -> list[Worker]:
        new = []
        for _ in range(count):
            name = f"checkins-{uuid.uuid4().hex[:8]}"
            worker = start_worker(
                self.log_dir / f"{len(self.started) + 1}-{name}.log",
                hostname=name,
                database_url=self.database_url,
                broker_url=broker_url,
                email_url=f"smtp://127.0.0.1:{self.mail_server.port}",
                settings_env=WORKER_CHECKIN_SETTINGS,
            )
            self.started.append(worker)
            self.running.append(worker)
            new.append(worker)
        for worker in new:
            worker.wait_for_log(
                r"@\S+ ready\.", what="a Celery worker to be ready", timeout=WORKER_START_TIMEOUT
            )
        return new

    def kill(self, worker: Worker) -> None:
        """SIGKILL: no warm shutdown, no acknowledgement, no chance to record anything."""
        worker.process.kill()
        self.wait_for_death(worker)

    def wait_for_death(self, worker: Worker) -> None:
        self.running.remove(worker)
        _wait_for(
            lambda: worker.process.poll() is not None,
            what=f"worker {worker.process.pid} to die",
            timeout=10,
            logs=self.logs,
        )
        assert worker.process.returncode == -signal.SIGKILL, self.logs()

    def wait_until(self, condition: Callable[[], bool], *, what: str, timeout: float = 15) -> None:
        def holds() -> bool:
            for worker in self.running:
                if worker.process.poll() is not None:
                    pytest.fail(
                        f"A worker exited ({worker.process.returncode}) while waiting for "
                        f"{what}.\n{self.logs()}"
                    )
            return condition()

        _wait_for(holds, what=what, timeout=timeout, logs=self.logs)

    def wait_until_quiet(self, broker_url: str) -> None:
        """Nothing waits in the queue and every task a running worker took has finished, twice
        in a row: no copy of a batch is still on its way to the mail server."""

        def quiet() -> bool:
            if _waiting_in(broker_url):
                return False
            for worker in self.running:
                log = worker.log()
                if Counter(TASK_RECEIVED.findall(log)) != Counter(TASK_FINISHED.findall(log)):
                    return False
            return True

        def quiet_twice() -> bool:
            if not quiet():
                return False
            time.sleep(0.3)
            return quiet()

        self.wait_until(quiet_twice, what="the workers and the queue to be idle")

    def batches_sent(self, worker: Worker) -> list[int]:
        """How many messages each batch this worker ran sent."""
        return [int(count) for count in BATCH_SENT.findall(worker.log())]

    def logs(self) -> str:
        """Each worker's log from its first timestamped line: what it did, without the banner."""
        return "\n".join(
            f"--- worker log {worker.log_path.name} ---\n{_after_banner(worker.log())}"
            for worker in self.started
        )

    def stop_all(self) -> None:
        for worker in self.started:
            _stop(worker.process)


@pytest.fixture
def workers(django_db_setup, mail_server, tmp_path) -> Iterator[Workers]:
    from django.db import connection

    started = Workers(_database_url(connection.settings_dict), mail_server, tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


def _after_banner(log: str) -> str:
    first = re.search(r"^\[\d{4}-", log, re.MULTILINE)
    return log[first.start() :] if first else log


def _wait_for(
    condition: Callable[[], bool], *, what: str, timeout: float, logs: Callable[[], str] = str
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Waited {timeout:g}s for {what}.\n{logs()}")
        time.sleep(0.05)


# The team and its check-in ----------------------------------------------------------------------


@pytest.fixture
def team(organization, owner) -> list[TeamMember]:
    """Five people at the dealership, with the owner's check-in settings; listed in the order
    their messages go out (the roster's, by name)."""
    services.checkin_settings_for(organization)
    _hire(organization, 5)
    return list(TeamMember.objects.filter(organization=organization))


def _hire(organization: Organization, count: int) -> list[TeamMember]:
    return TeamMemberFactory.create_batch(count, organization=organization)


def _content() -> services.Content:
    return services.Content(subject="Good morning, team", message="Great **week**, everyone.")


def _send_now(owner, organization: Organization) -> CheckIn:
    return services.checkin_write(
        actor=owner, organization=organization, content=_content(), action="send_now"
    )


def _scheduled_and_due(owner, organization: Organization) -> CheckIn:
    """A check-in scheduled for a send time a moment away, once that time has come."""
    send_at = timezone.localtime(timezone.now() + timedelta(seconds=1), organization.zone)
    services.checkin_settings_update(
        actor=owner,
        checkin_settings=services.checkin_settings_for(organization),
        weekdays=list(range(7)),
        send_time=send_at.time(),
    )
    checkin = services.checkin_write(
        actor=owner,
        organization=organization,
        content=_content(),
        action="schedule",
        send_on=send_at.date(),
    )
    assert checkin.status == CheckIn.Status.SCHEDULED
    _wait_for(lambda: timezone.now() > checkin.send_at, what="the send time", timeout=5)
    return checkin


def _wait_until_delivered(checkin: CheckIn, workers: Workers, broker_url: str) -> None:
    """Every row settled (sent or failed), so the check-in is sent, and nothing still in flight."""
    workers.wait_until(
        lambda: CheckIn.objects.filter(pk=checkin.pk, status=CheckIn.Status.SENT).exists(),
        what=f"check-in {checkin.pk} to be sent",
    )
    workers.wait_until_quiet(broker_url)


def _once_each(members: list[TeamMember]) -> Counter:
    return Counter({member.email: 1 for member in members})


def _rows(checkin: CheckIn, status: str) -> int:
    return Delivery.objects.filter(checkin=checkin, status=status).count()


# Exactly once ---------------------------------------------------------------------------------


def test_two_beat_ticks_at_the_same_moment_start_the_check_in_once_and_mail_everyone_once(
    team, owner, organization, mail_server, shared_broker, workers, publish_to
):
    publish_to(shared_broker)
    workers.start(shared_broker)
    checkin = _scheduled_and_due(owner, organization)

    reports = at_the_same_moment(services.checkins_dispatch, services.checkins_dispatch, timeout=20)
    assert sorted(report.started for report in reports) == [0, 1]

    _wait_until_delivered(checkin, workers, shared_broker)
    rows = Delivery.objects.filter(checkin=checkin)
    assert sorted(rows.values_list("team_member_id", flat=True)) == sorted(m.pk for m in team)
    assert set(rows.values_list("status", flat=True)) == {Delivery.Status.SENT}
    assert mail_server.messages_per_address() == _once_each(team), workers.logs()


def test_the_same_batch_taken_by_two_workers_at_once_mails_everyone_once(
    team, owner, organization, mail_server, shared_broker, workers, publish_to
):
    publish_to(shared_broker)
    mail_server.seconds_per_message = 0.4
    first, second = workers.start(shared_broker, count=2)
    checkin = _send_now(owner, organization)
    workers.wait_until(
        lambda: mail_server.messages_started >= 1, what="the batch to start its first message"
    )

    batch = list(Delivery.objects.filter(checkin=checkin).values_list("id", flat=True))
    checkin_deliver_batch.delay(batch)  # the same batch again, for the idle worker

    _wait_until_delivered(checkin, workers, shared_broker)
    assert mail_server.messages_per_address() == _once_each(team), workers.logs()
    sent_by_each = [sum(workers.batches_sent(worker)) for worker in (first, second)]
    assert sum(sent_by_each) == len(team)
    assert min(sent_by_each) >= 1, f"The copies did not overlap: {sent_by_each}"
    assert _rows(checkin, Delivery.Status.SENT) == len(team)
    assert set(Delivery.objects.filter(checkin=checkin).values_list("attempts", flat=True)) == {1}


def test_a_worker_killed_mid_batch_leaves_the_rest_to_the_tick_and_nobody_gets_two(
    team, owner, organization, mail_server, shared_broker, workers, publish_to
):
    publish_to(shared_broker)
    mail_server.hold_message = 3
    (worker,) = workers.start(shared_broker)
    checkin = _send_now(owner, organization)
    workers.wait_until(mail_server.holding.is_set, what="the third message to be mid-send")

    workers.kill(worker)
    mail_server.released.set()
    interrupted = Delivery.objects.get(checkin=checkin, status=Delivery.Status.SENDING)
    assert _rows(checkin, Delivery.Status.SENT) == 2
    assert _rows(checkin, Delivery.Status.QUEUED) == len(team) - 3

    workers.start(shared_broker)
    report = services.checkins_dispatch(now=timezone.now() + AN_HOUR_LATER)
    assert (report.requeued, report.lost) == (len(team) - 3, 1)

    _wait_until_delivered(checkin, workers, shared_broker)
    received = mail_server.messages_per_address()
    assert received.pop(interrupted.email, 0) <= 1
    others = [member for member in team if member.pk != interrupted.team_member_id]
    assert received == _once_each(others), workers.logs()
    interrupted.refresh_from_db()
    assert interrupted.status == Delivery.Status.FAILED
    assert interrupted.last_error == services.LOST_SEND
    assert _rows(checkin, Delivery.Status.SENT) == len(team) - 1


def test_batches_lost_with_a_redis_restart_are_requeued_by_the_tick_and_sent_once(
    team, owner, organization, mail_server, private_redis, workers, publish_to
):
    everyone = team + _hire(organization, services.BATCH_SIZE + 3 - len(team))  # batches of 100, 3
    publish_to(private_redis.url)
    mail_server.hold_message = 3
    workers.start(private_redis.url)
    checkin = _send_now(owner, organization)
    workers.wait_until(mail_server.holding.is_set, what="the first batch to be mid-send")
    assert _waiting_in(private_redis.url) == 1  # the second batch

    private_redis.restart()
    _forget_broker_connections()
    mail_server.released.set()
    workers.wait_until(
        lambda: _rows(checkin, Delivery.Status.SENT) == services.BATCH_SIZE,
        what="the first batch to finish",
    )
    workers.wait_until_quiet(private_redis.url)
    assert _rows(checkin, Delivery.Status.QUEUED) == 3  # their batch went with Redis

    report = services.checkins_dispatch(now=timezone.now() + AN_HOUR_LATER)
    assert report.requeued == 3

    _wait_until_delivered(checkin, workers, private_redis.url)
    assert mail_server.messages_per_address() == _once_each(everyone), workers.logs()
    assert _rows(checkin, Delivery.Status.SENT) == len(everyone)


def test_a_recipient_the_server_asks_to_try_later_gets_the_message_once_on_the_retry(
    team, owner, organization, mail_server, shared_broker, workers, publish_to
):
    busy = team[2]
    mail_server.try_later[busy.email] = 1
    publish_to(shared_broker)
    workers.start(shared_broker)
    checkin = _send_now(owner, organization)

    _wait_until_delivered(checkin, workers, shared_broker)
    assert mail_server.refusals == [(busy.email, "451 4.3.0 try later")]
    assert mail_server.messages_per_address() == _once_each(team), workers.logs()
    row = Delivery.objects.get(checkin=checkin, team_member=busy)
    assert (row.status, row.attempts, row.last_error) == (Delivery.Status.SENT, 2, "")
    assert _rows(checkin, Delivery.Status.SENT) == len(team)
    # Those before it went out at once; those after it waited for the retry, sent once too.
    attempts = Delivery.objects.filter(checkin=checkin).order_by("id").values_list("attempts")
    assert [count for (count,) in attempts] == [1, 1, 2, 1, 1]


def test_a_message_accepted_just_as_its_worker_died_is_never_sent_again(
    team, owner, organization, mail_server, shared_broker, workers, publish_to
):
    """At most once, as the README says: the row cannot tell whether the server took it."""
    accepted = team[2]
    publish_to(shared_broker)
    (worker,) = workers.start(shared_broker)
    mail_server.kill_after_accepting = (accepted.email, worker.process.pid)
    checkin = _send_now(owner, organization)

    workers.wait_for_death(worker)
    row = Delivery.objects.get(checkin=checkin, team_member=accepted)
    assert row.status == Delivery.Status.SENDING
    assert len(mail_server.messages_to(accepted.email)) == 1
    assert (_rows(checkin, Delivery.Status.SENT), _rows(checkin, Delivery.Status.QUEUED)) == (2, 2)

    workers.start(shared_broker)
    report = services.checkins_dispatch(now=timezone.now() + AN_HOUR_LATER)
    assert (report.requeued, report.lost) == (2, 1)
    _wait_until_delivered(checkin, workers, shared_broker)

    later = services.checkins_dispatch(now=timezone.now() + 2 * AN_HOUR_LATER)
    assert (later.requeued, later.lost) == (0, 0)
    again = checkin_deliver_batch.delay([row.pk])
    workers.wait_until(
        lambda: re.search(rf"\[{again.id}\] succeeded in [\d.e-]+s: 0", workers.logs()),
        what="the repeated batch to send nothing",
    )
    workers.wait_until_quiet(shared_broker)

    assert mail_server.messages_per_address() == _once_each(team), workers.logs()
    row.refresh_from_db()
    assert (row.status, row.last_error, row.attempts) == (
        Delivery.Status.FAILED,
        services.LOST_SEND,
        1,
    )
    assert _rows(checkin, Delivery.Status.SENT) == len(team) - 1


# A permanent refusal ----------------------------------------------------------------------------


def test_an_address_refused_for_good_fails_its_delivery_and_marks_the_member_bounced(
    team, owner, organization, mail_server, shared_broker, workers, publish_to
):
    gone = team[1]
    mail_server.refused_for_good.add(gone.email)
    publish_to(shared_broker)
    workers.start(shared_broker)
    checkin = _send_now(owner, organization)

    _wait_until_delivered(checkin, workers, shared_broker)
    reason = "550 5.1.1 Recipient address rejected: User unknown"
    row = Delivery.objects.get(checkin=checkin, team_member=gone)
    assert (row.status, row.last_error, row.attempts) == (Delivery.Status.FAILED, reason, 1)
    gone.refresh_from_db()
    assert gone.bounced_at is not None
    assert gone.bounce_reason == reason
    others = [member for member in team if member.pk != gone.pk]
    assert mail_server.messages_per_address() == _once_each(others), workers.logs()
    assert _rows(checkin, Delivery.Status.SENT) == len(others)
