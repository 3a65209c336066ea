"""Browser journeys: Debian's Chromium, driven by Playwright, against pytest-django's live
server. Run only these with `pytest -m e2e`, or leave them out with `-m "not e2e"`."""

import os
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db.backends.signals import connection_created

from tests.smtp import RecordingHandler, serving_smtp

# Playwright's sync API runs an event loop in this thread; the tests still read and write the
# database through the ORM between browser steps, which Django would otherwise refuse.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path("/tmp/e2e-shots")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "e2e: a browser journey through the live server (needs Chromium)"
    )


@pytest.fixture(scope="session", autouse=True)
def _close_connections_opened_while_playwright_runs(django_db_setup):
    """Close, before the test database is dropped, the connections Django's teardown misses.

    Between calls, Playwright's sync API leaves its event loop marked as running in this thread
    until the session ends, and Django keeps a thread's connections in a separate store while a
    loop runs. A connection opened from the first browser journey on (by these tests or by any
    test that runs after them) is therefore invisible to the teardown that drops the test
    database once Playwright has stopped, and the drop fails: "database is being accessed by
    other users". Set up before Playwright, so torn down after it."""
    main_thread = threading.get_ident()
    opened = weakref.WeakSet()

    def remember(sender, connection, **kwargs):
        if threading.get_ident() == main_thread:  # the live server's threads close their own
            opened.add(connection)

    connection_created.connect(remember, weak=False)
    yield
    connection_created.disconnect(remember)
    for connection in list(opened):
        connection.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, not a browser downloaded by Playwright."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"The browser journeys need Chromium at {CHROMIUM}: apt-get install chromium")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """Pages are addressed relative to the live server, `page.goto("/accounts/login/")`.

    Defining it here also replaces pytest-playwright's fallback fixture, which pytest 9 warns
    about (PytestRemovedIn10Warning: session fixture defined as an instance method)."""
    return live_server.url


@pytest.fixture
def screenshot():
    """`screenshot(page, "name")` keeps the page as /tmp/e2e-shots/name.png for a human to see."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def log_in(base_url):
    """`log_in(page, user, password)` signs in through the login form, as a person would."""

    def sign_in(page, user, password: str) -> None:
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{base_url}/")

    return sign_in


@pytest.fixture
def smtp_sink(settings) -> Iterator[RecordingHandler]:
    """A real SMTP server on loopback, and Django's SMTP backend pointed at it."""
    recorder = RecordingHandler()
    with serving_smtp(recorder, settings):
        yield recorder
