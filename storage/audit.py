"""The audit log: append-only, hash-chained, keyed.

Each event records who (a person id, "reporter", or "system"), did what, to which record, and
when, with a detail of non-confidential facts. Each link's MAC covers its content and the previous
link's MAC under a key derived from the keyring, so an edit, deletion, insertion or reordering of
rows, even by someone who can write to the database, breaks the chain at a row `verify` names.
When the index key rotates, the chain moves to the new key's audit key through a pair of rows
(`LINK`, `LINKED`) that both keys attest; `verify` walks across it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event, insert, text
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from storage.clock import utcnow
from storage.keyring import Keyring
from storage.models import AuditEvent
from storage.vocabulary import AuditAction, RecordKind

GENESIS = "0" * 64
_LOCK_ID = 0x43414E44  # "CAND": serializes appends on PostgreSQL
Detail = Mapping[str, str | int | bool | None]
# The link an index-key rotation writes: a row under the old audit key naming the new key's
# fingerprint, and its successor under the new key naming the old one's; from there on the chain
# is MACed under the new key.
LINK, LINKED = AuditAction.KEYS_INDEX_ROTATED, AuditAction.KEYS_INDEX_ROTATED_CONTINUED


def audit_key(index_key: bytes) -> bytes:
    return hmac.new(index_key, b"candor-audit-chain-v1", hashlib.sha256).digest()


def fingerprint(key: bytes) -> str:
    """What names an audit key in a link row: reveals nothing of the key."""
    return hmac.new(key, b"candor-audit-key-id", hashlib.sha256).hexdigest()[:32]


def _segment_keys(keyring: Keyring) -> tuple[bytes, bytes]:
    """The audit keys before and after the link of the index-key rotation under way (the same
    key twice when none is)."""
    before = keyring.previous_index_key or keyring.index_key
    after = keyring.next_index_key or keyring.index_key
    return audit_key(before), audit_key(after)


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
    """The chain, MACed under a fixed key, or under the one a keyring (read at each use: a
    running server's changes under it) says the chain is at."""

    def __init__(self, key: bytes | Callable[[], Keyring]) -> None:
        # Never a key kept between calls but the fixed one: one log serves many threads.
        self._key = key if isinstance(key, bytes) else b""
        self._keyring = None if isinstance(key, bytes) else key

    def db_link(self, session: Session, *, actor: str) -> bool:
        """Hand the chain over to the staged index key's audit key (once: False when it already
        is): a row under the old key naming the new key, then one under the new key naming the
        old. Needs a keyring with an index key staged or just promoted."""
        if self._keyring is None:
            raise ValueError("a fixed-key audit log cannot be handed over")
        before, after = _segment_keys(self._keyring())
        if before == after:
            raise ValueError("no index-key rotation is under way")
        _write_pending(session)  # what this transaction appended before comes before the link
        head = _locked_head(session)
        if head is not None and _under(head, after):
            return False
        _write(session, head, [
            (_fixed(key), {"actor": actor, "action": action, "record_kind": RecordKind.KEYRING,
                           "record_id": "index", "detail": detail, "at": None})
            for key, action, detail in ((before, LINK, {"next": fingerprint(after)}),
                                        (after, LINKED, {"previous": fingerprint(before)}))])
        return True

    def db_append(
        self,
        session: Session,
        *,
        actor: str,
        action: AuditAction,
        record_kind: RecordKind,
        record_id: str,
        detail: Detail | None = None,
        at: datetime | None = None,
    ) -> None:
        """Append one event inside the caller's transaction (the caller commits).

        In a unit of work (`Database.write`, which sets `DEFER`), the row is written as the
        transaction commits (`_write_pending`, in the order appended):
        taking the chain's lock (on PostgreSQL an advisory lock every audited transaction waits
        for) and reading its head last, the lock is held for the append and the commit only,
        not for the rest of the transaction's statements."""
        args: dict[str, Any] = {"actor": actor, "action": action, "record_kind": record_kind,
                                "record_id": record_id, "detail": detail, "at": at or utcnow()}
        if not session.info.get(DEFER):  # a session committed by other means: written now
            session.flush()
            _write(session, _locked_head(session), [(self._key_for, args)])
            return
        session.info.setdefault(_PENDING, []).append((self, args))

    def _key_for(self, head: _Head | None) -> bytes:
        """The audit key the link after `head` is MACed under. Called with the chain's lock held:
        the link cannot be written between the head's read and the append, so two servers never
        append under two keys."""
        if self._keyring is None:
            return self._key
        before, after = _segment_keys(self._keyring())
        if before == after:
            return after
        return after if head is not None and _under(head, after) else before

    def verify(self, session: Session, *, anchor: tuple[int, str] | None = None) -> VerifyResult:
        """Walk the chain from the first link; name the first row that does not hold.

        The chain alone cannot show that its newest rows were cut off; an `anchor` recorded
        from an earlier verify (kept outside the database, e.g. in the committee's minutes)
        can: that link must still be there, unchanged."""
        prev, expected, checked = GENESIS, 1, 0
        anchor_seen = anchor is None
        keys = self._verifying_keys()
        key = next(iter(keys.values()))  # the oldest segment's key first
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
            mac = _mac(key, row.prev_hash, row.seq, row.at, row.actor, row.action,
                            row.record_kind, row.record_id, row.detail)
            if not hmac.compare_digest(mac, row.hash):
                return VerifyResult(False, checked, row.seq, f"row {row.seq} was altered")
            if anchor is not None and row.seq == anchor[0]:
                if not hmac.compare_digest(row.hash, anchor[1]):
                    return VerifyResult(False, checked, row.seq,
                                        f"row {row.seq} is not the recorded anchor")
                anchor_seen = True
            if row.action == LINK:  # the next row on is MACed under the key this one names
                named = str(json.loads(row.detail).get("next", ""))
                if named not in keys:
                    return VerifyResult(False, checked, row.seq,
                                        f"row {row.seq} hands the chain to an audit key this "
                                        "keyring does not hold")
                key = keys[named]
            prev, expected, checked = row.hash, expected + 1, checked + 1
        head = f"{expected - 1}:{prev}" if checked else ""
        if checked and key not in self._final_keys():
            # Rows under the new key were cut off, and the old key (which may be why it was
            # rotated) could have rewritten the rest: the chain must reach the key in use.
            return VerifyResult(False, checked, checked + 1,
                                f"the chain ends at row {checked} under the audit key of an "
                                "earlier index key (its rows after a link were deleted)", head)
        if not anchor_seen:
            assert anchor is not None
            return VerifyResult(False, checked, checked + 1,
                                f"the chain ends at row {checked}, before the recorded anchor "
                                f"row {anchor[0]} (its newest rows were deleted)", head)
        return VerifyResult(True, checked, head=head)


    def _final_keys(self) -> tuple[bytes, ...]:
        """The audit keys the chain may end under: the one in use, or the one before the link
        of a rotation under way."""
        if self._keyring is None:
            return (self._key,)
        return _segment_keys(self._keyring())

    def _verifying_keys(self) -> dict[str, bytes]:
        """The audit keys the chain may be MACed under, by fingerprint, the oldest first."""
        if self._keyring is None:
            return {fingerprint(self._key): self._key}
        keyring = self._keyring()
        before, after = _segment_keys(keyring)
        ordered = (*keyring.earlier_audit_keys, before, after)
        return {fingerprint(k): k for k in ordered}


def _mac(key: bytes, prev_hash: str, seq: int, at: datetime, actor: str, action: str,
         record_kind: str, record_id: str, detail: str) -> str:
    message = "\x1f".join(
        [prev_hash, str(seq), at.isoformat(), actor, action, record_kind, record_id, detail]
    ).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


_PENDING = "candor_audit_pending"  # session.info: the events appended, not yet written
DEFER = "candor_audit_at_commit"  # session.info: this session commits itself (Database.write)
# session.info: the schema may predate `candor_audit_head` (a migration's own step, below 0021):
# the lock and the head are read apart.
LOCK_APART = "candor_audit_lock_apart"


@event.listens_for(OrmSession, "before_commit")
def _write_pending(session: OrmSession) -> None:
    """Write the events this transaction appended, in order, under the chain's lock."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    session.flush()  # the transaction's own rows first: the lock is held for the append only
    _write(session, _locked_head(session), [(log._key_for, args) for log, args in pending])


@event.listens_for(OrmSession, "after_rollback")
def _drop_pending(session: OrmSession) -> None:
    session.info.pop(_PENDING, None)


# The chain's rows are written with Core statements (compiled once, cached), not ORM objects:
# every audited transaction appends, so the unit of work's cost here is paid on every request.
_TABLE = AuditEvent.__table__  # type: ignore[attr-defined]
_COLUMNS = ("seq", "at", "actor", "action", "record_kind", "record_id", "detail", "prev_hash",
            "hash")
_HEAD = select(*(_TABLE.c[name] for name in _COLUMNS)).order_by(_TABLE.c.seq.desc()).limit(1)
_INSERT = insert(_TABLE)
# On PostgreSQL the chain's advisory lock and then its head, in one round trip (migration 0021);
# the id cast to the function's own argument type, so no other overload is picked.
_LOCKED_HEAD = text(
    f"SELECT {', '.join(_COLUMNS)} FROM candor_audit_head(CAST(:id AS bigint))").columns(
    *(_TABLE.c[name] for name in _COLUMNS))
_LOCK = text("SELECT pg_advisory_xact_lock(:id)")
_Head = Mapping[str, Any]  # the newest link's columns


def _locked_head(session: OrmSession) -> _Head | None:
    """Take the chain's lock (every append waits for it until its transaction ends; SQLite's one
    writer needs none), then read the chain's newest link: None for an empty chain."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        row = connection.execute(_HEAD).first()
    elif session.info.get(LOCK_APART):
        connection.execute(_LOCK, {"id": _LOCK_ID})
        row = connection.execute(_HEAD).first()
    else:
        row = connection.execute(_LOCKED_HEAD, {"id": _LOCK_ID}).first()
    return None if row is None else dict(row._mapping)


