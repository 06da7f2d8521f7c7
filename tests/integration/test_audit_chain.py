"""The audit chain on SQLite and PostgreSQL: an untouched log verifies; someone with write access
to the table who edits, deletes, inserts or reorders rows is caught at the row `verify` names."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select

from storage.audit import GENESIS, AuditLog, VerifyResult, parse_anchor
from storage.db import Database
from storage.models import AuditEvent

ROWS = 5


@pytest.fixture
def chain(database: Database, audit: AuditLog) -> Database:
    """A log of five events, one unit of work each, as the product writes them."""
    for n in range(1, ROWS + 1):
        with database.write() as session:
            audit.db_append(session, actor=str(n), action="report.acknowledged",
                            record_kind="report", record_id=f"r{n}", detail={"status": "acknowledged"})
    return database


def verify(database: Database, audit: AuditLog) -> VerifyResult:
    with database.read() as session:
        return audit.verify(session)


def tamper(database: Database, sql: str, **params: object) -> None:
    """A direct SQL change, outside Candor's code, as an intruder with database access makes it."""
    with database.engine.begin() as connection:
        connection.execute(text(sql), params)


def row(session: Session, seq: int) -> AuditEvent:
    return session.exec(select(AuditEvent).where(AuditEvent.seq == seq)).one()


def test_an_untouched_chain_verifies(chain: Database, audit: AuditLog) -> None:
    result = verify(chain, audit)
    assert result == VerifyResult(ok=True, checked=ROWS)
    with chain.read() as session:
        first = row(session, 1)
        assert first.prev_hash == GENESIS
        seqs = list(session.exec(select(AuditEvent.seq).order_by(col(AuditEvent.seq))).all())
        assert seqs == list(range(1, ROWS + 1))


def test_an_empty_chain_verifies(database: Database, audit: AuditLog) -> None:
    assert verify(database, audit) == VerifyResult(ok=True, checked=0)


@pytest.mark.parametrize(
    ("column", "value"),
    [("actor", "999"), ("action", "report.opened"), ("record_id", "r-other"),
     ("detail", '{"status":"closed"}'), ("hash", "f" * 64)],
)
def test_an_edited_row_is_named(chain: Database, audit: AuditLog, column: str, value: str) -> None:
    tamper(chain, f"UPDATE auditevent SET {column} = :value WHERE seq = 3", value=value)
    result = verify(chain, audit)
    assert not result.ok
    assert result.broken_seq == 3
    assert result.checked == 2


def test_an_edited_time_is_named(chain: Database, audit: AuditLog) -> None:
    with chain.read() as session:
        moved = row(session, 2).at.replace(year=2001)
    with chain.write() as session:
        edited = row(session, 2)
        edited.at = moved
        session.add(edited)
    result = verify(chain, audit)
    assert (result.ok, result.broken_seq, result.reason) == (False, 2, "row 2 was altered")


def test_a_deleted_middle_row_is_named(chain: Database, audit: AuditLog) -> None:
    tamper(chain, "DELETE FROM auditevent WHERE seq = 3")
    result = verify(chain, audit)
    assert (result.ok, result.broken_seq) == (False, 3)
    assert "missing" in result.reason


def test_a_deleted_first_row_is_named(chain: Database, audit: AuditLog) -> None:
    tamper(chain, "DELETE FROM auditevent WHERE seq = 1")
    assert verify(chain, audit).broken_seq == 1


def test_deleted_newest_rows_are_found_with_a_recorded_anchor(chain: Database, audit: AuditLog) -> None:
    # Given the head printed by an earlier verify, kept outside the database
    head = verify(chain, audit).head
    assert head.startswith(f"{ROWS}:")
    # When the newest row is deleted
    tamper(chain, "DELETE FROM auditevent WHERE seq = :seq", seq=ROWS)
    # Then the chain alone still holds, but not against the anchor
    assert verify(chain, audit).ok
    with chain.read() as session:
        result = audit.verify(session, anchor=parse_anchor(head))
    assert (result.ok, result.broken_seq) == (False, ROWS)
    assert "newest rows were deleted" in result.reason


def test_an_anchor_that_was_rewritten_is_named(chain: Database, audit: AuditLog) -> None:
    seq, digest = parse_anchor(verify(chain, audit).head)
    with chain.read() as session:
        result = audit.verify(session, anchor=(seq, "b" * 64))
    assert (result.ok, result.broken_seq) == (False, seq)


def test_a_deleted_and_renumbered_row_is_named(chain: Database, audit: AuditLog) -> None:
    # Given an intruder who deletes row 3 and closes the gap by renumbering the rows after it
    tamper(chain, "DELETE FROM auditevent WHERE seq = 3")
    for seq in (4, 5):
        tamper(chain, "UPDATE auditevent SET seq = :new WHERE seq = :old", new=seq - 1, old=seq)
    # Then the row now numbered 3 does not follow row 2
    result = verify(chain, audit)
    assert (result.ok, result.broken_seq) == (False, 3)


