"""Recording a report and alerting the committee, in one transaction.

The report's content and, for a named report, who reported, are sealed; an anonymous report keeps
only a slow hash of the secret shown once to its reporter. The channel alert is written to the
outbox in the same transaction, so the committee is told exactly when the report exists. A named
report (or an anonymous one with no delay set) is recorded in its reporter's request; an anonymous
report under a delay is held sealed and recorded later by `bot.pending`, through `db_record` too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, exists, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot import codes, sanitize
from bot.confidential import dated_by_day
from bot.confidential import db_reports_of as reporters_own
from bot.confidential import db_seal as seal_reporter
from bot.core import REPORTER, Core, actor_id
from bot.delivery.outbox import db_enqueue
from bot.fresh_secret import db_fresh_secret
from bot.intake import Draft
from bot.messages import CHANNEL
from bot.report_content import FIELDS, NamedReporter, ReportContent
from storage.db import ByTags, TagMatch
from storage.models import Exclusion, PendingReport, Person, Report, StatusChange, new_id
from storage.vocabulary import AuditAction, CaseStatus, Category, Platform, RecordKind

REPORT = RecordKind.REPORT


@dataclass(frozen=True)
class Receipt:
    report_id: str
    code: str
    secret: str | None  # shown once, for an anonymous report


def reporter_tag(core: Core, person_id: int) -> str:
    return core.vault.tag("reporter", str(person_id))


def reporter_tags(core: Core, person_id: int) -> list[str]:
    """A named reporter's tags under every index key the keyring holds (an index-key rotation
    re-tags reports while servers run)."""
    return core.vault.tags("reporter", str(person_id))


def report_content(draft: Draft, person: Person, platform: Platform) -> ReportContent:
    """What a report seals: the draft's fields and, for a named report, who reported."""
    return ReportContent(
        texts={f.name: draft.text(f.name) for f in FIELDS},
        reporter=None if draft.anonymous or draft.confidential
        else named_reporter(person, platform))


def named_reporter(person: Person, platform: Platform) -> NamedReporter:
    """Who reported, as the roster has them now."""
    return NamedReporter(person_id=person.id, name=person.name, email=person.email,
                         platform=platform.value)


def db_submit(session: Session, core: Core, *, draft: Draft, person: Person,
              platform: Platform) -> Receipt:
    """Seal and record the report now, with its exclusions, the audit event and the channel alert.
    (An anonymous report under a delay is held sealed instead, and recorded later: bot.pending.)"""
    assert draft.category is not None and draft.anonymous is not None
    # First: it may send the event back to have a secret made outside the transaction.
    secret, secret_hash = db_fresh_secret(session) if draft.anonymous else (None, None)
    report_id = new_id()
    # An anonymous or confidential report is dated by its day in every plain row (report,
    # exclusion, audit, outbox): its moment must not point at its reporter.
    hidden = draft.anonymous or draft.confidential
    moment = core.today_start() if hidden else core.now()
    report = db_record(
        session, core, report_id=report_id, code=None, category=draft.category,
        anonymous=draft.anonymous,
        reporter_tag=None if hidden or person.id is None else reporter_tag(core, person.id),
        secret_hash=secret_hash, content=report_content(draft, person, platform).to_json(),
        exclude=draft.exclude, moment=moment,
        confidential=named_reporter(person, platform) if draft.confidential else None)
    return Receipt(report_id, report.code, secret)


def db_record(session: Session, core: Core, *, report_id: str, code: str | None,
              category: Category, anonymous: bool, reporter_tag: str | None,
              secret_hash: str | None, content: dict[str, Any], exclude: Sequence[int],
              moment: datetime, confidential: NamedReporter | None = None) -> Report:
    """Write the report, its exclusions, their audit events (dated `moment`) and its channel
    alert, due now: everything that makes a case exist, in the caller's transaction. A
    confidential report's reporter (`confidential`) is sealed in a record of its own
    (`bot.confidential`). `code` None: a new case code is drawn, one that no report has and no
    held report reserves (a held report being recorded brings the code it reserved)."""
    # The row is written with a Core statement (as its data key and its alert are): a report is
    # written once, here, and the unit of work's bookkeeping would be most of the transaction's
    # cost. The `Report` returned is a copy for reading, not in the session. The new records'
    # data keys (the report's, its alert's, ...) are written together, at the end.
    with core.vault.keys_together(session):
        return _db_record(session, core, report_id=report_id, code=code, category=category,
                          anonymous=anonymous, reporter_tag=reporter_tag,
                          secret_hash=secret_hash, content=content, exclude=exclude,
                          moment=moment, confidential=confidential)


