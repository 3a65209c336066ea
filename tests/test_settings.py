"""How each process reads its settings: production refuses to start without its secrets, in
the worker as in the web process; make run's embedded defaults are safe for three processes
at once and point links where its web server listens."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_SECRETS = {
    "SECRET_KEY": "a-production-secret-of-fifty-characters-or-more-0123456789",
    "TRAVEL_ENCRYPTION_KEYS": "salt-one",
    "ALLOWED_HOSTS": "portal.example",
    "DATABASE_URL": "sqlite:///:memory:",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
}


def run(command: list[str], env: dict[str, str], timeout: float = 60):
    """Run a command from the project folder with only `env` (and PATH) in its environment."""
    clean = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env}
    return subprocess.run(
        command, cwd=ROOT, env=clean, capture_output=True, text=True, timeout=timeout
    )


def settings_of(env: dict[str, str], *names: str) -> dict:
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{n: str(getattr(settings, n)) for n in {list(names)!r}}}))"
    )
    result = run([sys.executable, "-c", code], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def celery_worker(env: dict[str, str]):
    """Start a worker as production would, on the default settings of `vapportal.celery`."""
    return run(
        [sys.executable, "-m", "celery", "-A", "vapportal", "worker", "--loglevel", "ERROR"], env
    )


def test_a_worker_without_its_secret_key_refuses_to_start():
    # Empty rather than absent, so a developer's .env file cannot fill it in.
    result = celery_worker({"SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY must be a secret of your own" in result.stderr


@pytest.mark.parametrize("missing", ["DATABASE_URL", "CELERY_BROKER_URL"])
def test_a_production_worker_needs_its_database_and_broker(missing):
    # Empty rather than absent, so a developer's .env file cannot fill it in.
    result = celery_worker({**PRODUCTION_SECRETS, missing: ""})
    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr


def test_production_refuses_the_development_secret_key():
    env = {**PRODUCTION_SECRETS, "SECRET_KEY": "django-insecure-local-development-key"}
    result = run(
        [sys.executable, "-c", "import django; django.setup()"],
        {**env, "DJANGO_SETTINGS_MODULE": "vapportal.settings.production"},
    )
    assert result.returncode != 0
    assert "not the development key" in result.stderr


def test_the_web_process_and_the_worker_default_to_the_same_settings():
    wsgi = (ROOT / "vapportal" / "wsgi.py").read_text()
    worker = (ROOT / "vapportal" / "celery.py").read_text()
    line = 'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vapportal.settings.production")'
    assert line in wsgi
    assert line in worker


def test_every_process_of_make_run_names_its_settings():
    for line in (ROOT / "Procfile").read_text().splitlines():
        assert "DJANGO_SETTINGS_MODULE=vapportal.settings.base " in line, line


def test_links_in_emails_follow_the_address_make_run_serves():
    development = {"DJANGO_SETTINGS_MODULE": "vapportal.settings.base"}
    assert settings_of({**development, "WEB_ADDRESS": "127.0.0.1:8123"}, "SITE_URL") == {
        "SITE_URL": "http://127.0.0.1:8123"
    }
    assert settings_of({**development, "WEB_ADDRESS": "0.0.0.0:9000"}, "SITE_URL") == {
        "SITE_URL": "http://127.0.0.1:9000"
    }
    explicit = {**development, "WEB_ADDRESS": "127.0.0.1:8123", "SITE_URL": "https://p.example"}
    assert settings_of(explicit, "SITE_URL") == {"SITE_URL": "https://p.example"}


def test_the_filesystem_broker_keeps_its_control_files_under_var():
    options = settings_of(
        {"DJANGO_SETTINGS_MODULE": "vapportal.settings.base"}, "CELERY_BROKER_TRANSPORT_OPTIONS"
    )["CELERY_BROKER_TRANSPORT_OPTIONS"]
    assert f"'control_folder': '{ROOT / 'var' / 'broker' / 'control'}'" in options


CONCURRENT_WRITERS = textwrap.dedent(
    """
    import sys, threading, time
    import django
    django.setup()
    from django.db import connection, connections, transaction

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS counter (n integer)")
        cursor.execute("DELETE FROM counter")
        cursor.execute("INSERT INTO counter VALUES (0)")
    errors = []

    def add_one():
        try:
            for _ in range(5):
                # Read, think, write: the shape of every service that claims a row.
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SELECT n FROM counter")
                    (n,) = cursor.fetchone()
                    time.sleep(0.01)
                    cursor.execute("UPDATE counter SET n = %s", [n + 1])
        except Exception as error:
            errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=add_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with connection.cursor() as cursor:
        cursor.execute("SELECT n FROM counter")
        total = cursor.fetchone()[0]
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
    print(total, mode, errors)
    """
)


def test_make_runs_sqlite_lets_concurrent_writers_wait_their_turn(tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "vapportal.settings.base",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    result = run([sys.executable, "-c", CONCURRENT_WRITERS], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["20", "wal", "[]"]


def test_every_beat_tick_names_a_task_the_worker_knows(settings):
    from vapportal.celery import app

    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "tasks.tasks.pending_uploads_dispatch" in scheduled
    assert scheduled <= set(app.tasks)
