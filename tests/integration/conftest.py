"""A real Celery worker, a Redis database of its own and an SMTP server that records what
arrives: the pieces the integration tests run the outbox through, end to end.

The worker is a separate process on the production settings (`vapportal.settings.base`), so
it sends through Django's SMTP backend, reads the pytest test database and consumes from a
Redis database that nothing else uses. The test process publishes to the same database once
`celery_worker` has switched eager execution off."""

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote, urlsplit

import kombu
import kombu.pools
import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings

from tests.smtp import RecordingHandler, serving_smtp
from vapportal.celery import app as celery_app

# Redis database 15 is left to these tests; it is emptied before and after them.
WORKER_REDIS_DB = int(os.environ.get("VAPPORTAL_INTEGRATION_REDIS_DB", "15"))
WORKER_START_TIMEOUT = 20.0
WORKER_STOP_TIMEOUT = 10.0


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "integration: runs against a real Celery worker process, Redis and an SMTP server",
    )


class SMTPServer:
    def __init__(self, controller: Controller, handler: RecordingHandler) -> None:
        self.controller = controller
        self.handler = handler

    @property
    def port(self) -> int:
        return self.controller.port

    def messages_to(self, address: str) -> list[EmailMessage]:
        """Messages whose envelope named `address` as a recipient."""
        return self.handler.messages_to(address)


class Worker:
    def __init__(self, process: subprocess.Popen, log_path: Path) -> None:
        self.process = process
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until(self, condition: Callable[[], bool], *, what: str, timeout: float) -> None:
        """Poll `condition` until it holds; fail with the worker's log if it never does."""
        deadline = time.monotonic() + timeout
        while not condition():
            if self.process.poll() is not None:
                pytest.fail(
                    f"The Celery worker exited ({self.process.returncode}) while waiting for "
                    f"{what}.\n--- worker log ---\n{self.log()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"Waited {timeout:g}s for {what}.\n--- worker log ---\n{self.log()}")
            time.sleep(0.05)

    def wait_for_log(self, pattern: str, *, what: str, timeout: float = 20.0) -> None:
        self.wait_until(
            lambda: re.search(pattern, self.log()) is not None, what=what, timeout=timeout
        )


@pytest.fixture(scope="module")
def module_smtp_server() -> Iterator[SMTPServer]:
    """One server for the module: the worker is told its port when it starts."""
    handler = RecordingHandler()
    with serving_smtp(handler) as controller:
        yield SMTPServer(controller, handler)


@pytest.fixture
def smtp_server(module_smtp_server) -> SMTPServer:
    """The SMTP server, with nothing received yet in this test."""
    module_smtp_server.handler.received.clear()
    return module_smtp_server


@pytest.fixture(scope="module")
def worker_broker_url() -> Iterator[str]:
    """The test settings' Redis, in a database of the worker's own, empty before and after."""
    url = urlsplit(settings.CELERY_BROKER_URL)._replace(path=f"/{WORKER_REDIS_DB}").geturl()
    _flush_redis(url)
    try:
        yield url
    finally:
        _flush_redis(url)


def start_worker(
    log_path: Path,
    *,
    hostname: str,
    database_url: str,
    broker_url: str,
    email_url: str,
    queue: str | None = None,
    settings_env: dict[str, str] | None = None,
) -> Worker:
    """A `celery worker` process (solo pool) on the base settings, logging to `log_path`;
    the caller waits for it to be ready and stops it."""
    env = {
        **os.environ,
        **(settings_env or {}),
        "DJANGO_SETTINGS_MODULE": "vapportal.settings.base",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "EMAIL_URL": email_url,
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("CELERY_BROKER_READ_URL", "CELERY_BROKER_WRITE_URL", "CONN_MAX_AGE"):
        env.pop(name, None)
    command = [
        sys.executable, "-m", "celery", "-A", "vapportal", "worker",
        "--pool", "solo", "--loglevel", "INFO",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        "--hostname", f"{hostname}@%h",
        *(["--queues", queue] if queue else []),
    ]  # fmt: skip
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    return Worker(process, log_path)


@pytest.fixture(scope="module")
def worker_process(
    django_db_setup, module_smtp_server, worker_broker_url, tmp_path_factory
) -> Iterator[Worker]:
    """A `celery worker` process on the test database; stopped (and, if need be, killed)
    before the test database is dropped."""
    from django.db import connection

    log_path = tmp_path_factory.mktemp("celery-worker") / "worker.log"
    worker = start_worker(
        log_path,
        hostname=f"integration-{uuid.uuid4().hex[:8]}",
        database_url=_database_url(connection.settings_dict),
        broker_url=worker_broker_url,
        email_url=f"smtp://127.0.0.1:{module_smtp_server.port}",
    )
    try:
        worker.wait_for_log(
            r"@\S+ ready\.", what="the Celery worker to be ready", timeout=WORKER_START_TIMEOUT
        )
        yield worker
    finally:
        _stop(worker.process)


@pytest.fixture
def celery_worker(worker_process, worker_broker_url, monkeypatch) -> Iterator[Worker]:
    """For this test only, tasks go through Redis to the worker instead of running eagerly."""
    conf = celery_app.conf
    previous = {"task_always_eager": conf.task_always_eager, "broker_url": conf.get("broker_url")}
    # Celery prefers these variables to its configuration when it picks the broker.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    conf.update(task_always_eager=False, broker_url=worker_broker_url)
    _forget_broker_connections()
    try:
        publishes_to = celery_app.amqp.producer_pool.connections.connection.as_uri()
        assert publishes_to == kombu.Connection(worker_broker_url).as_uri()
        yield worker_process
    finally:
        _forget_broker_connections()
        conf.update(previous)


def _forget_broker_connections() -> None:
    """Close the app's pooled broker connections so the next publish connects to the broker
    the configuration names now. The app caches its pools; Celery clears the same two
    attributes itself after a fork (`Celery._after_fork`)."""
    kombu.pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # warm shutdown: finish the current task
        try:
            process.wait(timeout=WORKER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _database_url(db: dict) -> str:
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "localhost"
    port = db["PORT"] or 5432
    return f"postgres://{credentials}@{host}:{port}/{quote(db['NAME'], safe='')}"


def _flush_redis(url: str) -> None:
    with redis.Redis.from_url(url, socket_connect_timeout=3) as client:
        client.flushdb()
