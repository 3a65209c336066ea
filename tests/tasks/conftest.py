from types import SimpleNamespace

import pytest

from tasks import queue


@pytest.fixture(params=["postgresql", "sqlite"])
def take_next_statements(request, monkeypatch):
    """Take next reads the pool with statements written for PostgreSQL; on SQLite (`make run`)
    it asks the ORM instead. Both ways run here, on PostgreSQL: the second by telling the
    queue that its database is SQLite."""
    if request.param == "sqlite":
        monkeypatch.setattr(queue, "connection", SimpleNamespace(vendor="sqlite"))
    return request.param
