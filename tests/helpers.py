import re
import socket
import threading

from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from vapportal.dates import moment_text, reading_in

# The suite's clock unless VAPPORTAL_TEST_CLOCK moves it (tests/conftest.py): a Wednesday
# morning in Chicago, far from a daylight-saving change or a month's end.
A_NOVEMBER_WEDNESDAY = "2026-11-18T15:30:00+00:00"


def suggestions(html: str, list_id: str) -> list[str]:
    """The values a page's `<datalist id=list_id>` suggests, in order."""
    datalist = re.search(rf'<datalist id="{re.escape(list_id)}">(.*?)</datalist>', html, re.S)
    assert datalist, f"no datalist {list_id} on the page"
    return re.findall(r'<option value="([^"]+)"', datalist.group(1))


def queries_for(fetch) -> int:
    """How many SQL queries one call of `fetch` makes."""
    with CaptureQueriesContext(connection) as captured:
        fetch()
    return len(captured)


def at_the_same_moment(*calls, timeout: float = 60) -> list:
    """Run each call in a thread of its own, on a database connection of its own, all
    released together once every one is connected; return what each returned, in order.
    A call that raised, or did not finish within `timeout` seconds, fails the test here."""
    ready = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call) -> None:
        try:
            connections["default"].ensure_connection()
            ready.wait(timeout=timeout)
            results[index] = call()
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    if errors:
        raise errors[0]
    assert not any(thread.is_alive() for thread in threads), f"not done in {timeout} s"
    return results


def free_port() -> int:
    """A loopback port nothing listens on (for servers that cannot be given port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_read_on(zone, moment, *, client_zone=None) -> str:
    """A moment as a page shows it to someone whose clock is `zone`, now: the year when it is
    not this one there, the client's clock beside it where that reads another time."""
    with reading_in(zone, known=True):
        return moment_text(moment, client_zone=client_zone)
