"""The audit log: append-only, hash-chained, keyed.

Each event records who (a person id, "reporter", or "system"), did what, to which record, and
when, with a detail of non-confidential facts. Each link's MAC covers its content and the previous
link's MAC under a key derived from the keyring, so an edit, deletion, insertion or reordering of
rows, even by someone who can write to the database, breaks the chain at a row `verify` names.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session, col, select

from storage.clock import utcnow
from storage.models import AuditEvent

GENESIS = "0" * 64
_LOCK_ID = 0x43414E44  # "CAND": serializes appends on PostgreSQL
Detail = Mapping[str, str | int | bool | None]


def audit_key(index_key: bytes) -> bytes:
    return hmac.new(index_key, b"candor-audit-chain-v1", hashlib.sha256).digest()


def _canonical(detail: Detail) -> str:
    return json.dumps(dict(detail), separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""
    # "<seq>:<hash>" of the last link: record it to detect later truncation
    head: str = field(default="", compare=False)


def parse_anchor(text: str) -> tuple[int, str]:
    """An anchor as printed by `verify` ("<seq>:<hash>")."""
    seq, _, digest = text.strip().partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise ValueError("an anchor looks like 1234:<64 hex characters>, as `candor audit verify` "
                         "prints it")
    return int(seq), digest


class AuditLog:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, prev_hash: str, seq: int, at: datetime, actor: str, action: str,
             record_kind: str, record_id: str, detail: str) -> str:
        message = "\x1f".join(
            [prev_hash, str(seq), at.isoformat(), actor, action, record_kind, record_id, detail]
        ).encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def db_append(
        self,
        session: Session,
        *,
        actor: str,
        action: str,
        record_kind: str,
        record_id: str,
        detail: Detail | None = None,
        at: datetime | None = None,
    ) -> AuditEvent:
        """Append one event inside the caller's transaction (the caller commits)."""
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
        # The head's two columns, not the whole row: this runs in every audited transaction.
        last = session.exec(
            select(AuditEvent.seq, AuditEvent.hash).order_by(col(AuditEvent.seq).desc()).limit(1)
        ).first()
        seq = 1 if last is None else last[0] + 1
        prev = GENESIS if last is None else last[1]
        moment = (at or utcnow()).replace(microsecond=0)
        detail_text = _canonical(detail or {})
        event = AuditEvent(
            seq=seq, at=moment, actor=actor, action=action, record_kind=record_kind,
            record_id=record_id, detail=detail_text, prev_hash=prev,
            hash=self._mac(prev, seq, moment, actor, action, record_kind, record_id, detail_text),
        )
        session.add(event)
        session.flush()
        return event

    def verify(self, session: Session, *, anchor: tuple[int, str] | None = None) -> VerifyResult:
        """Walk the chain from the first link; name the first row that does not hold.

        The chain alone cannot show that its newest rows were cut off; an `anchor` recorded
        from an earlier verify (kept outside the database, e.g. in the committee's minutes)
        can: that link must still be there, unchanged."""
        prev, expected, checked = GENESIS, 1, 0
        anchor_seen = anchor is None
        rows = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))
                            .execution_options(yield_per=1000))
        for row in rows:
            if row.seq != expected:
                kind = "missing (deleted)" if row.seq > expected else "duplicated"
                return VerifyResult(False, checked, expected, f"row {expected} is {kind}")
            if row.prev_hash != prev:
                return VerifyResult(False, checked, row.seq,
                                    f"row {row.seq} does not follow row {row.seq - 1} "
                                    "(inserted or reordered)")
            mac = self._mac(row.prev_hash, row.seq, row.at, row.actor, row.action,
                            row.record_kind, row.record_id, row.detail)
            if not hmac.compare_digest(mac, row.hash):
                return VerifyResult(False, checked, row.seq, f"row {row.seq} was altered")
            if anchor is not None and row.seq == anchor[0]:
                if not hmac.compare_digest(row.hash, anchor[1]):
                    return VerifyResult(False, checked, row.seq,
                                        f"row {row.seq} is not the recorded anchor")
                anchor_seen = True
            prev, expected, checked = row.hash, expected + 1, checked + 1
        head = f"{expected - 1}:{prev}" if checked else ""
        if not anchor_seen:
            assert anchor is not None
            return VerifyResult(False, checked, checked + 1,
                                f"the chain ends at row {checked}, before the recorded anchor "
                                f"row {anchor[0]} (its newest rows were deleted)", head)
        return VerifyResult(True, checked, head=head)
