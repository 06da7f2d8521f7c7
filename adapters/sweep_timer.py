"""The sweep timer inside `candor serve`: APScheduler 3 on the server's event loop runs a sweep
(`bot.sweep`) every `sweep_seconds` on the replica that leads (`Leadership`).

Every replica runs the timer; one leads at a time. On PostgreSQL the leader holds a session-level
advisory lock on a connection of its own: when the leader dies its connection closes, the lock
is released, and another replica takes it at its next try (every `leader_seconds`). Sweeps are
idempotent anyway (each notice has a unique key), so leadership saves work, not correctness.
On SQLite there is one process and it leads.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from bot.sweep import Sweeper
from storage.clock import utcnow
from storage.db import Database

log = logging.getLogger("candor.scheduler")

LEADER_LOCK = 0x43414E45  # "CANE"
# The lock is Candor's in this schema: an advisory lock is the whole database's, and a second
# Candor in another schema of it (a staging copy beside production) would otherwise keep this
# one's scheduler from ever leading. (The two-key form is its own key space: a replica of an
# older version, taking the one-key lock, would lead beside a newer one until it is replaced;
# sweeps are idempotent.)
_TRY_LEAD = text("SELECT pg_try_advisory_lock(:id, hashtext(current_schema()))")
_UNLOCK = text("SELECT pg_advisory_unlock(:id, hashtext(current_schema()))")


@dataclass
class Leadership:
    db: Database
    _connection: Connection | None = field(default=None, repr=False)

    @property
    def leading(self) -> bool:
        return self._connection is not None or not self.db.is_postgres

    def try_lead(self) -> bool:
        """Keep or take the lead; False while another replica holds it."""
        if not self.db.is_postgres:
            return True
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT 1"))
                return True
            except DBAPIError:
                log.warning("lost the scheduler lead (connection closed)")
                self._drop()
        connection = self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = connection.execute(_TRY_LEAD, {"id": LEADER_LOCK}).scalar()
        except DBAPIError:
            connection.close()
            return False
        if got:
            self._connection = connection
            log.info("this replica leads the scheduler")
            return True
        connection.close()
        return False

    def _drop(self) -> None:
        if self._connection is not None:
            try:
                self._connection.invalidate()
            finally:
                self._connection = None

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(_UNLOCK, {"id": LEADER_LOCK})
                self._connection.close()
            except DBAPIError:
                log.info("the lead ends with the connection")
            finally:
                self._connection = None


def start_sweep_timer(sweeper: Sweeper, leadership: Leadership, *, on_written: object = None,
                      sweep_seconds: int = 300, leader_seconds: int = 30,
                      on_swept: Callable[[float], None] | None = None) -> AsyncIOScheduler:
    """Start the sweeps on the running loop; the caller shuts the scheduler down. `on_swept` is
    told how long each sweep this replica ran took (the metrics)."""
    scheduler = AsyncIOScheduler(timezone=UTC)

    async def tick() -> None:
        if not await asyncio.to_thread(leadership.try_lead):
            return
        started = time.perf_counter()
        result = await asyncio.to_thread(sweeper.run, utcnow())
        if on_swept is not None:
            on_swept(time.perf_counter() - started)
        if result.written and callable(on_written):
            on_written()

    async def keep_lead() -> None:
        await asyncio.to_thread(leadership.try_lead)

    scheduler.add_job(tick, "interval", seconds=sweep_seconds, next_run_time=utcnow(),
                      max_instances=1, coalesce=True, id="sweep")
    scheduler.add_job(keep_lead, "interval", seconds=leader_seconds, max_instances=1,
                      coalesce=True, id="leader")
    scheduler.start()
    return scheduler
