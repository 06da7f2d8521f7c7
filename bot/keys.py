"""The master keys' use cases behind `candor keys`, each in its own unit of work: the committee's
recovery escrow (a split installed and audited, what a recovery reads and records, the restore
drill), and the database's side of a rotation or a retirement (how many data keys lag, which
servers hold what, re-wrapping, re-sealing the escrow); a running server's report of the keyring
it holds, and the versions in use it must keep (`adapters/key_watch.py`).

The key file, the share files and the waiting for servers are the command line's
(`adapters/cli/keys/`). No share word, private key or keyring byte reaches an audit row: they
carry counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta

from bot.admin import ACTOR
from bot.core import Core
from storage import escrow, keyholders
from storage.audit import AuditLog
from storage.crypto import (
    Vault,
    db_any_under,
    db_count_not_under,
    db_data_keys_after,
    db_versions_in_use,
)
from storage.db import Database
from storage.keyring import Keyring, KeyringError
from storage.models import RecoveryKey
from storage.vocabulary import AuditAction, RecordKind

DRILL_BATCH = 1000  # data keys read per unit of work by the restore drill

# --- the recovery escrow ---------------------------------------------------------------------


def current_escrow(db: Database) -> RecoveryKey | None:
    """The escrow of the latest split, or None if no split was made."""
    with db.read() as session:
        return escrow.db_current(session)


def escrows(db: Database) -> tuple[RecoveryKey | None, list[RecoveryKey]]:
    """The current escrow and the ones later splits replaced (to name a replaced split's shares)."""
    with db.read() as session:
        return escrow.db_current(session), escrow.db_replaced(session)


def bound_escrow(db: Database, keyring: Keyring) -> RecoveryKey | None:
    """The escrow in force, verified under `keyring` (None: no split was made). `EscrowUnbound`
    when the database alone may have chosen its public key: nothing may be sealed to it."""
    with db.read() as session:
        return escrow.db_bound(session, keyring)


def install_escrow(db: Database, core: Core, *, keyring: Keyring, public_key: bytes, shares: int,
                   threshold: int, passphrase: bool) -> datetime | None:
    """Seal `keyring` to a new recovery key, replacing an earlier split, and audit the split (its
    counts). Returns when the split it replaced was made, if any."""
    with db.write() as session:
        earlier = escrow.db_current(session)
        row = escrow.db_install(session, keyring=keyring, public_key=public_key, shares=shares,
                                threshold=threshold, passphrase=passphrase)
        core.audit.db_append(session, actor=ACTOR, action=AuditAction.KEYS_SPLIT,
                             record_kind=RecordKind.RECOVERY_KEY,
                             record_id=str(row.id),
                             detail={"shares": shares, "threshold": threshold,
                                     "passphrase": passphrase, "replaced": earlier is not None})
        return earlier.split_at if earlier else None


def check_opens(db: Database, keyring: Keyring) -> None:
    """Raise `KeyringError` unless `keyring` opens the data keys stored (one per version in use)."""
    with db.read() as session:
        Vault(keyring).check(session)


def record_recovery(db: Database, keyring: Keyring, recovered: RecoveryKey) -> None:
    """Audit a recovery from the escrow (the audit key comes from the keyring recovered)."""
    with db.write() as session:
        AuditLog(lambda: keyring).db_append(
            session, actor=ACTOR, action=AuditAction.KEYS_RECOVERED,
            record_kind=RecordKind.RECOVERY_KEY,
            record_id=str(recovered.id), detail={"shares_used": recovered.threshold})


def open_every_data_key(db: Database, vault: Vault) -> tuple[Counter[str], Counter[str]]:
    """The restore drill: unwrap every data key with the keyring at hand, in batches; how many
    opened and how many did not, by record kind."""
    opened: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    last_id = 0
    while True:
        with db.read() as session:
            rows = db_data_keys_after(session, last_id, limit=DRILL_BATCH)
        if not rows:
            return opened, failed
        for row in rows:
            try:
                vault.unwrap(row.master_version, row.wrapped, kind=row.record_kind,
                             record_id=row.record_id)
                opened[row.record_kind] += 1
            except KeyringError:
                failed[row.record_kind] += 1
            last_id = row.id or last_id


def record_drill(db: Database, core: Core, *, opened: int, failed: int, escrow_holds: bool) -> None:
    """The drill itself is on record: when, and what it found."""
    with db.write() as session:
        core.audit.db_append(session, actor=ACTOR, action=AuditAction.KEYS_CHECKED,
                             record_kind=RecordKind.DATA_KEY,
                             record_id="*", detail={"opened": opened, "failed": failed,
                                                    "escrow": escrow_holds})


# --- rotation and retirement -------------------------------------------------------------------


def data_keys_behind(db: Database, version: int) -> int:
    """How many data keys are still wrapped under another version than `version`."""
    with db.read() as session:
        return db_count_not_under(session, version)


def wrapped_under(db: Database, version: int) -> bool:
    """Whether any data key is still wrapped under `version`."""
    with db.read() as session:
        return db_any_under(session, version)


def live_holders(db: Database, *, now: datetime) -> list[keyholders.Holder]:
    """The running servers' reports of the versions they hold and wrap under."""
    with db.read() as session:
        return keyholders.db_live(session, now=now)


def versions_in_use(db: Database) -> set[int]:
    """The master key versions data keys are wrapped under: a keyring without one of them is
    refused by a running server."""
    with db.read() as session:
        return db_versions_in_use(session)


def report_holder(db: Database, *, server: str, process: str, source: str, keyring: Keyring,
                  started_at: datetime, now: datetime, live_for: timedelta) -> None:
    """A running server's report of the keyring it holds (`storage.keyholders`), written or
    renewed."""
    with db.write() as session:
        keyholders.db_report(session, server=server, process=process, source=source,
                             keyring=keyring, started_at=started_at, now=now, live_for=live_for)


def forget_holder(db: Database, *, server: str) -> None:
    """A server that stops takes its report with it."""
    with db.write() as session:
        keyholders.db_forget(session, server=server)


def reseal(db: Database, keyring: Keyring, *, previous: Keyring | None = None) -> None:
    """Seal the committee's escrow to `keyring` (a version added or retired); the shares stay.
    `EscrowUnbound`, and nothing sealed, unless the escrow verifies under `previous` (the keyring
    it was bound under, when the index key changes) or `keyring`; it is re-bound under `keyring`."""
    with db.write() as session:
        escrow.db_reseal(session, keyring, previous=previous)


def rewrap(db: Database, keyring: Keyring, *, batch: int) -> Iterator[int]:
    """Re-wrap every data key under `keyring`'s current version, one unit of work per batch;
    yields how many each batch re-wrapped."""
    yield from Vault(keyring).rewrap_batches(db.write, batch=batch)
