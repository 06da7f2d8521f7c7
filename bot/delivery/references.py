"""Where a platform reaches a conversation proactively: the references an adapter stores, each
read or write in a short unit of work of its own.

A reference (the adapter's JSON object) and its name are the adapter's; the rows, sealed and found
by a keyed tag of the name, are `storage.references`'. Its day is the only time kept.
"""

from __future__ import annotations

from typing import Any

from storage import references
from storage.clock import start_of_day, utcnow
from storage.crypto import Vault
from storage.db import Database


def save(db: Database, vault: Vault, *, name: str, kind: str, reference: dict[str, Any]) -> bool:
    """Store a reference under its name (unless the one stored is the same), dated today."""
    with db.write() as session:
        return references.db_save(session, vault, name=name, kind=kind, reference=reference,
                                   day=start_of_day(utcnow()))


def load(db: Database, vault: Vault, name: str) -> dict[str, Any] | None:
    with db.read() as session:
        return references.db_load(session, vault, name)


def latest(db: Database, vault: Vault, kind: str | None = None) -> dict[str, Any] | None:
    """The reference changed last, of a kind or of any."""
    with db.read() as session:
        return references.db_latest(session, vault, kind)