def _db_record(session: Session, core: Core, *, report_id: str, code: str | None,
               category: Category, anonymous: bool, reporter_tag: str | None,
               secret_hash: str | None, content: dict[str, Any], exclude: Sequence[int],
               moment: datetime, confidential: NamedReporter | None) -> Report:
    row: dict[str, Any] = {
        "id": report_id, "code": code, "category": category, "status": CaseStatus.RECEIVED,
        "anonymous": anonymous, "reporter_tag": reporter_tag, "secret_hash": secret_hash,
        "received_at": moment, "confidential": confidential is not None,
        "body": core.vault.seal(session, kind=REPORT, record_id=report_id, data=content,
                                new=True)}
    if code is None:
        _db_insert_with_new_code(session, core, row)
    else:
        session.connection().execute(_INSERT_REPORT, row)
    # Read by the alert and the caller only: built without validation or the ORM's
    # instrumentation (a ninth of the cost of `Report(**row)`), it cannot be added to a session.
    report = Report.model_construct(**row)
    if confidential is not None:  # its identity row refers to the report, written already
        seal_reporter(session, core, report_id=report_id, reporter=confidential)
    exclusion_id = new_id() if exclude else None
    if exclusion_id is not None:  # after the report: the row refers to it
        session.connection().execute(_INSERT_EXCLUSION, {
            "id": exclusion_id, "report_id": report_id, "created_at": moment,
            "body": core.vault.seal(session, kind=RecordKind.EXCLUSION, record_id=exclusion_id,
                                    data={"members": list(exclude), "by": "reporter"}, new=True)})
    core.audit_event(session, actor=REPORTER, action=AuditAction.REPORT_SUBMITTED,
                     record_kind=REPORT,
                     record_id=report_id,
                     detail={"category": category.value, "anonymous": anonymous,
                             **({"confidential": True} if confidential is not None else {})},
                     at=moment)
    if exclusion_id is not None:  # audited like the chair's: the exclusion row, never the member
        core.audit_event(session, actor=REPORTER, action=AuditAction.CASE_EXCLUSION_ADDED,
                         record_kind=REPORT,
                         record_id=report_id, detail={"exclusion": exclusion_id}, at=moment)
    # The alert is due now, never at `moment` (a day's start): a notice dated back to midnight
    # would count as waiting since then.
    db_alert(session, core, report, fresh=True, dated=moment, not_before=core.now())
    return report


def code_tag(core: Core, code: str) -> str:
    """The keyed tag a pending report's case code is reserved and found by (bot.pending)."""
    return core.vault.tag("pending-code", code)


def code_tags(core: Core, code: str) -> list[str]:
    """`code_tag` under every index key the keyring holds (an index-key rotation)."""
    return core.vault.tags("pending-code", code)


def db_unused_code(session: Session, core: Core) -> str:
    """A case code no report has and no pending report holds (one statement asks both)."""
    for _ in range(_TRIES):
        code = codes.new_case_code()
        if not session.connection().execute(
                *_CODE_TAKEN.given(code_tags(core, code), code=code)).scalar():
            return code
    raise IntegrityError("case code space exhausted", None, ValueError())


def _db_insert_with_new_code(session: Session, core: Core, row: dict[str, Any]) -> None:
    """Insert the report `row` under a new case code (set in `row`): one statement writes it
    only where the code drawn is free, as `db_unused_code` would ask, and draws again when it
    wrote nothing."""
    for _ in range(_TRIES):
        row["code"] = codes.new_case_code()
        if session.connection().execute(
                *_INSERT_REPORT_IF_FREE.given(code_tags(core, row["code"]), **row)
        ).first() is not None:
            return
    raise IntegrityError("case code space exhausted", None, ValueError())


_TRIES = 20
_INSERT_REPORT = insert(Report.__table__)  # type: ignore[attr-defined]
_INSERT_EXCLUSION = insert(Exclusion.__table__)  # type: ignore[attr-defined]
_REPORTS, _PENDING = Report.__table__, PendingReport.__table__  # type: ignore[attr-defined]


