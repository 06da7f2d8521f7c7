"""A new reporter's secret is hashed (scrypt, slow by design) outside the unit of work: while it
runs, another writer can take SQLite's write lock at once, so twenty officers filing at once are
not queued behind one anonymous report's hash (bot/fresh_secret.py). The secret given still
opens the case, and exactly one report is filed."""

from __future__ import annotations

import sqlite3

from sqlmodel import select

from storage.crypto import Vault
from storage.models import Report
from tests.integration.test_status_checks import anonymous_case, status
from tests.support.world import build_world


def test_a_new_secret_is_hashed_while_no_transaction_is_held(vault, monkeypatch,
                                                              sqlite_database):
    world = build_world(sqlite_database, vault)
    path = str(sqlite_database.engine.url.database)
    writable: list[bool] = []
    real = Vault.hash_secret

    def hash_while_someone_writes(self: Vault, secret: str) -> str:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            writable.append(True)
        except sqlite3.OperationalError:
            writable.append(False)
        finally:
            other.close()
        return real(self, secret)

    monkeypatch.setattr(Vault, "hash_secret", hash_while_someone_writes)
    code, secret = anonymous_case(world)
    assert writable == [True]
    assert f"Case {code}" in status(world, "cfo", f"{code} {secret}")
    with world.db.read() as session:
        assert len(session.exec(select(Report)).all()) == 1
