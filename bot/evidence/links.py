"""Capability links to the evidence pages: random (`secrets.token_urlsafe(32)`), stored only as a
keyed hash (`Vault.tag`), single-use, 30 minutes to upload and 5 to download, bound to one case
(or one held anonymous report), to the person it was issued to and, for a download, to one file.

What a link is for is sealed in its `FileLink` row (record kind `file_link`); the row and its
data key are deleted when the link is used, so a second use finds nothing. A link is a bearer
capability: whoever holds the URL within its minutes may use it once. That is why it is shown
only in a private window (a modal, a dialog, the console's answer), never in a chat message, and
why a download's lasts five minutes.

Issue and use are audited against the case (`file.link_issued`, `file.link_used`); for an
anonymous or confidential reporter both are dated by the day and written only when the link is
used (the request that issues it, a status visit's click, writes no audit row: its place in the
write order would date the visit), and the issue of a link to a report still held for its delay
is audited when it is used on the recorded case, never before (no audit row may name a held
report). Functions named `db_*` take the caller's session and never commit.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from bot.core import Core
from storage.clock import as_utc
from storage.keyring import CryptoError
from storage.models import FileLink
from storage.vocabulary import AuditAction, RecordKind

KIND = RecordKind.FILE_LINK
UPLOAD_MINUTES = 30
DOWNLOAD_MINUTES = 5


class Purpose(StrEnum):
    UPLOAD = "upload"
    DOWNLOAD = "download"

    @property
    def path(self) -> str:
        """The page's path before the link's secret."""
        return "/files/add/" if self is Purpose.UPLOAD else "/files/get/"

    @property
    def minutes(self) -> int:
        return UPLOAD_MINUTES if self is Purpose.UPLOAD else DOWNLOAD_MINUTES


@dataclass(frozen=True)
class Grant:
    """What one link allows, opened."""

    purpose: Purpose
    report_id: str  # the case (drawn at submission for a held report: the same id)
    code: str
    anonymous: bool  # the user is the case's anonymous reporter (never a member on such a case)
    role: str  # who may use it: "reporter", "member" or "designee"
    person_id: int | None  # the member or designee; None for a reporter
    name: str | None  # the member's or designee's name, for "added by"
    scrub: bool  # names are removed from the files' properties (anonymous reporters: always)
    expires: datetime
    pending_id: str | None = None  # a held anonymous report's row, while it is held
    file_id: str | None = None  # the file a download link is for
    audited: bool = True  # its issue is in the audit log already
    link: str = ""  # the row's id (a keyed hash of the secret), set when opened

    def to_json(self) -> dict[str, Any]:
        return {"purpose": self.purpose.value, "report_id": self.report_id, "code": self.code,
                "anonymous": self.anonymous, "role": self.role, "person_id": self.person_id,
                "name": self.name, "scrub": self.scrub, "expires": self.expires.isoformat(),
                "pending_id": self.pending_id, "file_id": self.file_id, "audited": self.audited}

    @classmethod
    def from_json(cls, doc: dict[str, Any], link: str) -> Grant:
        person = doc.get("person_id")
        return cls(Purpose(doc["purpose"]), str(doc["report_id"]), str(doc["code"]),
                   bool(doc["anonymous"]), str(doc["role"]),
                   None if person is None else int(person),
                   None if doc.get("name") is None else str(doc["name"]), bool(doc["scrub"]),
                   as_utc(datetime.fromisoformat(str(doc["expires"]))),
                   doc.get("pending_id"), doc.get("file_id"), bool(doc.get("audited", True)), link)

    @property
    def actor(self) -> str:
        return "reporter" if self.person_id is None else f"person:{self.person_id}"


def db_issue(session: Session, core: Core, grant: Grant) -> str:
    """A new link for `grant` (its `expires` is set here): the URL to show, privately."""
    secret = secrets.token_urlsafe(32)
    link = core.vault.tag("file-link", secret)
    expires = core.now() + timedelta(minutes=grant.purpose.minutes)
    later = _audited_on_use(grant)
    grant = replace(grant, expires=expires, audited=not later)
    session.add(FileLink(id=link, created_at=core.today_start(), body=core.vault.seal(
        session, kind=KIND, record_id=link, data=grant.to_json(), new=True)))
    if not later:
        _audit(session, core, grant, AuditAction.FILE_LINK_ISSUED, link)
    return core.evidence.link(f"{grant.purpose.path}{secret}")


def _audited_on_use(grant: Grant) -> bool:
    """Whether the link's issue is audited only when it is used: a held report's (no audit row
    may name it), and an anonymous or confidential reporter's (an audit row written in their
    request, whatever its day-only time says, sits in the write order beside their visit)."""
    return grant.pending_id is not None or (grant.person_id is None and grant.anonymous)


def _audit(session: Session, core: Core, grant: Grant, action: AuditAction, link: str) -> None:
    detail: dict[str, Any] = {"purpose": grant.purpose.value, "link": link[:16]}
    if grant.file_id:
        detail["file"] = grant.file_id
    core.audit_event(session, actor=grant.actor, action=action, record_kind=RecordKind.REPORT,
                     record_id=grant.report_id, detail=detail,
                     at=core.today_start() if grant.anonymous else None)


def _db_found(session: Session, core: Core, secret: str) -> tuple[FileLink, Grant] | None:
    """The link's row and what it grants; None for a secret no row has (or one that no longer
    opens: its data key shredded)."""
    row = _row(session, core, secret)
    if row is None:
        return None
    try:
        return row, Grant.from_json(core.vault.unseal(session, kind=KIND, record_id=row.id,
                                                      blob=row.body), row.id)
    except CryptoError:
        return None


def _row(session: Session, core: Core, secret: str) -> FileLink | None:
    if not secret or len(secret) > 128:
        return None
    return session.exec(select(FileLink).where(
        col(FileLink.id).in_(core.vault.tags("file-link", secret)))).first()


def db_peek(session: Session, core: Core, secret: str, purpose: Purpose) -> Grant | None:
    """What a link allows, without using it (the upload page's GET); None when it is unknown,
    used, expired or for another page."""
    found = _db_found(session, core, secret)
    if found is None:
        return None
    grant = found[1]
    if grant.purpose is not purpose or grant.expires <= core.now():
        return None
    return grant


def db_claim(session: Session, core: Core, secret: str, purpose: Purpose) -> Grant | None:
    """Use the link: its row and data key are deleted (a second use finds nothing) and the use is
    audited. None when it is unknown, used, expired (then deleted, and the refusal audited) or
    for another page (left as it is)."""
    found = _db_found(session, core, secret)
    if found is None:
        return None
    row, grant = found
    if grant.purpose is not purpose:
        return None
    taken = session.execute(delete(FileLink).where(col(FileLink.id) == row.id))
    if getattr(taken, "rowcount", 1) != 1:
        return None  # used by a request that committed first
    core.vault.shred(session, kind=KIND, record_id=row.id)
    if grant.expires <= core.now():
        if grant.pending_id is None:  # a held report's is named by no audit row
            if not grant.audited:
                _audit(session, core, grant, AuditAction.FILE_LINK_ISSUED, row.id)
            _audit(session, core, grant, AuditAction.FILE_LINK_REFUSED, row.id)
        return None
    return grant


def db_audit_use(session: Session, core: Core, grant: Grant, *, report_recorded: bool) -> None:
    """The link's use in the audit log (and its issue, for one issued to a held report), once
    its case is recorded: no audit row names a held report."""
    if not report_recorded:
        return
    if not grant.audited:
        _audit(session, core, grant, AuditAction.FILE_LINK_ISSUED, grant.link)
    _audit(session, core, grant, AuditAction.FILE_LINK_USED, grant.link)


def db_forget(session: Session, core: Core, *, before: datetime) -> int:
    """Links issued on days before `before` (every one of them expired), deleted with their
    data keys."""
    ids = list(session.exec(select(FileLink.id).where(col(FileLink.created_at) < before)).all())
    for link in ids:
        core.vault.shred(session, kind=KIND, record_id=link)
    session.execute(delete(FileLink).where(col(FileLink.id).in_(ids)))
    return len(ids)
