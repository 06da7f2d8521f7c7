"""Running servers' reports of the master key versions they hold (the `keyholder` table).

A server writes its report at start, after every keyring reload and at each heartbeat, with the
time until which it stands (`live_until`); it removes it when it stops. A report past that time is
a server that died or lost the database: it is ignored, and that server re-reads the key file
before it wraps anything again (see `storage.crypto.Vault.refresh`).

`candor keys rotate` waits until every live server holds a new version before anything is
wrapped under it; `candor keys retire` refuses a version a live server still wraps under.
`candor keys rotate --index-key` waits the same way on the index keys a report names (by
fingerprint).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from storage.clock import as_utc
from storage.keyring import Keyring
from storage.models import KeyHolder

ENVIRONMENT = "environment"  # the keyring came from CANDOR_MASTER_KEY
FILE = "file"


@dataclass(frozen=True)
class Holder:
    server: str
    process: str
    source: str
    versions: frozenset[int]
    wrapping: int
    seen_at: datetime
    index_keys: tuple[str, ...] = ()  # fingerprints, the one it tags under first

    @property
    def versions_text(self) -> str:
        return ", ".join(f"v{v}" for v in sorted(self.versions))


def db_report(session: Session, *, server: str, process: str, source: str, keyring: Keyring,
              started_at: datetime, now: datetime, live_for: timedelta) -> None:
    """Write (or renew) this server's report of the keyring it holds."""
    row = session.get(KeyHolder, server)
    if row is None:
        row = KeyHolder(server=server, process=process, source=source, versions="", wrapping=0,
                        started_at=started_at, seen_at=now, live_until=now)
    row.versions = ",".join(str(v) for v in sorted(keyring.versions))
    row.wrapping = keyring.current
    row.index_keys = ",".join(keyring.index_fingerprints)
    row.source = source
    row.seen_at, row.live_until = now, now + live_for
    session.add(row)


def db_forget(session: Session, *, server: str) -> None:
    """A server that stops takes its report with it."""
    session.exec(delete(KeyHolder).where(col(KeyHolder.server) == server))


def db_live(session: Session, *, now: datetime) -> list[Holder]:
    """The reports of the servers running now (oldest start first)."""
    rows = session.exec(select(KeyHolder).where(col(KeyHolder.live_until) > now)
                        .order_by(col(KeyHolder.started_at))).all()
    return [Holder(r.server, r.process, r.source,
                   frozenset(int(v) for v in r.versions.split(",") if v), r.wrapping,
                   as_utc(r.seen_at), tuple(f for f in r.index_keys.split(",") if f))
            for r in rows]


def not_holding(holders: list[Holder], version: int) -> list[Holder]:
    """The live servers that could not open a data key wrapped under `version`."""
    return [h for h in holders if version not in h.versions]


def not_wrapping(holders: list[Holder], version: int) -> list[Holder]:
    """The live servers that still wrap new data keys under another version than `version`."""
    return [h for h in holders if h.wrapping != version]


def not_holding_index(holders: list[Holder], fingerprint: str) -> list[Holder]:
    """The live servers whose lookups would not try the index key `fingerprint` names."""
    return [h for h in holders if fingerprint not in h.index_keys]


def not_tagging(holders: list[Holder], fingerprint: str) -> list[Holder]:
    """The live servers that still tag new rows under another index key."""
    return [h for h in holders if h.index_keys[:1] != (fingerprint,)]
