"""The engine factory and the unit of work, the one way Candor writes (`write_one` is a unit of
work of one statement).

SQLite (the embedded default) runs in WAL mode with foreign keys, `secure_delete` (shredded keys
and deleted drafts leave no trace in free pages) and `BEGIN IMMEDIATE` for writes, so concurrent
writers queue instead of failing half-way; after a shred, `checkpoint` empties the WAL, which still
holds the pages as they were before it. PostgreSQL is the same code with the psycopg driver,
over connections that notice a dead peer within about half a minute (see `postgres_connect_args`)
and are pinged before use when they have lain idle (`_ping_when_idle`). `ByTags` builds, once,
the statements that find a record by its keyed tags.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Engine,
    Executable,
    Row,
    bindparam,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InvalidatePoolError
from sqlmodel import Session

from storage import audit
from storage.group_commit import GroupCommit

DEFAULT_DATABASE_URL = "sqlite:///candor.db"

# TCP keepalive on every PostgreSQL connection: first probe after 10 s of silence, then every
# 5 s, dead after 3 unanswered (~25 s). Without it a partitioned peer holds on for the kernel's
# default (about two hours); with it a replica's scheduler takes over within a minute.
KEEPALIVE_IDLE_SECONDS = 10
KEEPALIVE_INTERVAL_SECONDS = 5
KEEPALIVE_COUNT = 3
# How long sent data may go unacknowledged before the client drops the connection (libpq >= 12).
TCP_USER_TIMEOUT_MS = 30_000
_LIBPQ_TCP_USER_TIMEOUT = 120000  # libpq's version number that introduced `tcp_user_timeout`
# A PostgreSQL connection back from the pool after lying idle this long is pinged first.
PING_AFTER_IDLE_SECONDS = 2.0
_IDLE_SINCE = "candor_idle_since"
# Each SQLite connection's own page cache, in KiB (SQLite's default is 2 MiB). The pool holds up to
# fifteen connections; the operating system caches the file for all of them, so a small cache
# each keeps the server's memory from creeping up as the database grows (the soak in `make
# bench`) at no cost measured to the forms.
SQLITE_CACHE_KIB = 256


S = TypeVar("S")
# A keyed-tag condition on a column (`ByTags`): equality with one tag, or an IN list.
TagMatch = Callable[[Any], ColumnElement[bool]]


class ByTags(Generic[S]):
    """A statement built once that finds a record by its keyed tags (`Vault.tags`: one under each
    index key the keyring holds). Nearly always there is one, matched by equality; during an
    index-key rotation there are two, matched by an IN list, which SQLAlchemy expands anew at each
    call (about 30 us a statement on SQLite, three statements in every form).
    `build(match)` makes the statement, `match(column)` being the tag condition."""

    def __init__(self, build: Callable[[TagMatch], S]) -> None:
        self.one = build(lambda column: column == bindparam("tag"))
        self.many = build(lambda column: column.in_(bindparam("tags", expanding=True)))

    def given(self, tags: Sequence[str], **params: Any) -> tuple[S, dict[str, Any]]:
        """The statement for `tags`, and its parameters (`params` with the tags)."""
        if len(tags) == 1:
            return self.one, {**params, "tag": tags[0]}
        return self.many, {**params, "tags": list(tags)}


def upsert_insert(dialect: str) -> Any:
    """The `insert()` of `dialect` that takes `on_conflict_do_nothing` / `on_conflict_do_update`
    (SQLite and PostgreSQL spell it alike), imported when first asked for: a SQLite process never
    loads PostgreSQL's dialect."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert
    return sqlite_insert


def normalize_url(url: str) -> str:
    """Accept the usual PostgreSQL spellings and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str = DEFAULT_DATABASE_URL, **kwargs: Any) -> Engine:
    # Bound parameters (a platform user id, a lookup key) never appear in SQL logs or in the
    # text of a database exception.
    kwargs.setdefault("hide_parameters", True)
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    connect_args = {**postgres_connect_args(url), **kwargs.pop("connect_args", {})}
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Before a PostgreSQL connection that has lain idle in the pool (`PING_AFTER_IDLE_SECONDS`)
    is used again, ask it `SELECT 1`; one that does not answer (the server restarted, a firewall
    dropped it) is thrown away, with every connection older than it, and a new one made, so the
    unit of work never meets it. A connection back in use sooner is not asked: under load that
    round trip would come before every unit of work and every relay pass, and a server restart
    then fails the units already under way, pinged or not."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return  # a new connection, or one in use a moment ago
        # A connection that does not answer takes every connection made before it out of the
        # pool with it (a restarted server dropped them all), so that none that was in use a
        # moment ago, and so not pinged, is handed to a unit of work.
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001  any failure means: not this connection
            raise InvalidatePoolError("an idle connection did not answer") from exc
        if not alive:
            raise InvalidatePoolError("an idle connection did not answer")


def unreachable(url: str, *, timeout: int = 3) -> str | None:
    """None when the PostgreSQL server at `url` answers within `timeout` seconds; otherwise why
    not, as the error's type (its message may carry the URL's password)."""
    engine = create_engine(normalize_url(url), connect_args={"connect_timeout": timeout})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return None
    except Exception as exc:  # noqa: BLE001  any failure to connect means: no server here
        return type(exc).__name__
    finally:
        engine.dispose()


def postgres_connect_args(url: str, *, libpq_version: int | None = None) -> dict[str, Any]:
    """Keepalive on both ends of a PostgreSQL connection.

    The client side (libpq's `keepalives*`, `tcp_user_timeout`) lets a partitioned replica see
    that its connection is gone, so its leader stops leading. The server side (the session's
    `tcp_keepalives_*`, sent as startup `options`) is what ends the backend of a replica that
    vanished, and with it the scheduler's advisory lock: the client's keepalives alone never
    reach the server's socket. Options already in the URL (a `search_path`) are kept."""
    if libpq_version is None:
        import psycopg  # the driver is needed only once a PostgreSQL engine is built

        libpq_version = psycopg.pq.version()
    args: dict[str, Any] = {
        "keepalives": 1,
        "keepalives_idle": KEEPALIVE_IDLE_SECONDS,
        "keepalives_interval": KEEPALIVE_INTERVAL_SECONDS,
        "keepalives_count": KEEPALIVE_COUNT,
    }
    if libpq_version >= _LIBPQ_TCP_USER_TIMEOUT:
        args["tcp_user_timeout"] = TCP_USER_TIMEOUT_MS
    given = make_url(url).query.get("options", ())
    server = (f"-c tcp_keepalives_idle={KEEPALIVE_IDLE_SECONDS} "
              f"-c tcp_keepalives_interval={KEEPALIVE_INTERVAL_SECONDS} "
              f"-c tcp_keepalives_count={KEEPALIVE_COUNT}")
    args["options"] = " ".join([*([given] if isinstance(given, str) else given), server])
    return args


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own BEGIN is deferred).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "foreign_keys=ON",
        "secure_delete=ON",
        "synchronous=FULL",
        "busy_timeout=30000",
        f"cache_size=-{SQLITE_CACHE_KIB}",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    if connection.get_execution_options().get("candor_readonly"):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@dataclass(frozen=True)