def forged_values(session: Session, *, seq: int, prev_hash: str) -> dict[str, object]:
    template = row(session, 1)
    return {
        "seq": seq, "at": template.at, "actor": "7", "action": "report.closed",
        "record_kind": "report", "record_id": "r-forged", "detail": "{}",
        "prev_hash": prev_hash, "hash": "a" * 64,
    }


INSERT = (
    "INSERT INTO auditevent (seq, at, actor, action, record_kind, record_id, detail, prev_hash, hash) "
    "VALUES (:seq, :at, :actor, :action, :record_kind, :record_id, :detail, :prev_hash, :hash)"
)


def test_a_forged_row_appended_at_the_end_is_named(chain: Database, audit: AuditLog) -> None:
    # The intruder links the forged row to the real last one but cannot compute its keyed hash
    with chain.write() as session:
        values = forged_values(session, seq=ROWS + 1, prev_hash=row(session, ROWS).hash)
        session.execute(text(INSERT), values)
    result = verify(chain, audit)
    assert (result.ok, result.broken_seq, result.checked) == (False, ROWS + 1, ROWS)


def test_a_forged_row_inserted_in_the_middle_is_named(chain: Database, audit: AuditLog) -> None:
    # Given an intruder who makes room after row 2 and inserts a row linked to it
    for seq in range(ROWS, 2, -1):
        tamper(chain, "UPDATE auditevent SET seq = :new WHERE seq = :old", new=seq + 1, old=seq)
    with chain.write() as session:
        session.execute(text(INSERT), forged_values(session, seq=3, prev_hash=row(session, 2).hash))
    # Then the forged row is the one named
    result = verify(chain, audit)
    assert (result.ok, result.broken_seq) == (False, 3)


def test_a_row_copied_from_elsewhere_in_the_chain_is_named(chain: Database, audit: AuditLog) -> None:
    # A replayed genuine row (its own hash is valid) appended after the last one
    with chain.write() as session:
        copy = row(session, 2)
        values = {c: getattr(copy, c) for c in
                  ("at", "actor", "action", "record_kind", "record_id", "detail", "prev_hash")}
        session.execute(text(INSERT), {**values, "seq": ROWS + 1, "hash": "b" * 64})
    result = verify(chain, audit)
    assert (result.ok, result.broken_seq) == (False, ROWS + 1)
    assert "inserted or reordered" in result.reason


def test_two_rows_swapped_by_seq_are_named(chain: Database, audit: AuditLog) -> None:
    # Given rows 2 and 4 trading places (their numbers swapped, through a free number)
    tamper(chain, "UPDATE auditevent SET seq = 0 WHERE seq = 2")
    tamper(chain, "UPDATE auditevent SET seq = 2 WHERE seq = 4")
    tamper(chain, "UPDATE auditevent SET seq = 4 WHERE seq = 0")
    # Then the first row out of place is named
    result = verify(chain, audit)
    assert (result.ok, result.broken_seq) == (False, 2)
    assert "inserted or reordered" in result.reason


def test_two_rows_swapped_by_content_are_named(chain: Database, audit: AuditLog) -> None:
    # Given rows 3 and 4 exchanging every column but their numbers
    columns = ("at", "actor", "action", "record_kind", "record_id", "detail", "prev_hash", "hash")
    with chain.read() as session:
        third, fourth = ({c: getattr(row(session, s), c) for c in columns} for s in (3, 4))
    # (hashes are unique: park one first)
    tamper(chain, "UPDATE auditevent SET hash = 'parked' WHERE seq = 3")
    assignments = ", ".join(f"{c} = :{c}" for c in columns)
    tamper(chain, f"UPDATE auditevent SET {assignments} WHERE seq = 4", **third)
    tamper(chain, f"UPDATE auditevent SET {assignments} WHERE seq = 3", **fourth)
    result = verify(chain, audit)
    assert (result.ok, result.broken_seq) == (False, 3)


def test_a_chain_under_another_key_does_not_verify(chain: Database) -> None:
    result = verify(chain, AuditLog(b"\x00" * 32))
    assert (result.ok, result.broken_seq) == (False, 1)


def test_concurrent_appends_keep_the_chain(database: Database, audit: AuditLog) -> None:
    # Given several writers, each appending in its own unit of work at the same moment
    threads, per_thread = 6, 8
    start = threading.Barrier(threads)
    failures: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                with database.write() as session:
                    audit.db_append(session, actor=str(n), action="test.appended",
                                    record_kind="test", record_id=f"{n}-{i}")
        except BaseException as exc:  # noqa: BLE001  handed to the main thread and re-raised
            failures.append(exc)

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    # Then every append landed, once, in one unbroken chain
    assert not failures, failures
    assert verify(database, audit) == VerifyResult(ok=True, checked=threads * per_thread)
    with database.read() as session:
        ids = session.exec(select(AuditEvent.record_id)).all()
    assert sorted(ids) == sorted(f"{n}-{i}" for n in range(threads) for i in range(per_thread))
