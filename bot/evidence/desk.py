"""What the evidence pages (adapters/evidence_pages.py) ask of the core, each in a unit of work of
its own: the upload page's facts (`page`), using an upload link (`begin`), one file checked and
sealed (`add`), the request finished (`finish`: its files move to the case, audited) or stopped
(`abandon`: nothing kept), and a download (`download_page`, its GET, which uses nothing up; then
`download`, its POST, which uses the link, and `pieces`).

A link is checked again when used: a member kept away from the case since the link was issued (or
a case shredded meanwhile) gets nothing. The case gate is `bot.access.db_case_for`, the single
place that says who may act on a case (a designee's access plugs in there).

Checking a file needs the whole of it (a PDF's or a Word file's metadata is not at its start): it
is held in memory, bounded by CANDOR_FILE_MAX_MB, never written to disk in the clear, then sealed
in pieces.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlmodel import Session, select

from bot.access import db_case_for
from bot.core import CandorError, Core
from bot.evidence import content, links, store
from bot.evidence.links import Grant, Purpose
from bot.evidence.store import Adder, StoredFile
from bot.wording import files as wording
from storage.db import Database
from storage.models import PendingReport, Person, Report
from storage.vocabulary import AuditAction, DesignationScope, RecordKind

log = logging.getLogger("candor.evidence")

MAX_FILES = 20  # files in one upload request
PIECES_AT_ONCE = 8  # pieces read (and held opened) at a time while a download streams


@dataclass(frozen=True)
class UploadPage:
    """What the upload page shows before anything is sent."""

    code: str
    anonymous: bool
    scrub_always: bool  # names are removed whatever the page says (an anonymous reporter)
    file_max_bytes: int
    case_left_bytes: int
    max_files: int = MAX_FILES


@dataclass
class Upload:
    """One upload request, its link used: where its files wait until it finishes."""

    grant: Grant
    staged: str
    left: int  # bytes the case can still take
    file_max: int
    stored: list[StoredFile] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (safe name, reason)


@dataclass(frozen=True)
class DownloadPage:
    """What the download's confirmation page shows before anything is used up."""

    code: str
    name: str  # safe to show
    kind: str  # the file's type (`content.FileType`)
    size: int


@dataclass(frozen=True)
class Download:
    """A file about to be streamed: its name (safe to offer), type and size."""

    name: str
    media_type: str
    size: int
    file: StoredFile


class StopUpload(Exception):
    """The request must stop and keep nothing (a limit passed, the case gone)."""

    def __init__(self, page: tuple[str, str], status: int) -> None:
        super().__init__(page[0])
        self.page = page
        self.status = status