def _free(match: TagMatch) -> ColumnElement[bool]:
    """No report has the code, and no held report reserves it (its tags matched by `match`)."""
    return (~exists().where(_REPORTS.c.code == bindparam("code"))
            & ~exists().where(match(_PENDING.c.code_tag)))


_CODE_TAKEN = ByTags(lambda match: select(~_free(match)))
_REPORT_COLUMNS = ("id", "code", "category", "status", "anonymous", "reporter_tag", "secret_hash",
                   "received_at", "confidential", "body")
# The row's values, typed as its columns, selected where the code is free (one round trip);
# its id returned when it was written (psycopg does not count the rows of an INSERT ... SELECT).
_INSERT_REPORT_IF_FREE = ByTags(lambda match: _INSERT_REPORT.from_select(
    list(_REPORT_COLUMNS),
    select(*(bindparam(name, type_=_REPORTS.c[name].type) for name in _REPORT_COLUMNS))
    .where(_free(match))).returning(_REPORTS.c.id))


def db_unseal(session: Session, core: Core, report: Report) -> dict[str, Any]:
    return core.vault.unseal(session, kind=REPORT, record_id=report.id, blob=report.body)


def db_content(session: Session, core: Core, report: Report) -> ReportContent:
    """The report's content, typed (a shredded report opens as nothing given)."""
    return ReportContent.from_json(db_unseal(session, core, report))


def db_alert(session: Session, core: Core, report: Report, *, change: StatusChange | None = None,
             fresh: bool = False, dated: datetime | None = None,
             not_before: datetime | None = None) -> None:
    """The channel alert for a new report, or (with `change`) an edit of it in place."""
    by_name = None
    if report.acknowledged_by is not None:
        member = session.get(Person, report.acknowledged_by)
        by_name = member.name if member else None
    notice = sanitize.alert(sanitize.AlertFacts(
        report_id=report.id, code=report.code, category=report.category, status=report.status,
        received_at=report.received_at, anonymous=dated_by_day(core, report),
        acknowledge_by=core.acknowledge_by(report),
        receipt_due=core.receipt_due(report), feedback_due=core.feedback_due(report),
        acknowledged_by=by_name, acknowledged_at=report.acknowledged_at,
    ))
    alert_key = f"alert:{report.id}"
    if change is None:
        db_enqueue(session, core.vault, now=dated or core.now(), key=alert_key, target=CHANNEL,
                   notice=notice, platforms=core.platforms, fresh=fresh, not_before=not_before)
    else:
        db_enqueue(session, core.vault, now=core.now(), key=f"alert-update:{change.id}",
                   target=CHANNEL, notice=notice, platforms=core.platforms,
                   updates_key=alert_key)


def db_change_status(session: Session, core: Core, report: Report, *, to: CaseStatus,
                     by: Person | None, reason: str | None) -> StatusChange:
    """Move a case, keep the history (reason sealed), audit it, and update the channel alert."""
    change_id = new_id()
    change = StatusChange(
        id=change_id, report_id=report.id, from_status=report.status, to_status=to,
        by_id=by.id if by else None, at=core.now(),
        body=core.vault.seal(session, kind=RecordKind.STATUS_CHANGE, record_id=change_id,
                             data={"reason": reason}),
    )
    report.status = to
    if to is CaseStatus.CLOSED:
        report.closed_at = core.now()
    session.add(change)
    session.add(report)
    session.flush()
    core.audit_event(session, actor=actor_id(by) if by else "system",
                     action=AuditAction.CASE_STATUS,
                     record_kind=REPORT, record_id=report.id,
                     detail={"from": change.from_status.value, "to": to.value})
    db_alert(session, core, report, change=change)
    return change


def db_reports_of(session: Session, core: Core, person: Person) -> list[Report]:
    """A named reporter's own cases, found by their blind index."""
    if person.id is None:
        return []
    tag = reporter_tag(core, person.id)
    named = list(session.exec(select(Report).where(Report.reporter_tag == tag)
                              .order_by(Report.received_at)).all())  # type: ignore[arg-type]
    # and their confidential ones (issue 24), found by opening each confidential case's record
    return sorted(named + reporters_own(session, core, person), key=lambda r: r.received_at)
