"""What Slack and Teams share between their listeners and the core: the core's blocking calls run
in a thread, off the event loop; the notifier is woken after each unit of work (it may have
written notices); a person the roster does not know yet is looked up once by e-mail; the bot back
in its channel or team makes the notices that platform refused due now.

It may touch the core through `Service`'s public methods only, and no platform SDK: each adapter
hands it its platform, its surface and, where it has one, its own e-mail lookup.
(Request size is the server's: adapters/server.py refuses a body over its `client_max_size`.)
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import os
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from bot.messages import Actor, Inbound, Reply, Surface
from bot.service import Service, SlowHash, Turn
from storage.vocabulary import Platform

log = logging.getLogger("candor.bridge")

P = ParamSpec("P")
T = TypeVar("T")
# How long a platform id the roster knows is taken as known without asking the database again
# (each event then resolves it once, in its own unit of work, not twice), and how many are kept.
KNOWN_SECONDS = 60.0
KNOWN_MOST = 10_000
# The core's threads, shared by every platform's bridge, apart from the default executor (where
# the notifier's and the health check's calls run). On SQLite most of them wait, holding no CPU,
# for the one writer (where units queued together commit together, storage.group_commit): enough
# that twenty officers at once each have one. On PostgreSQL every one of them runs at once, and
# past a few per core they only take the interpreter's lock from the event loop (measured: 50
# forms at once, the slowest answer 3.1 s with 32 threads, 1.5 s with 6).
SQLITE_THREADS = 32
_pool: ThreadPoolExecutor | None = None
# The threads a secret's slow hash runs in (`Service.attempt`), one a core, apart from the core's:
# twenty anonymous reports at once wait here, first come first served, holding none of the core's
# threads. (When the hashes waited in the core's threads, a named report beside twenty anonymous
# ones on PostgreSQL, six threads, waited up to 1.8 s for them; and a semaphore's waiters are not
# served in order, so the slowest of twenty anonymous reports took up to twice the others' time.)
_hash_pool: ThreadPoolExecutor | None = None


def core_threads(*, sqlite: bool) -> ThreadPoolExecutor:
    """The core's thread pool, made on first use (nothing happens at import)."""
    global _pool
    if _pool is None:
        threads = SQLITE_THREADS if sqlite else (os.cpu_count() or 1) + 4
        _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="candor-core")
    return _pool


def hash_threads() -> ThreadPoolExecutor:
    """The threads for secrets' slow hashes, made on first use."""
    global _hash_pool
    if _hash_pool is None:
        _hash_pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1,
                                        thread_name_prefix="candor-hash")
    return _hash_pool


async def _in(pool: ThreadPoolExecutor, fn: Callable[P, T], *args: P.args,
              **kwargs: P.kwargs) -> T:
    """`fn` in one of `pool`'s threads, with the caller's context (as `asyncio.to_thread`)."""
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(pool, call)


class Bridge:
    """One platform's way into the core."""

    def __init__(self, service: Service, wake: Callable[[], None], *, platform: Platform,
                 surface: Surface) -> None:
        self.service = service
        self.wake = wake
        self.platform = platform
        self.surface = surface
        self._known: dict[str, float] = {}  # platform id -> when the database last said known

    async def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """A blocking call (the core, the database), in one of the core's threads (with the
        caller's context, as `asyncio.to_thread` would)."""
        return await _in(core_threads(sqlite=self.service.db.is_sqlite), fn, *args, **kwargs)

    async def handle(self, event: Inbound) -> list[Reply]:
        """The core's answer to an event; then the notifier is woken if the event wrote a notice
        (its tick finds the rest: a held report come due, a notice's next try). A slow hash the
        event needs runs between its tries, in the hashing threads, not the core's."""
        before = self.service.notices_written
        turn = Turn(event)
        while isinstance(answer := await self.call(self.service.attempt, turn), SlowHash):
            await _in(hash_threads(), answer.run)
        replies = answer
        if self.service.notices_written != before:
            self.wake()
        return replies

    async def actor(self, user_id: str,
                    email: Callable[[], Awaitable[str | None]] | None = None) -> Actor:
        """The person as the core knows them. Someone the roster does not know yet is looked up
        with `email` (the platform's directory), so that the core can match them by e-mail once
        and store the match; without a lookup, or without an id, they stay as they are."""
        actor = Actor(self.platform, user_id, surface=self.surface)
        if email is None or not user_id or self._recently_known(user_id):
            return actor
        if await self.call(self.service.knows, actor):
            if len(self._known) >= KNOWN_MOST:
                self._known.clear()
            self._known[user_id] = time.monotonic()
            return actor
        return Actor(self.platform, user_id, email=await email(), surface=self.surface)

    def _recently_known(self, user_id: str) -> bool:
        # Only a "known" is remembered, and for a minute: someone taken off the roster and back
        # on under a new id is looked up by e-mail again within a minute.
        since = self._known.get(user_id)
        return since is not None and time.monotonic() - since < KNOWN_SECONDS

    async def bot_is_back(self) -> int:
        """The bot is back where the committee's notices go: those the platform refused while it
        was not are due now, not at the end of their backoff. Returns how many."""
        count = await self.call(self.service.retry_blocked, self.platform)
        self.wake()
        return count
