"""CPU time of other processes (gunicorn workers, Celery workers, PostgreSQL backends), read
from /proc so that each scenario can say what a request or a message cost."""

import os
from pathlib import Path


def cpu_ticks(pids: list[int]) -> dict[int, int]:
    """Clock ticks (user and system) used so far by each process still running."""
    ticks = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks[pid] = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks


def cpu_seconds(after: dict[int, int], before: dict[int, int]) -> float:
    """CPU seconds from `before` to `after`; a process that started since counts in full."""
    ticks = sum(value - before.get(pid, 0) for pid, value in after.items())
    return ticks / os.sysconf("SC_CLK_TCK")