@dataclass
class Desk:
    db: Database
    core: Core

    # --- upload ------------------------------------------------------------------------------

    def page(self, secret: str) -> UploadPage | None:
        """The upload page's facts; None when the link does not work (nothing is used up)."""
        with self.db.read() as session:
            session.info["writes"] = False
            grant = links.db_peek(session, self.core, secret, Purpose.UPLOAD)
            if grant is None or not self._may_use(session, grant):
                return None
            return UploadPage(grant.code, grant.anonymous, grant.scrub,
                              self.core.evidence.file_max_bytes, self._left(session, grant))

    def begin(self, secret: str) -> Upload | None:
        """Use the upload link (single use); None when it does not work."""
        with self.db.write() as session:
            grant = links.db_claim(session, self.core, secret, Purpose.UPLOAD)
            if grant is None or not self._may_use(session, grant):
                return None
            return Upload(grant, store.staging_owner(), self._left(session, grant),
                          self.core.evidence.file_max_bytes)

    def add(self, upload: Upload, filename: str, data: bytes, *, scrub_asked: bool) -> None:
        """Check one file (its type by content; names removed when asked or always for an
        anonymous reporter) and seal it under the request's staging owner; a refusal is listed."""
        scrub = upload.grant.scrub or scrub_asked
        examined = content.examine(data, filename=filename, scrub=scrub)
        if isinstance(examined, content.Refused):
            upload.refused.append((content.safe_name(filename), examined.reason))
            return
        if len(examined.data) > upload.left:
            raise StopUpload(wording.TOO_LARGE, 413)
        name = content.safe_name(filename, kind=examined.kind)
        grant = upload.grant
        adder = Adder(grant.role, grant.person_id, grant.name)
        with self.db.write(alone=True) as session:  # a file's pieces: long; no one waits on it
            stored = store.db_add(session, self.core, owner=upload.staged, name=name,
                                  kind=examined.kind.value, data=examined.data, added_by=adder,
                                  removed=examined.removed, unchecked=examined.unchecked)
        upload.left -= stored.size
        upload.stored.append(stored)

    def finish(self, upload: Upload) -> None:
        """The request went through: its files move to the case (or the held report), with
        their chain of custody audited, and the link's use."""
        grant = upload.grant
        with self.db.write() as session:
            held = None
            if grant.pending_id is not None:
                query = select(PendingReport).where(PendingReport.id == grant.pending_id)
                if self.db.is_postgres:  # wait for a recorder recording it now, then see it gone
                    query = query.with_for_update()
                held = session.exec(query).first()
            report = None if held is not None else session.get(Report, grant.report_id)
            if held is None and (report is None or report.shredded_at is not None):
                store.db_drop_staged(session, self.core, upload.staged)
                raise StopUpload(wording.CASE_CLOSED, 410)
            owner = held.id if held is not None else grant.report_id
            store.db_commit_staged(session, self.core, staged=upload.staged, owner=owner,
                                   report_id=None if held is not None else grant.report_id,
                                   anonymous=grant.anonymous)
            links.db_audit_use(session, self.core, grant, report_recorded=held is None)
            if held is None and upload.refused:
                self.core.audit_event(
                    session, actor=grant.actor, action=AuditAction.FILE_REFUSED,
                    record_kind=RecordKind.REPORT, record_id=grant.report_id,
                    detail={"files": len(upload.refused)},
                    at=self.core.today_start() if grant.anonymous else None)

    def abandon(self, upload: Upload) -> None:
        """The request stopped half-way: what it stored is shredded."""
        with self.db.write() as session:
            store.db_drop_staged(session, self.core, upload.staged)

    # --- download ----------------------------------------------------------------------------

    def download_page(self, secret: str) -> DownloadPage | None:
        """The download's confirmation page (its GET): what the link is for, in a read that
        writes nothing, so a URL scanner or a proxy fetching the link uses nothing up. None when
        the link would not work now (the case gate again, not audited: nothing is done)."""
        with self.db.read() as session:
            session.info["writes"] = False
            grant = links.db_peek(session, self.core, secret, Purpose.DOWNLOAD)
            if grant is None or grant.file_id is None or not self._may_use(session, grant):
                return None
            stored = store.db_file(session, self.core, grant.file_id)
            if stored is None or stored.owner != grant.report_id:
                return None
        kind = content.FileType(stored.kind)
        return DownloadPage(grant.code, content.safe_name(stored.name, kind=kind), kind.value,
                            stored.size)

    def download(self, secret: str) -> Download | None:
        """Use a download link (single use), after the case gate again; None when it does not
        work (used, expired, the member kept away since, the file gone)."""
        with self.db.write() as session:
            grant = links.db_claim(session, self.core, secret, Purpose.DOWNLOAD)
            if grant is None or grant.file_id is None or not self._may_use(session, grant):
                return None
            stored = store.db_file(session, self.core, grant.file_id)
            if stored is None or stored.owner != grant.report_id:
                return None
            links.db_audit_use(session, self.core, grant, report_recorded=True)
            self.core.audit_event(session, actor=grant.actor, action=AuditAction.FILE_DOWNLOADED,
                                  record_kind=RecordKind.REPORT, record_id=grant.report_id,
                                  detail={"file": stored.id, "sha256": stored.sha256})
        kind = content.FileType(stored.kind)
        return Download(content.safe_name(stored.name, kind=kind), kind.media_type, stored.size,
                        stored)

    def pieces(self, download: Download) -> Iterator[bytes]:
        """The file's content, a few pieces at a time (each batch in a short read), checked
        against its SHA-256 at the end: `store.FileDamaged` if it does not match."""
        digest = hashlib.sha256()
        for start in range(0, download.file.pieces, PIECES_AT_ONCE):
            with self.db.read() as session:
                batch = store.db_pieces(session, self.core, download.file, start=start,
                                        count=PIECES_AT_ONCE)
            for piece in batch:
                digest.update(piece)
                yield piece
        if digest.hexdigest() != download.file.sha256:
            raise store.FileDamaged(f"file {download.file.id}: its content does not match")

    # --- checks ------------------------------------------------------------------------------

    def _may_use(self, session: Session, grant: Grant) -> bool:
        """The reporter's link is theirs by the case it names; a member's (or a designee's) passes
        the case gate again now (audited there when refused)."""
        if grant.person_id is None:
            return True
        person = session.get(Person, grant.person_id)
        if person is None or not person.active:
            return False
        try:
            db_case_for(session, self.core, person, grant.report_id,
                        action=f"files.{grant.purpose}",
                        designee_may=DesignationScope.INVESTIGATE)
        except CandorError as refusal:
            if refusal.keep is not None and session.info.get("writes", True):
                refusal.keep(session)  # audited with the link's use
            return False
        return True

    def _left(self, session: Session, grant: Grant) -> int:
        owners = [grant.report_id] + ([grant.pending_id] if grant.pending_id else [])
        used = store.db_total(session, self.core, owners)
        return max(0, self.core.evidence.case_max_bytes - used)