def _write(session: OrmSession, head: _Head | None,
           entries: list[tuple[Callable[[_Head | None], bytes], dict[str, Any]]]) -> None:
    """Append the entries after `head`, in order, each MACed under the key its callable picks
    given the link before it, in one statement."""
    rows: list[dict[str, Any]] = []
    for key_for, args in entries:
        key = key_for(head)
        seq = 1 if head is None else int(head["seq"]) + 1
        prev = GENESIS if head is None else str(head["hash"])
        moment = (args["at"] or utcnow()).replace(microsecond=0)
        detail_text = _canonical(args["detail"] or {})
        actor, action = str(args["actor"]), str(args["action"])
        kind, record_id = str(args["record_kind"]), str(args["record_id"])
        link = {"seq": seq, "at": moment, "actor": actor, "action": action, "record_kind": kind,
                "record_id": record_id, "detail": detail_text, "prev_hash": prev,
                "hash": _mac(key, prev, seq, moment, actor, action, kind, record_id,
                             detail_text)}
        rows.append(link)
        head = link
    session.connection().execute(_INSERT, rows)


def _fixed(key: bytes) -> Callable[[_Head | None], bytes]:
    return lambda _head: key


def _under(head: _Head, key: bytes) -> bool:
    """Whether the link `head` is MACed under `key` (so the link to it was written): one MAC,
    while an index-key rotation is under way."""
    mac = _mac(key, head["prev_hash"], head["seq"], head["at"], head["actor"], head["action"],
               head["record_kind"], head["record_id"], head["detail"])
    return hmac.compare_digest(mac, head["hash"])
