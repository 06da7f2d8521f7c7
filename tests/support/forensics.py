"""What an adversary without the key can read of Candor's store, as plain records: every table's
rows, and the order in which transactions wrote them.

- SQLite: the rows of every table (with their rowids), and the WAL's frames replayed in order: each
  commit is one transaction, and the table pages it wrote, decoded (SQLite's b-tree leaf pages and
  record format), say which rows it inserted, changed or deleted. Deleted rows (a draft, a pending
  row) are found there too, though the final tables no longer hold them.
- PostgreSQL: the rows of every table with their `xmin` (the transaction that wrote them) and
  `ctid`, a `pg_dump` of the schema, and, when the server's WAL can be read and `pg_waldump` is
  installed, each transaction's commit time and the tuples it inserted and deleted.

Nothing here opens a sealed value: a sealed column is an opaque blob whose row, order and
transaction are all the adversary learns of it."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import struct
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

_WAL_MAGIC = {0x377F0682, 0x377F0683}
_LEAF_TABLE = 13


@dataclass
class Row:
    table: str
    key: str  # the rowid (SQLite) or the ctid (PostgreSQL): where the row sits
    values: dict[str, Any]  # column -> plain value (a sealed column: its bytes, opaque)
    # For a row deleted or changed: the order of the transaction that inserted it, when known.
    origin: int | None = None
    changed: set[str] | None = None  # for a changed row: the columns that changed, when known


@dataclass
class Txn:
    """One committed transaction, in write order (`order`), with its commit time when the store
    records one (PostgreSQL's WAL does; SQLite's does not)."""

    order: int
    committed_at: float | None = None
    inserted: list[Row] = field(default_factory=list)
    updated: list[Row] = field(default_factory=list)
    deleted: list[Row] = field(default_factory=list)
    tables: set[str] = field(default_factory=set)  # every table it wrote a page or tuple of

    def rows(self) -> list[Row]:
        return self.inserted + self.updated + self.deleted


@dataclass
class Store:
    """The database as the adversary has it."""

    backend: str
    tables: dict[str, list[Row]]
    txns: list[Txn]  # in write order; empty when the write order could not be read
    raw: dict[str, bytes]  # the files (database, WAL) or the dump, for byte searches
    notes: list[str] = field(default_factory=list)  # what could not be read, said plainly


# --- SQLite ------------------------------------------------------------------------------------


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = 0
    for i in range(9):
        byte = data[at + i]
        if i == 8:
            return (value << 8) | byte, at + 9
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, at + i + 1
    raise AssertionError("unreachable")


def _record(payload: bytes) -> list[Any]:
    """SQLite's record format: a header of serial types, then the values (a value cut off by an
    overflow page is kept as far as it is on the page)."""
    size, at = _varint(payload, 0)
    types = []
    while at < size:
        kind, at = _varint(payload, at)
        types.append(kind)
    values: list[Any] = []
    at = size
    widths = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}
    for kind in types:
        if kind == 0:
            values.append(None)
        elif kind in widths:
            values.append(int.from_bytes(payload[at:at + widths[kind]], "big", signed=True))
            at += widths[kind]
        elif kind == 7:
            values.append(struct.unpack(">d", payload[at:at + 8])[0])
            at += 8
        elif kind in (8, 9):
            values.append(kind - 8)
        else:
            length = (kind - 12) // 2
            chunk = payload[at:at + length]
            values.append(chunk.decode("utf-8", "replace") if kind % 2 else bytes(chunk))
            at += length
    return values


def _leaf_rows(page: bytes, page_no: int, usable: int) -> dict[int, bytes] | None:
    """A table b-tree leaf page's rows: rowid -> the record's bytes on the page; None for any
    other kind of page."""
    base = 100 if page_no == 1 else 0
    if page[base] != _LEAF_TABLE:
        return None
    cells = struct.unpack(">H", page[base + 3:base + 5])[0]
    rows: dict[int, bytes] = {}
    for i in range(cells):
        at = struct.unpack(">H", page[base + 8 + 2 * i:base + 10 + 2 * i])[0]
        size, at = _varint(page, at)
        rowid, at = _varint(page, at)
        most = usable - 35
        if size > most:  # the rest is on overflow pages: the local part is enough to read the header
            least = (usable - 12) * 32 // 255 - 23
            local = least + (size - least) % (usable - 4)
            size = local if local <= most else least
        rows[rowid] = page[at:at + size]
    return rows


def _columns(connection: sqlite3.Connection, table: str) -> tuple[list[str], str | None]:
    info = connection.execute(f'PRAGMA table_info("{table}")').fetchall()
    integer_key = [c[1] for c in info if c[5] and c[2].upper() == "INTEGER"]
    return [c[1] for c in info], integer_key[0] if len(integer_key) == 1 else None


def sqlite_store(database: Path, wal: bytes) -> Store:
    """The SQLite file and its WAL (as copied while the server ran): every table's rows, and each
    transaction the WAL holds, replayed frame by frame against the file."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "copy.db"
        shutil.copy(database, copy)
        (Path(scratch) / "copy.db-wal").write_bytes(wal)
        connection = sqlite3.connect(copy)
        try:
            owner = dict(connection.execute("SELECT name, tbl_name FROM sqlite_master").fetchall())
            page_table = {no: owner.get(name, name) for name, no in connection.execute("SELECT name, pageno FROM dbstat")}
            names = [n for (n,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            columns = {name: _columns(connection, name) for name in names}
            tables: dict[str, list[Row]] = {}
            for name in names:
                cols, _ = columns[name]
                cursor = connection.execute(f'SELECT rowid, * FROM "{name}" ORDER BY rowid')
                tables[name] = [Row(name, str(r[0]), dict(zip(cols, r[1:], strict=True))) for r in cursor]
        finally:
            connection.close()
    base = database.read_bytes()
    txns, notes = _replay(base, wal, page_table, columns)
    return Store("sqlite", tables, txns, {"database": base, "wal": wal}, notes)


def _decode(table: str, rowid: int, record: bytes, columns: dict[str, tuple[list[str], str | None]]) -> Row:
    cols, integer_key = columns.get(table, ([], None))
    try:
        values = _record(record)
    except (IndexError, struct.error):
        values = []
    named = dict(zip(cols, values, strict=False)) if cols else {str(i): v for i, v in enumerate(values)}
    if integer_key is not None:
        named[integer_key] = rowid
    return Row(table, str(rowid), named)


def _replay(base: bytes, wal: bytes, page_table: dict[int, str],
            columns: dict[str, tuple[list[str], str | None]]) -> tuple[list[Txn], list[str]]:
    """Each committed transaction in the WAL, as rows inserted, updated and deleted per table.
    The frames of every generation (salt) the file still holds are read, oldest first: a
    checkpoint's restart overwrites the start of the file but not what lies beyond."""
    notes: list[str] = []
    if len(wal) < 32 or struct.unpack(">I", wal[:4])[0] not in _WAL_MAGIC:
        return [], ["no WAL frames"]
    page_size = struct.unpack(">I", wal[8:12])[0]
    frames: list[tuple[int, int, int, int, bytes]] = []  # (salt1, index, page, commit size, data)
    at, index = 32, 0
    while at + 24 + page_size <= len(wal):
        page_no, commit, salt1, _salt2 = struct.unpack(">IIII", wal[at:at + 16])
        frames.append((salt1, index, page_no, commit, wal[at + 24:at + 24 + page_size]))
        at += 24 + page_size
        index += 1
    frames.sort(key=lambda f: (f[0], f[1]))  # a restart after a checkpoint takes the next salt
    # The state before the WAL: the database file's own pages.
    state: dict[str, dict[int, tuple[int, bytes]]] = {}  # table -> rowid -> (page, record)
    for page_no, table in page_table.items():
        page = base[(page_no - 1) * page_size:page_no * page_size]
        try:
            rows = _leaf_rows(page, page_no, page_size) if len(page) == page_size else None
        except (IndexError, struct.error):
            rows = None
        for rowid, record in (rows or {}).items():
            state.setdefault(table, {})[rowid] = (page_no, record)
    txns: list[Txn] = []
    inserted_by: dict[tuple[str, int], int] = {}
    pending: list[tuple[int, bytes]] = []
    for _salt, _index, page_no, commit, data in frames:
        pending.append((page_no, data))
        if not commit:
            continue
        txn = Txn(order=len(txns))
        before = {t: dict(rows) for t, rows in state.items()}
        for written, page in pending:
            table = page_table.get(written, f"page{written}")
            txn.tables.add(table)
            try:
                rows = _leaf_rows(page, written, page_size)
            except (IndexError, struct.error):  # a frame still being written when the file was copied
                rows = None
            if rows is None:
                continue
            current = state.setdefault(table, {})
            for rowid in [r for r, (p, _rec) in current.items() if p == written]:
                del current[rowid]
            current.update({rowid: (written, record) for rowid, record in rows.items()})
        for table in txn.tables:
            old, new = before.get(table, {}), state.get(table, {})
            for rowid in new.keys() - old.keys():
                txn.inserted.append(_decode(table, rowid, new[rowid][1], columns))
                inserted_by[(table, rowid)] = txn.order
            for rowid in old.keys() - new.keys():
                gone = _decode(table, rowid, old[rowid][1], columns)
                gone.origin = inserted_by.get((table, rowid))
                txn.deleted.append(gone)
            for rowid in old.keys() & new.keys():
                if old[rowid][1] != new[rowid][1]:
                    changed = _decode(table, rowid, new[rowid][1], columns)
                    was = _decode(table, rowid, old[rowid][1], columns).values
                    changed.origin = inserted_by.get((table, rowid))
                    changed.changed = {c for c, v in changed.values.items() if was.get(c) != v}
                    txn.updated.append(changed)
        txns.append(txn)
        pending = []
    return txns, notes


# --- PostgreSQL --------------------------------------------------------------------------------


def postgres_lsn(url: str) -> str:
    """Where the server's WAL is now (taken before the day, to read it from there)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SELECT pg_current_wal_lsn()")).scalar())
    finally:
        engine.dispose()


def postgres_store(url: str, schema: str, *, since_lsn: str, dump: str) -> Store:
    """Every table of `schema` with each row's xmin and ctid, the dump, and (when the WAL can be
    read) each transaction's commit time and the tuples it inserted and deleted."""
    engine = create_engine(url)
    notes: list[str] = []
    try:
        with engine.connect() as connection:
            names = connection.execute(text(
                "SELECT c.relname, c.relfilenode FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :schema AND c.relkind IN ('r', 'i')"), {"schema": schema}).all()
            relations = {int(node): name for name, node in names}
            base_tables = [n for (n,) in connection.execute(text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = :schema "
                "AND table_type = 'BASE TABLE'"), {"schema": schema}).all()]
            index_of = dict(connection.execute(text(
                "SELECT i.relname, t.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                "JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
                "WHERE n.nspname = :schema"), {"schema": schema}).all())
            relations = {node: index_of.get(name, name) for node, name in relations.items()}
            tables: dict[str, list[Row]] = {}
            xmins: dict[int, list[Row]] = {}
            for name in base_tables:
                result = connection.execute(text(
                    f'SELECT xmin::text AS row_xmin, ctid::text AS row_ctid, * FROM "{schema}"."{name}" ORDER BY ctid'))
                keys = list(result.keys())
                tables[name] = []
                for record in result:
                    values = dict(zip(keys[2:], record[2:], strict=True))
                    row = Row(name, str(record[1]), {k: bytes(v) if isinstance(v, memoryview) else v
                                                     for k, v in values.items()})
                    tables[name].append(row)
                    xmins.setdefault(int(record[0]), []).append(row)
            data_directory = connection.execute(text("SHOW data_directory")).scalar()
            version = int(connection.execute(text("SHOW server_version_num")).scalar() or 0) // 10000
            until = str(connection.execute(text("SELECT pg_current_wal_lsn()")).scalar())
            records, why = _waldump(connection, str(data_directory), version, since_lsn, until)
    finally:
        engine.dispose()
    if why:
        notes.append(why)
    txns = _postgres_txns(xmins, records, relations)
    return Store("postgresql", tables, txns, {"pg_dump": dump.encode()}, notes)


