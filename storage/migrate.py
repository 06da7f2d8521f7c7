"""Schema migrations (Alembic), applied with `candor db upgrade` and at `candor init`; and the
check every start makes (`current_revision`, `head_revision`) without importing Alembic: the
database's `alembic_version` row against the head read from the scripts' `revision = ...` lines.

A migration that moves data into sealed rows (0009: platform ids and conversation references)
needs the master keyring: the caller passes a way to load it, asked for only when there are rows
to seal. What such a migration sealed is written to the audit log, counts only, in the same
transaction; on SQLite the WAL is then checkpointed, so the plain rows' old pages go with it.
"""

from __future__ import annotations

import ast
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, inspect, text
from sqlmodel import Session

from storage.audit import LOCK_APART, AuditLog
from storage.db import Database
from storage.keyring import Keyring
from storage.vocabulary import AuditAction, RecordKind

if TYPE_CHECKING:  # Alembic (and Mako) only to migrate: a start checks the schema without it
    from alembic.config import Config

_SCRIPTS = Path(__file__).parent / "migrations"
_VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    return config


class _Once:
    """The caller's keyring loader, called at most once."""

    def __init__(self, load: Callable[[], Keyring]) -> None:
        self._load = load
        self.keyring: Keyring | None = None

    def __call__(self) -> Keyring:
        if self.keyring is None:
            self.keyring = self._load()
        return self.keyring


def _run(db: Database, step: Callable[[Config], None], keyring: Callable[[], Keyring] | None,
         audit_action: AuditAction) -> None:
    once = _Once(keyring) if keyring is not None else None
    sealed: dict[str, Any] = {}
    with db.engine.begin() as connection:
        config = _config()
        config.attributes.update(connection=connection, keyring=once, sealed=sealed)
        step(config)
        if sealed and once is not None and once.keyring is not None:
            _audit(connection, once.keyring, audit_action, sealed)
    if sealed and db.is_sqlite:
        _checkpoint(db)


def upgrade(db: Database, revision: str = "head", *,
            keyring: Callable[[], Keyring] | None = None) -> None:
    from alembic import command

    _run(db, lambda config: command.upgrade(config, revision), keyring,
         AuditAction.SCHEMA_ROWS_SEALED)


@contextmanager
def migrated(url: str) -> Iterator[Database]:
    """The database at `url`, brought to the newest schema, disposed of when the block ends (the
    tests' and the benchmark's fresh databases)."""
    db = Database.from_url(url)
    try:
        upgrade(db)
        yield db
    finally:
        db.dispose()


def downgrade(db: Database, revision: str, *, keyring: Callable[[], Keyring] | None = None) -> None:
    """For developers and tests: back to an earlier revision (sealed rows are opened with the
    key)."""
    from alembic import command

    _run(db, lambda config: command.downgrade(config, revision), keyring,
         AuditAction.SCHEMA_ROWS_OPENED)


def _audit(connection: Connection, keyring: Keyring, action: AuditAction,
           counts: dict[str, Any]) -> None:
    # In the migration's own transaction: the rows moved and their record commit together.
    # A step may stop below 0021, which adds the function reading the chain's head under its lock.
    with Session(bind=connection, info={LOCK_APART: True}) as session:
        AuditLog(lambda: keyring).db_append(
            session, actor="system", action=action, record_kind=RecordKind.SCHEMA, record_id="-",
            detail={name: int(count) for name, count in sorted(counts.items())})


def _checkpoint(db: Database) -> None:
    """Move the WAL into the database file and empty it (outside a transaction): pages of rows
    just dropped, kept in the WAL by earlier writes, go. A busy reader leaves it for SQLite's
    next checkpoint."""
    connection = sqlite3.connect(str(db.engine.url.database), isolation_level=None)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        connection.close()


def current_revision(db: Database) -> str | None:
    """The revision the database is at (None: never migrated), as Alembic records it."""
    with db.engine.connect() as connection:
        if not inspect(connection).has_table(_VERSION_TABLE):
            return None
        rows = connection.execute(text(f"SELECT version_num FROM {_VERSION_TABLE}")).all()
    if len(rows) > 1:  # Alembic refuses a database at two heads; so does every start
        raise RuntimeError(f"the database is at {len(rows)} schema revisions at once")
    return str(rows[0][0]) if rows else None


# A script's own lines, as Alembic's template writes them: `revision = '0019'` and
# `down_revision = '0018'` (None for the first).
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


@cache
def head_revision() -> str | None:
    """The newest revision of the scripts (None: there are none), read from their
    `revision`/`down_revision` lines; tests/integration/test_migrations.py checks that it is
    Alembic's head."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in sorted((_SCRIPTS / "versions").glob("*.py")):
        found = {match[1]: match[2] for match in _ASSIGNMENT.finditer(script.read_text("utf-8"))}
        if "revision" not in found:
            continue
        revisions.add(str(ast.literal_eval(found["revision"])))
        parent = ast.literal_eval(found.get("down_revision", "None"))
        parents.update([parent] if isinstance(parent, str) else parent or ())
    heads = revisions - parents
    if len(heads) > 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop() if heads else None


def revision(db: Database, message: str) -> None:
    """For developers: autogenerate a new revision from the models."""
    from alembic import command

    with db.engine.begin() as connection:
        config = _config()
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