class Database:
    """The engine, and the ways to use it: `write()` (a unit of work), `write_one()` (one
    statement, a unit of work by itself) and `read()`."""

    engine: Engine
    # SQLite has one writer at a time. Threads of this process queue for it here, and those that
    # queue together commit together, each after the first in a SAVEPOINT of its own, with one
    # fsync for all (storage.group_commit). Left to SQLite's busy handler they would poll it,
    # sleeping up to 100 ms between tries, and each would wait for its own fsync. (Other
    # processes, a `candor` command beside the server, still meet `busy_timeout`.) None on
    # PostgreSQL.
    group: GroupCommit | None = field(default=None, compare=False, repr=False)
    # The same engine and pool, its connections in autocommit while they are out (`write_one`),
    # on PostgreSQL; None on SQLite.
    autocommit: Engine | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.group is None and self.engine.dialect.name == "sqlite":
            object.__setattr__(self, "group", GroupCommit(self.engine))
        if self.group is None and self.autocommit is None:
            object.__setattr__(self, "autocommit",
                               self.engine.execution_options(isolation_level="AUTOCOMMIT"))

    @classmethod
    def from_url(cls, url: str = DEFAULT_DATABASE_URL) -> Database:
        return cls(make_engine(url))

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def write(self, *, alone: bool = False) -> Iterator[Session]:
        """A unit of work: everything in the block commits together, or nothing does; it has
        committed (durably) when the block returns. To undo its writes the block raises (it
        does not roll back and carry on). `alone`: a long one (the sweep, a file's
        upload), which on SQLite does not keep the units before it waiting for their commit."""
        if self.group is None:
            with Session(self.engine, expire_on_commit=False) as session:
                yield from _unit(session)
            return
        with self.group.unit(alone=alone) as (connection, first), \
                Session(connection, expire_on_commit=False,
                        join_transaction_mode="rollback_only" if first
                        else "create_savepoint") as session:
            yield from _unit(session)

    def write_one(self, statement: Executable, params: Mapping[str, Any]) -> Sequence[Row[Any]]:
        """One statement that is a unit of work by itself (it writes no audit event, and what it
        changes is committed, durably, when this returns), and the rows it returns (none without
        a RETURNING clause). On PostgreSQL it runs in autocommit: one round trip, where `write()`
        takes three (BEGIN, the statement, COMMIT); the relay records each notice this way.
        On SQLite it queues for the one writer as any unit of work does. Never inside `write()`:
        it is not part of that unit of work (on PostgreSQL it would wait for a row the unit has
        locked, for ever; on SQLite it raises)."""
        if self.autocommit is not None:
            with self.autocommit.connect() as connection:
                return _rows(connection.execute(statement, params))
        with self.write() as session:
            return _rows(session.connection().execute(statement, params))

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session (on SQLite it does not take the write lock)."""
        # Closing (not rolling back) keeps loaded objects readable after the block.
        with Session(self.engine.execution_options(candor_readonly=True),
                     expire_on_commit=False) as session:
            yield session

    def checkpoint(self) -> bool:
        """After a shred, on SQLite: copy the WAL into the database file and truncate it
        (`wal_checkpoint(TRUNCATE)`). `secure_delete` zeroes a deleted data key in its page, but
        the `-wal` file keeps every page as it was written before, the key in it, until then.
        False when a reader kept it from finishing (the next shred's checkpoint takes it all).
        Nothing on PostgreSQL: its WAL and archives are the server's (see the README)."""
        if not self.is_sqlite:
            return True
        # On the driver's own connection, outside any transaction (a checkpoint cannot run inside
        # one, and the "begin" hook would open one).
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            busy = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            cursor.close()
        finally:
            raw.close()
        return busy is None or busy[0] == 0

    def dispose(self) -> None:
        self.engine.dispose()


def _rows(result: CursorResult[Any]) -> Sequence[Row[Any]]:
    return result.all() if result.returns_rows else []


def _unit(session: Session) -> Iterator[Session]:
    # The audit events it appends are written as it commits (storage.audit).
    session.info[audit.DEFER] = True
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