@dataclass
class _WalRecord:
    xid: int
    op: str  # INSERT, DELETE, UPDATE, HOT_UPDATE, COMMIT, ...
    relation: int | None
    block: int | None  # the tuple's block (an update's new tuple)
    offset: int | None  # its offset (an update's old tuple)
    committed_at: float | None
    old_block: int | None = None  # an update: the old tuple's block
    new_offset: int | None = None  # an update: the new tuple's offset


_RECORD = re.compile(r"tx:\s+(\d+), lsn: \S+, prev \S+, desc: (\S+)(.*)")
_BLOCK = re.compile(r"blkref #0: rel \d+/\d+/(\d+)(?: fork \w+)? blk (\d+)")
_OLD_BLOCK = re.compile(r"blkref #1: rel \d+/\d+/\d+(?: fork \w+)? blk (\d+)")


def _waldump(connection: Any, data_directory: str, version: int, since: str,
             until: str) -> tuple[list[_WalRecord], str | None]:
    """pg_waldump's records between two LSNs; the WAL is read in place, or copied out through
    the server (a superuser's pg_read_binary_file) when its directory is not readable here."""
    tool = shutil.which("pg_waldump") or f"/usr/lib/postgresql/{version}/bin/pg_waldump"
    if not os.access(tool, os.X_OK):
        return [], "pg_waldump is not installed here: the WAL's commit times and deleted tuples were not read"
    wal_dir = Path(data_directory) / "pg_wal"
    scratch = None
    if not os.access(wal_dir, os.R_OK):
        try:
            files = [f for (f,) in connection.execute(text(
                "SELECT name FROM pg_ls_waldir() WHERE name >= pg_walfile_name(CAST(:since AS pg_lsn)) "
                "AND name <= pg_walfile_name(CAST(:until AS pg_lsn)) ORDER BY name"), {"since": since, "until": until})]
            scratch = tempfile.mkdtemp()
            for name in files:
                data = connection.execute(text("SELECT pg_read_binary_file('pg_wal/' || :name)"), {"name": name}).scalar()
                (Path(scratch) / name).write_bytes(bytes(data))
            wal_dir = Path(scratch)
        except Exception as exc:  # noqa: BLE001  any refusal: the WAL is out of reach, and said so
            return [], f"the server's WAL could not be read ({type(exc).__name__}): commit times and deleted tuples were not read"
    try:
        done = subprocess.run([tool, "-p", str(wal_dir), "-s", since, "-e", until], capture_output=True, text=True,
                              timeout=120, check=False)
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    records = []
    for line in done.stdout.splitlines():
        found = _RECORD.search(line)
        if not found:
            continue
        xid, op, rest = int(found[1]), found[2], found[3]
        block = _BLOCK.search(rest)
        offset = re.search(r"off[: ](\d+)", rest)
        committed = None
        if op == "COMMIT":
            stamp = re.search(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?)", rest)
            if stamp:
                committed = datetime.fromisoformat(stamp[1]).replace(tzinfo=UTC).timestamp()
        old_block, new_offset = _OLD_BLOCK.search(rest), re.search(r"new off (\d+)", rest)
        records.append(_WalRecord(xid, op, int(block[1]) if block else None, int(block[2]) if block else None,
                                  int(offset[1]) if offset else None, committed,
                                  int(old_block[1]) if old_block else (int(block[2]) if block else None),
                                  int(new_offset[1]) if new_offset else None))
    if not records:
        return [], f"pg_waldump read nothing ({done.stderr.strip()[:200]})"
    return records, None


