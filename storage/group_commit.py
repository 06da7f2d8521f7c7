"""SQLite's group commit: units of work that queue for the one write lock commit together.

SQLite has one writer, and with `synchronous=FULL` each COMMIT waits for the disk (an fsync).
Twenty officers at once would each wait for their own. Here the units of work that queue for the
writer run one after the other inside one transaction, each after the first in a SAVEPOINT of
its own, and the last of them commits the batch: one fsync for all. The first unit needs none
(nothing else is in the transaction yet): when it fails, the whole transaction is rolled back and
the batch ends, so one unit at a time pays no SAVEPOINT and RELEASE.

The promises hold:
- durable: a unit's caller is answered only after the batch's COMMIT has returned (the WAL is on
  the disk); when that COMMIT fails, every unit in the batch raises (`BatchNotCommitted`) and
  nothing of the batch is kept;
- isolated: a unit that fails rolls back its own SAVEPOINT, and only that; the others commit
  (the first unit's failure rolls back a transaction that holds nothing else);
- in order: a unit sees every earlier unit's writes (the same connection), as it would have seen
  them committed; the audit chain's appends read their head from it too.

Nothing leaves a unit before its batch commits: callers act on what they wrote (reply, wake the
notifier) only once `unit()` has returned. Used by `storage.db.Database.write` on SQLite only
(PostgreSQL commits concurrent transactions in parallel itself).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, RootTransaction

# A batch commits after this many units at the most, so the first caller in it is not kept
# waiting behind an endless queue.
MOST_UNITS = 32
# ... and once its first unit has waited this long (seconds) for the units after it, so a long
# unit that joins late (or a slow one) adds at most about this to the others' answers.
BUDGET = 0.05


class BatchNotCommitted(Exception):
    """The batch this unit of work was in did not commit: nothing of it was kept."""


@dataclass(eq=False)
class _Batch:
    connection: Connection
    transaction: RootTransaction
    units: int = 0  # units that succeeded, waiting for the commit
    first_done: float | None = None  # when its first unit finished (time.monotonic)
    alone: bool = False  # a long unit's own batch: committed as soon as it ends
    broken: bool = False  # a unit's failure left the transaction unusable: roll it all back
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class GroupCommit:
    """The writer's queue for one SQLite engine; `unit()` is one unit of work's turn."""

    def __init__(self, engine: Engine, *, most_units: int = MOST_UNITS,
                 budget: float = BUDGET) -> None:
        self._engine = engine
        self._most = most_units
        self.budget = budget
        self._turn = threading.Lock()  # whose unit runs on the batch's connection
        self._count = threading.Lock()  # guards `_waiting`
        self._waiting = 0  # threads queued for their turn: the batch commits when none is
        self._batch: _Batch | None = None
        self._inside = threading.local()
        self.batches = 0  # batches committed since the start (for tests and figures)

    @property
    def waiting(self) -> int:
        """How many units are queued for their turn now."""
        return self._waiting

    @contextmanager
    def unit(self, *, alone: bool = False) -> Iterator[tuple[Connection, bool]]:
        """A connection inside the batch's transaction, for one unit of work, and whether the
        unit is the batch's first. The caller lets any failure propagate; it runs a later unit
        in a SAVEPOINT of its own (`Session(join_transaction_mode="create_savepoint")`), and the
        first one straight in the transaction, which it rolls back when that unit fails
        (`"rollback_only"`): the batch then ends, holding nothing. Returns once the batch is
        committed (durable); raises `BatchNotCommitted` when it was not.

        `alone`: a long unit (the sweep, a file's upload) commits the batch it finds open first,
        so the units that finished before it are not kept waiting for it, and runs in a batch of
        its own."""
        if getattr(self._inside, "batch", None) is not None:
            # SQLite would deadlock on it as well: one writer, already this thread.
            raise RuntimeError("a unit of work opened inside another")
        with self._count:
            self._waiting += 1
        try:
            self._turn.acquire()
        finally:
            with self._count:
                self._waiting -= 1
        batch: _Batch | None = None
        failed = True
        try:
            if alone and self._batch is not None:
                self._commit(self._batch)
            first = self._batch is None
            batch = self._begin(alone=alone) if first else self._batch
            assert batch is not None
            self._inside.batch = batch
            yield batch.connection, first
            failed = False
        finally:
            self._inside.batch = None
            try:
                if batch is not None:
                    if failed and not batch.broken and not _usable(batch):
                        batch.broken = True
                    if not failed:
                        batch.units += 1
                    if batch.first_done is None:
                        batch.first_done = time.monotonic()
                    self._maybe_commit(batch)
            finally:
                self._turn.release()
        if batch is not None:
            batch.done.wait()
            if batch.error is not None:
                raise BatchNotCommitted("the batch this unit of work was in did not commit") \
                    from batch.error

    def _begin(self, *, alone: bool = False) -> _Batch:
        connection = self._engine.connect()
        try:
            transaction = connection.begin()  # BEGIN IMMEDIATE (storage.db's "begin" hook)
        except BaseException:
            connection.close()
            raise
        self._batch = _Batch(connection, transaction, alone=alone)
        return self._batch

    def _maybe_commit(self, batch: _Batch) -> None:
        """Commit the batch when no one else is queued to join it (or it is full, broken, a long
        unit's own, or its first unit has waited its budget). Called holding the turn: while the
        disk syncs, the next units queue for the next batch."""
        with self._count:
            others = self._waiting
        waited = time.monotonic() - (batch.first_done or time.monotonic())
        if (others and batch.units < self._most and not batch.broken and not batch.alone
                and waited < self.budget):
            return
        self._commit(batch)

    def _commit(self, batch: _Batch) -> None:
        """End the batch: COMMIT (or roll back a broken one), then answer its units."""
        self._batch = None
        try:
            if batch.broken:
                batch.error = RuntimeError("a unit of work left the transaction unusable")
                if batch.transaction.is_active:  # not rolled back by a first unit's failure
                    batch.transaction.rollback()
            elif batch.units:
                batch.transaction.commit()
                self.batches += 1
            else:
                batch.transaction.rollback()  # only failed units: nothing to keep
        except BaseException as exc:  # noqa: BLE001  every unit of the batch is told, below
            batch.error = exc
            # Its state is unknown: the connection is thrown away (closing it rolls back what
            # SQLite still holds), never handed to the next batch.
            batch.connection.invalidate()
        finally:
            try:
                batch.connection.close()
            finally:
                batch.done.set()


def _usable(batch: _Batch) -> bool:
    """Whether the batch's transaction survived a unit's failure (its SAVEPOINT rolled back; a
    first unit's failure rolled the transaction back). SQLite rolls the whole transaction back
    on some errors (a full disk, an I/O error) while SQLAlchemy still thinks it active: the
    driver's own `in_transaction` tells."""
    if not batch.transaction.is_active or batch.connection.invalidated:
        return False
    return driver_in_transaction(batch.connection)


def driver_in_transaction(connection: Connection) -> bool:
    """Whether the driver itself still holds a transaction on `connection` (SQLite's says; a
    driver that does not is taken to). SQLite rolls the whole transaction back on some errors (a
    full disk) and would then take the next write in autocommit."""
    return bool(getattr(connection.connection.dbapi_connection, "in_transaction", True))
