"""Files sealed in the database: each under a data key of its own (record kind `evidence_file`,
wrapped, rotated, escrowed and shredded like every other data key), in pieces of `CHUNK` bytes,
each piece sealed with AES-256-GCM with the file's id, the piece's index and whether it is the
last bound in as associated data, so pieces cannot be reordered, moved to another file or cut
off. The metadata (name, type, size, SHA-256, who added it, what was removed from it) is sealed
under the same key: shredding the key makes file and name unreadable together.

A file is stored first under a staging owner (one upload request's), and moved to its case, with
its chain-of-custody audit event, only when the whole request went through (`db_commit_staged`):
a request stopped half-way keeps nothing (`db_drop_staged`; the sweep drops what a crash left).
A file added to an anonymous report still held for its delay waits under the held report's id and
moves to the case with it (`db_move_held`, called by `bot.pending`'s recorder); its audit event is
written then, dated by the day, as the report's are.

Functions named `db_*` take the caller's session and never commit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert
from sqlmodel import Session, col, select

from bot.core import Core
from storage.crypto import SealedOpenError, ShreddedError, open_bytes, seal_bytes, seal_record
from storage.keyring import CryptoError
from storage.models import EvidenceChunk, EvidenceFile, new_id
from storage.vocabulary import AuditAction, RecordKind

CHUNK = 256 * 1024
FILE = RecordKind.EVIDENCE_FILE
PIECE = RecordKind.EVIDENCE_CHUNK
STAGING = "staging:"  # the owner of a file whose upload request has not finished
REPORT_KIND = RecordKind.REPORT


class FileDamaged(CryptoError):
    """A file's pieces do not add up: one missing, moved, reordered or altered."""


@dataclass(frozen=True)
class Adder:
    """Who added a file: the case's reporter (never named), a member, or a designee."""

    role: str  # "reporter", "member" or "designee"
    person_id: int | None = None
    name: str | None = None  # a member's or designee's name, as the roster has it

    @property
    def audit_actor(self) -> str:
        return "reporter" if self.person_id is None else f"person:{self.person_id}"

    def to_json(self) -> dict[str, Any]:
        return {"role": self.role, "person_id": self.person_id, "name": self.name}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Adder:
        person = doc.get("person_id")
        return cls(str(doc["role"]), None if person is None else int(person),
                   None if doc.get("name") is None else str(doc["name"]))


@dataclass(frozen=True)
class StoredFile:
    """A file's metadata, opened."""

    id: str
    owner: str
    name: str
    kind: str  # bot.evidence.content.FileType's value
    size: int
    sha256: str
    day: date
    added_by: Adder
    removed: tuple[str, ...]
    unchecked: tuple[str, ...]
    pieces: int


def _piece_id(file_id: str, seq: int, final: bool) -> str:
    return f"{file_id}:{seq}:{int(final)}"