def _postgres_txns(xmins: dict[int, list[Row]], records: list[_WalRecord], relations: dict[int, str]) -> list[Txn]:
    """Transactions in commit order (from the WAL) or, without it, in xid order; each with the rows
    it last wrote (its xmin) and, from the WAL, the tuples it deleted or changed (their inserting
    transaction found by the tuple's place)."""
    mine = [r for r in records if r.relation in relations or r.op == "COMMIT"]
    touched = {r.xid for r in mine if r.relation in relations}
    commits = {r.xid: r.committed_at for r in records if r.op == "COMMIT" and r.xid in touched | set(xmins)}
    order = [xid for xid in commits] if commits else sorted(xmins)
    order += [xid for xid in sorted(xmins) if xid not in commits and commits]
    by_xid: dict[int, Txn] = {}
    for xid in order:
        txn = by_xid[xid] = Txn(order=len(by_xid), committed_at=commits.get(xid))
        txn.inserted = list(xmins.get(xid, []))
        txn.tables = {r.table for r in txn.inserted}
    inserted_at: dict[tuple[int, int, int], int] = {}
    for record in mine:
        if record.relation is None or record.xid not in by_xid:
            continue
        txn = by_xid[record.xid]
        table = relations[record.relation]
        txn.tables.add(table)
        place = (record.relation, record.block or 0, record.offset or 0)
        if record.op in ("INSERT", "INSERT+INIT"):
            inserted_at[place] = record.xid
        elif record.op == "DELETE":
            origin = inserted_at.get(place)
            txn.deleted.append(Row(table, f"({record.block},{record.offset})", {},
                                   origin=by_xid[origin].order if origin in by_xid else None))
        elif record.op in ("UPDATE", "HOT_UPDATE"):  # the old tuple's place; the row lives on at the new one
            origin = inserted_at.get((record.relation, record.old_block or 0, record.offset or 0))
            txn.updated.append(Row(table, f"({record.old_block},{record.offset})", {},
                                   origin=by_xid[origin].order if origin in by_xid else None))
            if origin is not None:
                inserted_at[(record.relation, record.block or 0, record.new_offset or 0)] = origin
    return list(by_xid.values())
