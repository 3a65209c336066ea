from django.db import connection
from django.test.utils import CaptureQueriesContext


def queries_for(fetch) -> int:
    """How many SQL queries one call of `fetch` makes."""
    with CaptureQueriesContext(connection) as captured:
        fetch()
    return len(captured)