def db_add(session: Session, core: Core, *, owner: str, name: str, kind: str, data: bytes,
           added_by: Adder, removed: tuple[str, ...], unchecked: tuple[str, ...]) -> StoredFile:
    """Seal `data` in pieces under a new data key and its metadata beside it, under `owner` (a
    staging owner, a case, or a held report). Writes no audit event (the caller does)."""
    file_id = new_id()
    key = core.vault.piece_key(session, kind=FILE, record_id=file_id, new=True)
    count = max(1, -(-len(data) // CHUNK))
    view = memoryview(data)  # each piece sealed from the caller's bytes, not a copy of them
    # One Core insert of every piece (executemany): no ORM object per piece of a large file.
    session.execute(insert(EvidenceChunk), [
        {"file_id": file_id, "seq": seq, "body": seal_bytes(
            key, view[seq * CHUNK:(seq + 1) * CHUNK],  # type: ignore[arg-type]
            kind=PIECE, record_id=_piece_id(file_id, seq, seq == count - 1))}
        for seq in range(count)])
    day = core.today_start()
    stored = StoredFile(file_id, owner, name, kind, len(data), hashlib.sha256(data).hexdigest(),
                        core.today(), added_by, removed, unchecked, count)
    meta = {"name": name, "kind": kind, "size": stored.size, "sha256": stored.sha256,
            "added_by": added_by.to_json(), "removed": list(removed),
            "unchecked": list(unchecked), "pieces": count, "day": stored.day.isoformat()}
    session.add(EvidenceFile(id=file_id, owner=owner, added_at=day,
                             body=seal_record(key, meta, kind=FILE, record_id=file_id)))
    return stored


def _opened(core: Core, session: Session, row: EvidenceFile) -> StoredFile:
    doc = core.vault.unseal(session, kind=FILE, record_id=row.id, blob=row.body)
    return StoredFile(row.id, row.owner, str(doc["name"]), str(doc["kind"]), int(doc["size"]),
                      str(doc["sha256"]), date.fromisoformat(str(doc["day"])),
                      Adder.from_json(doc["added_by"]), tuple(doc.get("removed", ())),
                      tuple(doc.get("unchecked", ())), int(doc["pieces"]))


def db_files(session: Session, core: Core, owner: str) -> list[StoredFile]:
    """The files of a case (or a held report), oldest first; a shredded one is left out."""
    rows = session.exec(select(EvidenceFile).where(EvidenceFile.owner == owner)
                        .order_by(col(EvidenceFile.added_at), col(EvidenceFile.id))).all()
    files = []
    for row in rows:
        try:
            files.append(_opened(core, session, row))
        except ShreddedError:
            continue
    return sorted(files, key=lambda f: (f.day, f.name))


def db_file(session: Session, core: Core, file_id: str) -> StoredFile | None:
    row = session.get(EvidenceFile, file_id)
    if row is None:
        return None
    try:
        return _opened(core, session, row)
    except ShreddedError:
        return None


def db_total(session: Session, core: Core, owners: list[str]) -> int:
    """How many bytes the files of these owners hold (a case's limit counts them all)."""
    return sum(f.size for owner in owners for f in db_files(session, core, owner))


def db_pieces(session: Session, core: Core, stored: StoredFile, *, start: int,
              count: int) -> list[bytes]:
    """Pieces `start`..`start+count-1` of a file, opened; `FileDamaged` if one is missing or does
    not open as that piece of that file, `ShreddedError` when its key is gone."""
    key = core.vault.piece_key(session, kind=FILE, record_id=stored.id)
    end = min(stored.pieces, start + count)
    # The two columns, not ORM objects: a download reads a file's pieces once, in batches.
    rows = session.execute(select(col(EvidenceChunk.seq), col(EvidenceChunk.body))
                           .where(EvidenceChunk.file_id == stored.id,
                                  col(EvidenceChunk.seq) >= start, col(EvidenceChunk.seq) < end)
                           .order_by(col(EvidenceChunk.seq))).all()
    if [seq for seq, _ in rows] != list(range(start, end)):
        raise FileDamaged(f"file {stored.id}: a piece is missing")
    try:
        return [open_bytes(key, body, kind=PIECE,
                           record_id=_piece_id(stored.id, seq, seq == stored.pieces - 1))
                for seq, body in rows]
    except SealedOpenError:
        raise FileDamaged(f"file {stored.id}: a piece does not open as this file's") from None


def db_read_all(session: Session, core: Core, stored: StoredFile) -> bytes:
    """The whole file, checked against its SHA-256 (an export; a test)."""
    data = b"".join(db_pieces(session, core, stored, start=0, count=stored.pieces))
    if hashlib.sha256(data).hexdigest() != stored.sha256:
        raise FileDamaged(f"file {stored.id}: its content does not match its hash")
    return data


# --- staging, held reports, shredding --------------------------------------------------------


def staging_owner() -> str:
    return f"{STAGING}{new_id()}"


def db_commit_staged(session: Session, core: Core, *, staged: str, owner: str,
                     report_id: str | None, anonymous: bool) -> list[StoredFile]:
    """Move one request's files to their case (or held report) and write each one's chain of
    custody (`file.added`: SHA-256, size, type, who added it) when the case is recorded."""
    moved = []
    for row in session.exec(select(EvidenceFile).where(EvidenceFile.owner == staged)).all():
        row.owner = owner
        session.add(row)
        stored = _opened(core, session, row)
        moved.append(stored)
        if report_id is not None:
            _audit_added(session, core, stored, report_id=report_id,
                         at=core.today_start() if anonymous else None)
    return moved


def _audit_added(session: Session, core: Core, stored: StoredFile, *, report_id: str,
                 at: datetime | None) -> None:
    core.audit_event(session, actor=stored.added_by.audit_actor, action=AuditAction.FILE_ADDED,
                     record_kind=REPORT_KIND, record_id=report_id, at=at,
                     detail={"file": stored.id, "sha256": stored.sha256, "size": stored.size,
                             "type": stored.kind, "by": stored.added_by.role,
                             "removed": len(stored.removed)})


def db_move_held(session: Session, core: Core, *, pending_id: str, report_id: str,
                 moment: datetime) -> int:
    """A held anonymous report is recorded: its files move to the case, audited by its day."""
    rows = session.exec(select(EvidenceFile).where(EvidenceFile.owner == pending_id)).all()
    for row in rows:
        row.owner = report_id
        session.add(row)
        _audit_added(session, core, _opened(core, session, row), report_id=report_id, at=moment)
    return len(rows)


def db_shred_owner(session: Session, core: Core, owner: str) -> int:
    """Delete the data key of every file of `owner` (the files can never be opened again) and
    their pieces and rows. Returns how many keys were deleted."""
    ids = list(session.exec(select(EvidenceFile.id).where(EvidenceFile.owner == owner)).all())
    keys = 0
    for file_id in ids:
        keys += core.vault.shred(session, kind=FILE, record_id=file_id)
        session.execute(delete(EvidenceChunk).where(col(EvidenceChunk.file_id) == file_id))
        session.execute(delete(EvidenceFile).where(col(EvidenceFile.id) == file_id))
    return keys


def db_drop_staged(session: Session, core: Core, staged: str) -> int:
    """A request stopped half-way: what it stored is shredded, nothing kept."""
    return db_shred_owner(session, core, staged)


def db_forget_stale(session: Session, core: Core, *, now: datetime) -> int:
    """What crashed requests left under a staging owner more than a day ago, shredded."""
    owners = set(session.exec(select(EvidenceFile.owner)
                              .where(col(EvidenceFile.owner).startswith(STAGING),
                                     col(EvidenceFile.added_at) < now - timedelta(days=1))).all())
    return sum(db_shred_owner(session, core, owner) for owner in owners)



def db_export(session: Session, core: Core, *, report_id: str,
              actor: str) -> list[tuple[StoredFile, bytes]]:
    """Every file of a case, opened and checked against its hash, for the case file an allowed
    member exports (the caller passed the case gate); each one's reading is audited."""
    exported = []
    for stored in db_files(session, core, report_id):
        exported.append((stored, db_read_all(session, core, stored)))
        core.audit_event(session, actor=actor, action=AuditAction.FILE_DOWNLOADED,
                         record_kind=REPORT_KIND, record_id=report_id,
                         detail={"file": stored.id, "sha256": stored.sha256, "export": True})
    return exported
