"""SQLite's group commit (storage.group_commit): units of work that queue for the writer commit
together, each after the first in its own SAVEPOINT, with one COMMIT for the batch. A unit's
caller is answered only once the batch is on the disk; a unit that fails rolls back alone; a
platform's retry still changes nothing."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from bot import once
from bot.messages import DirectMessage
from storage.db import Database
from storage.group_commit import BatchNotCommitted, GroupCommit
from storage.models import InboundEvent, Report
from tests.support.world import World, build_world, text_of


def commits(db: Database) -> list[object]:
    """The COMMITs the engine sends from now on (one per batch)."""
    seen: list[object] = []

    def committed(connection: object) -> None:
        seen.append(connection)

    event.listen(db.engine, "commit", committed)
    return seen


def row_ids(db: Database) -> set[str]:
    with db.read() as session:
        return set(session.exec(select(InboundEvent.id)).all())


def in_one_batch(db: Database, bodies: list[Callable[[Session], None]]) -> list[BaseException | None]:
    """Run each body in its own unit of work, all queued behind the first, so they share one
    batch; returns what each raised (None: it returned)."""
    group = db.group
    assert group is not None
    group.budget = 60.0  # these stories are about one batch: no budget cuts it short
    first_in = threading.Event()

    def unit(index: int) -> BaseException | None:
        try:
            with db.write() as session:
                if index == 0:
                    first_in.set()
                    deadline = time.monotonic() + 30
                    while group.waiting < len(bodies) - 1 and time.monotonic() < deadline:
                        time.sleep(0.001)
                bodies[index](session)
                session.add(InboundEvent(id=f"unit-{index}"))
                session.flush()
                if index in failing:
                    raise ValueError("this unit fails")
        except BaseException as exc:  # noqa: BLE001  each unit's outcome is returned
            return exc
        return None

    failing: set[int] = set()
    for index, body in enumerate(bodies):
        if getattr(body, "fails", False):
            failing.add(index)
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        first = pool.submit(unit, 0)
        assert first_in.wait(30)
        rest = [pool.submit(unit, i) for i in range(1, len(bodies))]
        return [first.result(60), *(f.result(60) for f in rest)]


def until_queued(group: GroupCommit, units: int) -> None:
    """Wait until `units` units of work are queued for the writer."""
    deadline = time.monotonic() + 30
    while group.waiting < units and time.monotonic() < deadline:
        time.sleep(0.001)


def nothing(session: Session) -> None:
    return None


def fails(session: Session) -> None:
    return None


fails.fails = True  # type: ignore[attr-defined]


def test_units_queued_together_commit_together_with_one_commit(sqlite_database):
    # Given ten units of work queued for the writer at once
    db = sqlite_database
    seen = commits(db)
    # When they run
    outcomes = in_one_batch(db, [nothing] * 10)
    # Then every one succeeded, all ten rows are kept, and the disk saw one COMMIT for them
    assert outcomes == [None] * 10
    assert row_ids(db) == {f"unit-{i}" for i in range(10)}
    assert len(seen) == 1


def test_a_failing_unit_rolls_back_alone(sqlite_database):
    # Given three units in one batch, the middle one failing after it wrote its row
    db = sqlite_database
    outcomes = in_one_batch(db, [nothing, fails, nothing])
    # Then its caller gets its own error, and only its row is gone
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], ValueError)
    assert row_ids(db) == {"unit-0", "unit-2"}


def test_no_caller_is_answered_before_its_batch_is_on_the_disk(sqlite_database):
    # Given twenty writers at once, each checking, as soon as its unit of work returns, from a
    # connection of its own (as another process would), that what it wrote is committed
    db = sqlite_database
    path = db.engine.url.database
    assert path

    def write_then_look(index: int) -> bool:
        with db.write() as session:
            session.add(InboundEvent(id=f"w-{index}"))
        look = sqlite3.connect(path)
        try:
            return look.execute("SELECT 1 FROM inboundevent WHERE id = ?", (f"w-{index}",)).fetchone() is not None
        finally:
            look.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        seen = list(pool.map(write_then_look, range(40)))
    # Then every caller saw its row committed the moment it was answered
    assert all(seen)


def test_a_batch_whose_commit_fails_keeps_nothing_and_tells_every_unit(sqlite_database):
    # Given a disk that refuses the next COMMIT
    db = sqlite_database

    def refuse(connection: object) -> None:
        raise OSError("disk I/O error")

    event.listen(db.engine, "commit", refuse)
    try:
        # When three units in one batch finish
        outcomes = in_one_batch(db, [nothing, nothing, nothing])
    finally:
        event.remove(db.engine, "commit", refuse)
    # Then none of them is told it succeeded, and nothing of the batch is kept
    assert all(o is not None for o in outcomes)
    assert any(isinstance(o, BatchNotCommitted) for o in outcomes)
    assert row_ids(db) == set()
    # And the next unit of work commits as usual
    with db.write() as session:
        session.add(InboundEvent(id="after"))
    assert row_ids(db) == {"after"}


def test_a_unit_of_work_inside_another_is_refused(sqlite_database):
    db = sqlite_database
    with pytest.raises(RuntimeError), db.write(), db.write():
        pass
    with db.write() as session:  # the writer is free again
        session.add(InboundEvent(id="after"))
    assert row_ids(db) == {"after"}


def test_a_long_unit_does_not_keep_the_units_before_it_waiting(sqlite_database):
    # Given a unit of work that finishes while a long one (the sweep, a file's upload) is queued
    db = sqlite_database
    group = db.group
    assert group is not None
    group.budget = 60.0  # only `alone` may close the batch here
    long_running, release = threading.Event(), threading.Event()

    def long_unit() -> None:
        with db.write(alone=True) as session:
            session.add(InboundEvent(id="long"))
            long_running.set()
            assert release.wait(30)

    with ThreadPoolExecutor(max_workers=2) as pool:
        with db.write() as session:
            session.add(InboundEvent(id="short"))
            queued = pool.submit(long_unit)
            until_queued(group, 1)
        # When the short one's block returns, the long one is still running
        assert long_running.wait(30) and not release.is_set()
        # Then the short one is already committed, the long one not yet
        assert row_ids(db) == {"short"}
        release.set()
        queued.result(30)
    assert row_ids(db) == {"short", "long"}


def test_a_finished_unit_waits_no_longer_than_the_budget_for_the_units_after_it(sqlite_database):
    # Given a short budget, and a unit that finishes while another is queued behind it
    db = sqlite_database
    group = db.group
    assert group is not None
    group.budget = 0.0
    seen = commits(db)
    outcomes: list[str] = []

    def second() -> None:
        with db.write() as session:
            session.add(InboundEvent(id="second"))
        outcomes.append("second")

    with ThreadPoolExecutor(max_workers=1) as pool:
        with db.write() as session:
            session.add(InboundEvent(id="first"))
            queued = pool.submit(second)
            until_queued(group, 1)
        # Then the first committed on its own, without waiting for the second to run
        assert row_ids(db) >= {"first"}
        queued.result(30)
    assert row_ids(db) == {"first", "second"} and len(seen) == 2


def test_a_failure_that_ends_the_whole_transaction_fails_the_batch_not_a_later_unit(
        sqlite_database):
    # Given a unit whose error made SQLite roll back the whole transaction (a full disk does)
    db = sqlite_database

    def rolled_back_whole(session: Session) -> None:
        session.add(InboundEvent(id="lost"))
        session.flush()
        session.connection().connection.dbapi_connection.rollback()  # type: ignore[union-attr]

    rolled_back_whole.fails = True  # type: ignore[attr-defined]
    # When it shares a batch with units before and after it
    outcomes = in_one_batch(db, [nothing, rolled_back_whole, nothing])
    # Then no one is told a success that was not kept
    kept = row_ids(db)
    for index, outcome in enumerate(outcomes):
        if outcome is None:
            assert f"unit-{index}" in kept
    # And the writer is free again
    with db.write() as session:
        session.add(InboundEvent(id="after"))
    assert "after" in row_ids(db)


@pytest.fixture
def world(sqlite_database, vault) -> World:
    return build_world(sqlite_database, vault)


def test_the_same_event_in_one_batch_is_handled_once(world):
    # Given a platform's event delivered four times, the deliveries in one batch
    event_ = DirectMessage(world.actor("cfo"), "report", event_id="Ev0RETRY")
    first_time: list[bool] = []

    def record(session: Session) -> None:
        first_time.append(once.db_first_time(session, world.core, event_))

    # When each delivery's unit of work records it
    outcomes = in_one_batch(world.db, [record] * 4)
    # Then it was a first time once only, and every unit committed
    assert outcomes == [None] * 4
    assert sorted(first_time) == [False, False, False, True]


def test_twenty_officers_reporting_at_once_are_all_recorded_and_the_chain_holds(world):
    # Given twenty named reports sent at once by two officers
    def report(index: int) -> str:
        who = "cfo" if index % 2 else "controller"
        return text_of(world.submit(who, "intake", {
            "category": "fraud", "what": f"Revenue booked early, entry {index}.", "anonymous": "no"}))

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(report, range(20)))
    # Then each was told its case was recorded, twenty reports are kept, and the audit chain
    # (each unit's appends reading the head the previous unit left) verifies
    assert all("recorded, encrypted, as case" in a for a in answers)
    with world.db.read() as session:
        assert len(session.exec(select(Report)).all()) == 20
        assert world.core.audit.verify(session).ok


def statements(db: Database) -> list[str]:
    """The SQL the engine sends from now on, each statement's first word or two."""
    seen: list[str] = []

    def sent(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(" ".join(statement.split()[:2]).upper())

    event.listen(db.engine, "before_cursor_execute", sent)
    return seen


def test_a_unit_alone_in_its_batch_runs_without_a_savepoint(sqlite_database):
    # Given one unit of work at a time
    db = sqlite_database
    sent = statements(db)
    with db.write() as session:
        session.add(InboundEvent(id="alone"))
    # Then it wrote its row straight in the batch's transaction: no SAVEPOINT, no RELEASE
    assert row_ids(db) == {"alone"}
    assert not [s for s in sent if "SAVEPOINT" in s]
    # while units that join a batch after its first still run in one of their own
    sent.clear()
    assert in_one_batch(db, [nothing] * 3) == [None] * 3
    assert sum(s.startswith("SAVEPOINT") for s in sent) == 2


def test_a_first_unit_that_fails_keeps_nothing_and_the_units_queued_behind_it_commit(
        sqlite_database):
    # Given a batch whose first unit fails after it wrote its row, two more queued behind it
    db = sqlite_database
    outcomes = in_one_batch(db, [fails, nothing, nothing])
    # Then its caller gets its own error, its row is gone, and the others are kept
    assert isinstance(outcomes[0], ValueError)
    assert outcomes[1:] == [None, None]
    assert row_ids(db) == {"unit-1", "unit-2"}
    # And the writer is free again
    with db.write() as session:
        session.add(InboundEvent(id="after"))
    assert row_ids(db) == {"unit-1", "unit-2", "after"}
