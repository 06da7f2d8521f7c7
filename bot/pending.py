"""Sealed pending submissions: an anonymous report accepted in its reporter's request, recorded
later, at a random moment, by a transaction that is nobody's.

Why. A report recorded in its reporter's own request sits, whatever its plain times say, next to
that person's other traffic in the order of writes: the audit log's sequence, the data keys' ids,
the WAL, the outbox. So, when `CANDOR_ANONYMOUS_DELAY_MINUTES` is above 0, the request writes only
a `PendingReport`: a random id, a keyed tag of its case code, its day, and sealed, everything else
(the report's content and id, its code, the slow hash of its secret, the members kept away, the
platform, and the moment it becomes due: now plus a uniform delay drawn from `SystemRandom`). The
reporter gets the receipt (code and secret) at once; the tag reserves the code. Nothing in that
transaction is keyed to the reporter: no audit row, no identity, no data key of the report.

Recording. `Recorder.run`, called by the notifier's loop in `candor serve` and by `candor sweep`,
opens the handful of pending rows to read their due time (kept in memory, by id, until recorded)
and records each that is due in one transaction of its own: the report, its exclusions, their
audit events and the channel alert exactly as `bot.reports.db_record` writes them for a report
recorded at once (dated by the day; the alert due now), and the pending row shredded (its data
key, then the row). That transaction reads and writes nothing of any person: no draft, identity,
conversation, handled event, kept receipt or guess counter. Two recorders (two servers) never
record one row twice: the row is read again inside the recording transaction, under
`FOR UPDATE SKIP LOCKED` on PostgreSQL (the other recorder skips it) and `BEGIN IMMEDIATE` on
SQLite (the other waits, then finds it gone); the report's id, drawn at submission, is its
primary key besides. The row is in the database, so a restart loses nothing.

The typed conversation. Its draft (the person's `Conversation` row) is deleted in the request
transaction, beside the pending row only: every step of it is in the chat's history anyway (the
officer was told so before typing), and the report, its audit rows, its data keys and its alert are
written later, by the recorder, beside nothing of that person. A form's submit writes nothing of
its person at all; a typed draft the person left unfinished is not touched then (it expires on its
own, or the next typed message continues it).

Answers. An anonymous reporter's answer to the committee is held the same way (`db_hold_answer`):
the request writes only a `PendingAnswer` (a random id, its day, sealed: the case, the answer, the
moment it becomes due); the recorder turns it into the `CaseMessage`, its `case.answer` audit event
(both dated by the day) and the committee's notice (due at once: the recording moment is the cover),
and shreds the row, in a transaction of its own that touches nothing of any person. Until then the
reporter's status view does not list the answer. A status check writes nothing at all.

While pending (`db_held`, called from `bot.followup`): a status check with the code and the right
secret shows the case as received, dated by its day, with no questions yet; a wrong secret is
refused and counted like any other; a secret typed into a chat is replaced inside the sealed row,
and audited (by day) when the report is recorded. No audit row names the report before then.

What this does not hide: someone reading the WAL as it is written (or PostgreSQL's WAL archive)
sees a pending row appear at the moment of the submission, and the recorder's transaction delete
it while inserting the report, so the two can be paired. What keeps that moment from naming the
reporter is that nothing written then is keyed to them. The plain tables, a dump or a backup taken
later, the audit log, the outbox and the channel show only the recording.

Health (`db_overdue`): rows past their due time by more than `OVERDUE_AFTER` (the recorder is not
running) are counted for /healthz, /metrics and `candor status`; a count only, no time.
Functions named `db_*` take the caller's session and never commit.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot import codes, sanitize
from bot.core import REPORTER, Core
from bot.delivery.outbox import db_enqueue
from bot.intake import Draft
from bot.messages import CHANNEL, Document
from bot.report_content import NamedReporter
from bot.reports import (
    REPORT,
    Receipt,
    code_tag,
    code_tags,
    db_record,
    db_unused_code,
    named_reporter,
    report_content,
)
from bot.wording import case_labels, casework, following
from storage.clock import as_utc
from storage.crypto import Vault
from storage.db import Database
from storage.keyring import CryptoError
from storage.models import CaseMessage, PendingAnswer, PendingReport, Person, Report, new_id
from storage.vocabulary import (
    AuditAction,
    CaseStatus,
    Category,
    MessageDirection,
    Platform,
    RecordKind,
)

log = logging.getLogger("candor.pending")

KIND = RecordKind.PENDING_REPORT
ANSWER_KIND = RecordKind.PENDING_ANSWER
MESSAGE_KIND = RecordKind.CASE_MESSAGE  # a recorded answer (as bot.followup seals one)
# A pending row this long past its due time means no recorder is running (or it fails on it).
OVERDUE_AFTER = timedelta(minutes=5)
HEALTH_REASON = "anonymous_reports_unrecorded"  # how /healthz and `candor status` name the count
_random = random.SystemRandom()  # the delay: unpredictable, so it cannot be subtracted


def delayed(core: Core) -> datetime:
    """Now plus a uniform random delay of up to CANDOR_ANONYMOUS_DELAY_MINUTES: when something an
    anonymous reporter did may reach the committee (their report, their answer)."""
    return core.now() + timedelta(
        seconds=_random.uniform(0, core.schedule.anonymous_delay_minutes * 60))


def db_hold(session: Session, core: Core, *, draft: Draft, person: Person,
            platform: Platform) -> Receipt:
    """Accept an anonymous report: seal it in a pending row, due after a random delay, and
    return its receipt. Writes nothing else."""
    assert draft.category is not None and (draft.anonymous or draft.confidential)
    pending_id, report_id = new_id(), new_id()
    code = db_unused_code(session, core)
    # A confidential report is held too (issue 24): its reporter sealed in the row, no secret.
    secret = None if draft.confidential else codes.new_secret()
    due = delayed(core)
    data = {
        "report_id": report_id, "code": code, "category": draft.category.value,
        "secret_hash": core.vault.hash_secret(codes.normalise(secret)) if secret else None,
        "content": report_content(draft, person, platform).to_json(),
        "exclude": list(draft.exclude),
        "due": due.isoformat(), "platform": platform.value, "secrets_replaced": 0,
        "confidential": (named_reporter(person, platform).to_json() if draft.confidential
                         else None),
    }
    session.add(PendingReport(
        id=pending_id, code_tag=code_tag(core, code), received_at=core.today_start(),
        body=core.vault.seal(session, kind=KIND, record_id=pending_id, data=data, new=True),
    ))
    return Receipt(report_id, code, secret)


def db_hold_answer(session: Session, core: Core, *, report: Report, answer: str) -> None:
    """Accept an anonymous reporter's answer: seal it in a pending row, due after a random delay.
    Writes nothing else (no message, audit event, notice or data key of the case)."""
    pending_id = new_id()
    data = {"report_id": report.id, "message_id": new_id(), "text": answer,
            "due": delayed(core).isoformat()}
    session.add(PendingAnswer(
        id=pending_id, received_at=core.today_start(),
        body=core.vault.seal(session, kind=ANSWER_KIND, record_id=pending_id, data=data, new=True),
    ))


_Row = PendingReport | PendingAnswer
_T = TypeVar("_T", PendingReport, PendingAnswer)


def _kind(row: _Row) -> RecordKind:
    return KIND if isinstance(row, PendingReport) else ANSWER_KIND


def _open(session: Session, vault: Vault, row: _Row) -> dict[str, Any]:
    return vault.unseal(session, kind=_kind(row), record_id=row.id, blob=row.body)


def _due(data: dict[str, Any]) -> datetime:
    return as_utc(datetime.fromisoformat(str(data["due"])))


# --- while pending: its reporter's status check ------------------------------------------------


@dataclass(frozen=True)
class Held:
    """A pending report as its reporter may see it: its code, the day received, nothing asked."""

    pending_id: str
    code: str
    secret_hash: str
    received_at: datetime
    anonymous: bool = True  # only anonymous reports wait (a named one is recorded at once)


def db_held(session: Session, core: Core, code: str) -> Held | None:
    """The pending report holding this case code, if one does."""
    row = session.exec(select(PendingReport)
                       .where(col(PendingReport.code_tag).in_(code_tags(core, code)))).first()
    if row is None:
        return None
    data = _open(session, core.vault, row)
    # A held confidential report has no secret: nothing opens it by code (its reporter sees it
    # under My reports once it is recorded).
    return Held(row.id, str(data["code"]), str(data.get("secret_hash") or ""),
                as_utc(row.received_at), anonymous=data.get("confidential") is None)


def db_replace_secret(session: Session, core: Core, held: Held, *, secret_hash: str) -> None:
    """A new secret for a report not recorded yet (the old one was typed into a chat): the hash
    goes into the sealed row; the replacement is audited when the report is recorded."""
    row = session.get(PendingReport, held.pending_id)
    if row is None:  # recorded meanwhile, between the check and now: nothing left to change here
        return
    data = _open(session, core.vault, row)
    data["secret_hash"] = secret_hash
    data["secrets_replaced"] = int(data.get("secrets_replaced", 0)) + 1
    row.body = core.vault.seal(session, kind=KIND, record_id=row.id, data=data)
    session.add(row)


def status_view(held: Held) -> Document:
    """What a fresh case's status shows (received, its day, no questions), without the answer
    button: there is nothing to answer until the committee asks."""
    return Document(title=case_labels.case_title(held.code), sections=(
        (case_labels.STATUS, CaseStatus.RECEIVED.label),
        (case_labels.RECEIVED, held.received_at.strftime("%Y-%m-%d")),
        (case_labels.QUESTIONS, following.CASE_NO_QUESTIONS_YET),
    ))


# --- recording -------------------------------------------------------------------------------


@dataclass
class Recorder:
    """Records the pending reports that are due. One per process; any number per database."""

    db: Database
    core: Core
    unopened: int = 0  # pending rows skipped because they did not open, since the process started
    _due: dict[str, datetime] = field(default_factory=dict, repr=False)  # pending id -> due time

    def run(self, now: datetime | None = None) -> int:
        """Record every pending report due by `now` (default: the core's clock), each in its own
        transaction; returns how many this recorder recorded."""
        moment = now or self.core.now()
        recorded = 0
        for pending_id in self._due_by(moment):
            try:
                recorded += self.record(pending_id, now=moment)
            except CryptoError as exc:
                self.unopened += 1
                log.warning("pending report %s did not open (%s); tried again later", pending_id,
                            type(exc).__name__)
            except IntegrityError:
                # its code or id taken meanwhile: left as it is, and counted overdue
                log.error("pending report %s could not be recorded (a conflicting row)", pending_id)
        if recorded:
            log.info("recorded %d anonymous report(s) held for their delay", recorded)
        return recorded

    def next_due(self) -> datetime | None:
        """When the soonest pending report or answer becomes due; None when none is held."""
        self._due_by(datetime.min.replace(tzinfo=UTC))
        return min(self._due.values(), default=None)

    def _due_by(self, now: datetime) -> list[str]:
        """The ids of pending rows (reports and answers) due by `now`, soonest first. Only rows
        not seen before are opened (to read their due time); rows gone (recorded, here or
        elsewhere) are forgotten."""
        with self.db.read() as session:
            reports = set(session.exec(select(PendingReport.id)).all())
            ids = reports | set(session.exec(select(PendingAnswer.id)).all())
            for gone in set(self._due) - ids:
                del self._due[gone]
            for pending_id in sorted(ids - set(self._due)):
                row: _Row | None = (session.get(PendingReport, pending_id) if pending_id in reports
                                    else session.get(PendingAnswer, pending_id))
                if row is None:
                    continue
                try:
                    self._due[pending_id] = _due(_open(session, self.core.vault, row))
                except CryptoError as exc:
                    self.unopened += 1
                    log.warning("pending report %s did not open (%s); tried again later",
                                pending_id, type(exc).__name__)
        return sorted((i for i, due in self._due.items() if due <= now), key=lambda i: self._due[i])

    def record(self, pending_id: str, *, now: datetime) -> int:
        """Claim the pending row, record its report (or answer) and shred the row, in one
        transaction. Returns 0 when another recorder holds or has recorded it, or it is not due."""
        with self.db.write() as session:
            row: _Row | None = self._claim(session, PendingReport, pending_id)
            if row is None:
                row = self._claim(session, PendingAnswer, pending_id)
            if row is None:
                self._due.pop(pending_id, None)
                return 0
            data = _open(session, self.core.vault, row)
            if _due(data) > now:
                return 0
            if isinstance(row, PendingReport):
                _db_record(session, self.core, row, data)
            else:
                _db_record_answer(session, self.core, row, data)
        self._due.pop(pending_id, None)
        return 1

    def _claim(self, session: Session, table: type[_T], pending_id: str) -> _T | None:
        """The pending row, locked for this recorder (PostgreSQL: skipped when another holds it)."""
        query = select(table).where(table.id == pending_id)
        if self.db.is_postgres:
            query = query.with_for_update(skip_locked=True)
        return session.exec(query).first()


def _db_record(session: Session, core: Core, row: PendingReport, data: dict[str, Any]) -> None:
    moment = as_utc(row.received_at)  # the day it was made, even when recorded the next
    exclude: Sequence[int] = [int(x) for x in data.get("exclude", [])]
    who = data.get("confidential")
    report = db_record(session, core, report_id=str(data["report_id"]), code=str(data["code"]),
                       category=Category(data["category"]), anonymous=who is None,
                       reporter_tag=None,
                       secret_hash=str(data["secret_hash"]) if data.get("secret_hash") else None,
                       content=dict(data["content"]), exclude=exclude, moment=moment,
                       confidential=NamedReporter.from_json(who) if isinstance(who, dict)
                       else None)
    for _ in range(int(data.get("secrets_replaced", 0))):
        core.audit_event(session, actor=REPORTER, action=AuditAction.CASE_SECRET_REPLACED,
                         record_kind=REPORT,
                         record_id=report.id, detail={"reason": "typed_in_chat"}, at=moment)
    core.vault.shred(session, kind=KIND, record_id=row.id)
    session.delete(row)


def _db_record_answer(session: Session, core: Core, row: PendingAnswer,
                      data: dict[str, Any]) -> None:
    """The held answer as `bot.followup` records a named reporter's, dated by its day; the
    committee's notice is due now (the recording moment, itself random, is the cover)."""
    moment = as_utc(row.received_at)
    report = session.get(Report, str(data["report_id"]))
    if report is not None and report.shredded_at is None:  # a case shredded meanwhile: dropped
        message_id = str(data["message_id"])
        session.add(CaseMessage(
            id=message_id, report_id=report.id, direction=MessageDirection.ANSWER,
            author_id=None, created_at=moment,
            body=core.vault.seal(session, kind=MESSAGE_KIND, record_id=message_id,
                                 data={"text": str(data["text"])}),
        ))
        core.audit_event(session, actor=REPORTER, action=AuditAction.CASE_ANSWER,
                         record_kind=REPORT,
                         record_id=report.id, detail={"message": message_id}, at=moment)
        db_enqueue(session, core.vault, now=moment, not_before=core.now(),
                   key=f"answer:{message_id}", target=CHANNEL,
                   notice=sanitize.reminder(casework.answer_for_committee(report.code),
                                            ((case_labels.CASE, report.code),),
                                            report_id=report.id),
                   platforms=core.platforms)
    core.vault.shred(session, kind=ANSWER_KIND, record_id=row.id)
    session.delete(row)


# --- health ----------------------------------------------------------------------------------


def db_overdue(session: Session, vault: Vault, *, now: datetime,
               after: timedelta = OVERDUE_AFTER) -> int:
    """How many pending reports are past their due time by more than `after`: no recorder has
    taken them. A row that does not open counts too (no recorder can record it)."""
    count = 0
    rows: list[_Row] = [*session.exec(select(PendingReport)).all(),
                        *session.exec(select(PendingAnswer)).all()]
    for row in rows:
        try:
            due = _due(_open(session, vault, row))
        except CryptoError:
            count += 1
            continue
        if due + after < now:
            count += 1
    return count
