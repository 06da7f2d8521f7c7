"""Threads released at the same moment, for the races a test provokes on purpose (two takes of
one kept view, two servers' first heartbeats): each waits at one barrier, then does its work."""

from __future__ import annotations

import threading
from collections.abc import Callable


def at_once(work: Callable[[], object], *, threads: int) -> None:
    """Run `work` in `threads` threads that a barrier releases together; return when all end."""
    start = threading.Barrier(threads)

    def run() -> None:
        start.wait()
        work()

    started = [threading.Thread(target=run) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
