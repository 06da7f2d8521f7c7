"""The database's side of an index-key rotation (`candor keys rotate --index-key`): the audit
chain handed over to the new index key's audit key, and every keyed column re-tagged under the
new index key, one short unit of work per batch, resumable (a row already under it is left).

Re-tagged, since what they are tagged from is in their sealed bodies: identities (both tags),
conversation references, named reports' reporter tags, pending reports' case-code tags; and
drafts, through the platform ids on record (a draft is only ever kept for a known one). Not
re-tagged, since what they are tagged from is stored nowhere: inbound event ids (looked up under
both index keys while the rotation lasts), form receipts and kept views, guess counters (looked
up under the current key only: they live minutes to hours, and are dropped by the sweeps).
The key file and the waiting for servers are the command line's (`adapters/cli/keys/
rotation.py`). No key byte reaches an audit row: counts only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from sqlmodel import Session, col, select

from bot import drafts
from bot.admin import ACTOR
from bot.pending import KIND as PENDING
from bot.reports import REPORT
from storage import identities, references
from storage.audit import AuditLog
from storage.crypto import ShreddedError, Vault
from storage.db import Database
from storage.keyring import Keyring
from storage.models import PendingReport, Report
from storage.vocabulary import AuditAction, RecordKind

# The labels bot.reports tags them with (`reporter_tag`, `code_tag`).
REPORTER, PENDING_CODE = "reporter", "pending-code"

# What re-tags one batch: (session, vault, last key) -> (how many re-tagged, key to go on after).
Step = Callable[[Session, Vault, str], tuple[int, str | None]]


def link_audit(db: Database, keyring: Keyring) -> bool:
    """Hand the audit chain over to the audit key of `keyring`'s staged index key (a row under
    each key, both attesting the other); False when an earlier run did."""
    with db.write() as session:
        return AuditLog(lambda: keyring).db_link(session, actor=ACTOR)


def retag(db: Database, keyring: Keyring, *, batch: int) -> Iterator[tuple[str, int]]:
    """Re-tag every keyed row under `keyring`'s index key, one unit of work per batch; yields
    (which rows, how many re-tagged) per batch."""
    vault = Vault(keyring)
    steps: dict[str, Step] = {
        "identities": lambda s, v, last: identities.db_retag_after(s, v, last, limit=batch),
        "conversation references": lambda s, v, last: references.db_retag_after(
            s, v, last, limit=batch),
        "reports": lambda s, v, last: _db_retag_reporters_after(s, v, last, limit=batch),
        "pending reports": lambda s, v, last: _db_retag_codes_after(s, v, last, limit=batch),
        # after the identities: a draft is found through its person's platform id
        "drafts": lambda s, v, last: _db_retag_drafts_after(s, v, last, limit=batch),
    }
    for what, step in steps.items():
        last: str | None = ""
        while last is not None:
            with db.write() as session:
                done, last = step(session, vault, last)
            yield what, done


def record_retagged(db: Database, keyring: Keyring, *, rows: int) -> None:
    """The rotation's end is on record, under the new chain key: how many rows it re-tagged."""
    with db.write() as session:
        AuditLog(lambda: keyring).db_append(session, actor=ACTOR,
                                            action=AuditAction.KEYS_INDEX_RETAGGED,
                                            record_kind=RecordKind.KEYRING, record_id="index",
                                            detail={"rows": rows})


def _db_retag_drafts_after(session: Session, vault: Vault, last_key: str, *,
                           limit: int) -> tuple[int, str | None]:
    accounts, last = identities.db_accounts_after(session, vault, last_key, limit=limit)
    return drafts.db_retag(session, vault, accounts), last


def _db_retag_reporters_after(session: Session, vault: Vault, last_id: str, *,
                              limit: int) -> tuple[int, str | None]:
    rows = session.exec(select(Report).where(col(Report.reporter_tag).is_not(None),
                                             col(Report.id) > last_id)
                        .order_by(col(Report.id)).limit(limit)).all()

    def tag_of(row: Report) -> str | None:
        try:
            content = vault.unseal(session, kind=REPORT, record_id=row.id, blob=row.body)
        except ShreddedError:
            return None  # retention clears a shredded report's tag itself
        reporter = content.get("reporter")
        if not isinstance(reporter, dict):
            return None
        return vault.tag(REPORTER, str(reporter["person_id"]))

    return _retagged(session, rows, "reporter_tag", tag_of)


def _db_retag_codes_after(session: Session, vault: Vault, last_id: str, *,
                          limit: int) -> tuple[int, str | None]:
    rows = session.exec(select(PendingReport).where(col(PendingReport.id) > last_id)
                        .order_by(col(PendingReport.id)).limit(limit)).all()

    def tag_of(row: PendingReport) -> str:
        data = vault.unseal(session, kind=PENDING, record_id=row.id, blob=row.body)
        return vault.tag(PENDING_CODE, str(data["code"]))

    return _retagged(session, rows, "code_tag", tag_of)


_Tagged = TypeVar("_Tagged", Report, PendingReport)


def _retagged(session: Session, rows: Sequence[_Tagged], column: str,
              tag_of: Callable[[_Tagged], str | None]) -> tuple[int, str | None]:
    """Each row's `column` set to the tag `tag_of` gives it under the current index key (None:
    left as it is); how many changed, and the last row's id (where the next batch starts)."""
    done = 0
    for row in rows:
        tag = tag_of(row)
        if tag is not None and getattr(row, column) != tag:
            setattr(row, column, tag)
            session.add(row)
            done += 1
    return done, rows[-1].id if rows else None
