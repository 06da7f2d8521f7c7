"""The database's connections: on PostgreSQL one that lay idle is pinged before use (and replaced
when the server dropped it), one back in use at once is not; on SQLite each keeps a small page
cache of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, event, text

from storage import db as db_module
from storage.db import SQLITE_CACHE_KIB, Database, normalize_url
from storage.migrate import migrated
from tests.conftest import POSTGRES_URL, drop_postgres_schema, fresh_postgres_url


@pytest.fixture
def postgres() -> Iterator[Database]:
    url, schema = fresh_postgres_url()
    try:
        with migrated(url) as database:
            yield database
    finally:
        drop_postgres_schema(schema)


def _statements(database: Database) -> list[str]:
    seen: list[str] = []
    event.listen(database.engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_rest: seen.append(statement))
    return seen


def _backend_pid(database: Database) -> int:
    with database.read() as session:
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_dropped_while_idle_is_replaced_before_use(
        postgres: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _backend_pid(postgres)
    # The server drops the pooled connection (a restart, an administrator, a firewall).
    admin = create_engine(normalize_url(POSTGRES_URL))
    with admin.begin() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    admin.dispose()
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    # The next unit of work runs, on a new connection: it never meets the dead one.
    with postgres.write() as session:
        session.execute(text("CREATE TABLE idle_probe (n integer)"))
        session.execute(text("INSERT INTO idle_probe VALUES (1)"))
    assert _backend_pid(postgres) != first
    with postgres.read() as session:
        assert session.execute(text("SELECT n FROM idle_probe")).scalar_one() == 1


def test_a_connection_back_in_use_at_once_is_not_pinged(
        postgres: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    _backend_pid(postgres)  # one connection in the pool, just used
    seen = _statements(postgres)
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 3600.0)
    _backend_pid(postgres)
    assert seen == ["SELECT pg_backend_pid()"]  # no round trip before it
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    seen.clear()
    pinged: list[bool] = []
    real_ping = postgres.engine.dialect.do_ping
    monkeypatch.setattr(postgres.engine.dialect, "do_ping",
                        lambda connection: pinged.append(True) or real_ping(connection))
    _backend_pid(postgres)
    assert pinged == [True]
    assert seen == ["SELECT pg_backend_pid()"]


def test_each_sqlite_connection_keeps_a_small_page_cache(sqlite_database: Database) -> None:
    with sqlite_database.read() as session:
        pages = int(session.execute(text("PRAGMA cache_size")).scalar_one())
    assert pages == -SQLITE_CACHE_KIB  # negative: a size in KiB, not in pages


def test_a_dead_idle_connection_takes_the_pool_s_older_ones_with_it(
        postgres: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given two connections in the pool, both dropped by the server (it restarted)
    with postgres.engine.connect() as one, postgres.engine.connect() as two:
        pids = [int(c.execute(text("SELECT pg_backend_pid()")).scalar_one()) for c in (one, two)]
    admin = create_engine(normalize_url(POSTGRES_URL))
    with admin.begin() as connection:
        for pid in pids:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()
    # When one that lay idle is pinged and found dead
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    _backend_pid(postgres)
    # Then the other, which no ping will look at now, went with it: two units at once both work
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 3600.0)
    with postgres.engine.connect() as one, postgres.engine.connect() as two:
        now = {int(c.execute(text("SELECT pg_backend_pid()")).scalar_one()) for c in (one, two)}
    assert not now & set(pids)


# --- one statement written alone (`Database.write_one`: the relay's hold and delivery marks) ---

def _counter(database: Database) -> None:
    with database.write() as session:
        session.execute(text("CREATE TABLE counter (id integer PRIMARY KEY, n integer NOT NULL)"))
        session.execute(text("INSERT INTO counter VALUES (1, 0), (2, 0)"))


_BUMP = text("UPDATE counter SET n = n + 1 WHERE id = :id RETURNING n")


def _count(database: Database) -> int:
    with database.read() as session:
        return int(session.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one())


def test_a_statement_written_alone_is_committed_when_it_returns(database: Database) -> None:
    _counter(database)
    # It returns the rows it changed, and another connection sees the change at once
    assert [tuple(row) for row in database.write_one(_BUMP, {"id": 1})] == [(1,)]
    assert _count(database) == 1
    # One that matches no row returns none and changes nothing
    assert list(database.write_one(_BUMP, {"id": 3})) == []
    assert _count(database) == 1
    # One that fails raises and changes nothing, and the next one runs
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        database.write_one(text("UPDATE counter SET id = 1, n = 50 WHERE id = 2 RETURNING id"), {})
    assert [tuple(row) for row in database.write_one(_BUMP, {"id": 1})] == [(2,)]
    with database.read() as session:
        assert session.execute(text("SELECT id, n FROM counter ORDER BY id")).all() == [(1, 2), (2, 0)]


def test_a_statement_written_alone_without_returning_commits_and_returns_nothing(
        database: Database) -> None:
    _counter(database)
    assert list(database.write_one(text("UPDATE counter SET n = 7 WHERE id = 2"), {})) == []
    with database.read() as session:
        assert session.execute(text("SELECT n FROM counter WHERE id = 2")).scalar_one() == 7


def test_on_postgres_a_statement_written_alone_is_one_round_trip_and_units_stay_atomic(
        postgres: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    _counter(postgres)
    pid = _backend_pid(postgres)
    autocommit: list[bool] = []
    event.listen(postgres.engine, "before_cursor_execute",
                 lambda conn, *_rest: autocommit.append(conn.connection.dbapi_connection.autocommit))
    # The statement runs in autocommit: the server gets no BEGIN or COMMIT around it (on a
    # connection pinged first, having lain idle)
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    postgres.write_one(_BUMP, {"id": 1})
    assert autocommit == [True]
    # A failing one leaves its connection as it found it too
    with pytest.raises(Exception, match="(?i)duplicate"):
        postgres.write_one(text("UPDATE counter SET id = 1 WHERE id = 2 RETURNING id"), {})
    autocommit.clear()
    # and the connection goes back to the pool as it was: a unit of work on it after is still
    # all or nothing
    with pytest.raises(RuntimeError), postgres.write() as session:
        session.execute(text("UPDATE counter SET n = 100 WHERE id = 1"))
        raise RuntimeError("the unit fails after its first statement")
    assert autocommit == [False]
    assert _backend_pid(postgres) == pid  # the same connection throughout
    assert _count(postgres) == 1
