"""Retention and legal hold: closed cases are kept for a period, then shredded.

Shredding deletes the data keys of the report and of everything sealed about it (follow-up
messages, status changes, exclusions, determinations, notes, the outbox notices that named it),
so no backup of the database can open them again. The `Report` row stays as the tombstone the
register lists: code, category, status and dates (not who led it). A legal hold stops all of it
until it is released; the hold's reason is sealed inside the report itself, and every hold,
release and shred is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot import actions, confidential, reveal
from bot.access import db_chair_case
from bot.committee import REASON_LIMIT
from bot.core import CandorError, Core, actor_id, required_text
from bot.delivery.outbox import key_ids
from bot.evidence.store import db_shred_owner as db_shred_files
from bot.messages import FieldKind, Form, FormField, Reply, Text
from bot.reports import REPORT, db_content
from bot.schedule.calendar import shift_years
from bot.wording import casework, refusals
from storage.models import (
    CaseLead,
    CaseMessage,
    CaseNote,
    Designation,
    Determination,
    Exclusion,
    NoticeDelivery,
    OutboxMessage,
    Person,
    Report,
    StatusChange,
)
from storage.vocabulary import AuditAction, CaseStatus, RecordKind

DEFAULT_YEARS = 7
TOMBSTONE = b""  # the report's body once shredded: nothing sealed remains


def shred_after(report: Report, years: int = DEFAULT_YEARS) -> datetime | None:
    """When a closed case's retention ends; None while it is open."""
    if report.status is not CaseStatus.CLOSED or report.closed_at is None:
        return None
    return shift_years(report.closed_at, years)


def is_due(report: Report, now: datetime, years: int = DEFAULT_YEARS) -> bool:
    """Whether the case is to be shredded at `now`: closed, past retention, not held, not gone."""
    end = shred_after(report, years)
    return (end is not None and end <= now and not report.legal_hold
            and report.shredded_at is None)


# Shredding cannot be undone, so it is never judged by a time the real clock has not reached:
# `candor sweep --now` in the future rehearses reminders and never destroys a case early, and
# `candor retention run --now` in the future only shows (--dry-run) what that day would shred.
CLOCK_SLACK = timedelta(minutes=5)  # a time typed a moment ahead of this machine's clock is "now"


def judged_at(asked: datetime, *, now: datetime) -> datetime:
    """The time shredding is judged by when `asked` is the time given: never later than the real
    clock, `now`."""
    return min(asked, now)


def ahead_of_the_clock(asked: datetime, *, now: datetime) -> bool:
    """Whether `asked` is in the future, beyond a clock's drift: shredding by it is refused."""
    return asked > now + CLOCK_SLACK


def db_due(session: Session, now: datetime, years: int = DEFAULT_YEARS) -> list[Report]:
    # Only cases closed long enough ago (an index on `closed_at`), not every closed case kept:
    # a day more than the retention, as a 29 February's anniversary falls on the 28th.
    closed_by = shift_years(now, -years) + timedelta(days=1)
    rows = session.exec(select(Report).where(Report.status == CaseStatus.CLOSED,
                                             col(Report.shredded_at).is_(None),
                                             col(Report.closed_at) <= closed_by)
                        .order_by(col(Report.closed_at))).all()
    return [r for r in rows if is_due(r, now, years)]


@dataclass(frozen=True)
class Shredded:
    code: str
    keys: int


def db_shred(session: Session, core: Core, report: Report, *, actor: str = "system",
             at: datetime | None = None) -> Shredded:
    """Delete every data key sealed about the case and leave the tombstone."""
    if report.legal_hold:
        raise CandorError(casework.hold_set(report.code))
    keys = 0
    related: list[tuple[RecordKind, str]] = [(REPORT, report.id)]
    for kind, model in ((RecordKind.CASE_MESSAGE, CaseMessage),
                        (RecordKind.STATUS_CHANGE, StatusChange),
                        (RecordKind.EXCLUSION, Exclusion), (RecordKind.DETERMINATION,
                                                            Determination),
                        (RecordKind.NOTICE_DELIVERY, NoticeDelivery),  # the written notice
                        (RecordKind.DESIGNATION, Designation),  # issue 22
                        (RecordKind.CASE_NOTE, CaseNote)):  # notes (issue 22)
        ids = session.exec(select(model.id).where(model.report_id == report.id)).all()
        related += [(kind, str(i)) for i in ids]
    related += reveal.db_related(session, report)  # issue 24: requests to reveal, their votes
    # Notices that named the case (alerts, questions, answers) carry its id or a related id.
    names = {report.id} | {i for _k, i in related}
    for row in session.exec(select(OutboxMessage)).all():
        if names & key_ids(row.key):
            related.append((RecordKind.OUTBOX, row.id))
            session.delete(row)
    for kind, record_id in related:
        keys += core.vault.shred(session, kind=kind, record_id=record_id)
    keys += db_shred_files(session, core, report.id)  # evidence files (issue 23)
    keys += confidential.db_shred(session, core, report)  # issue 24: the sealed reporter too
    report.body = TOMBSTONE
    report.secret_hash = None
    report.reporter_tag = None
    lead = session.get(CaseLead, report.id)  # the tombstone names no member beside it (issue 22)
    if lead is not None:
        session.delete(lead)
    report.shredded_at = at or core.now()
    session.add(report)
    core.audit_event(session, actor=actor, action=AuditAction.CASE_SHREDDED, record_kind=REPORT,
                     record_id=report.id, detail={"keys": keys})
    return Shredded(report.code, keys)


# --- legal hold -------------------------------------------------------------------------------


def db_set_hold(session: Session, core: Core, report: Report, *, hold: bool, reason: str,
                actor: str) -> None:
    """Place or release a legal hold; the reason goes sealed into the report's own record."""
    if report.shredded_at is not None:
        raise CandorError(refusals.CASE_NOT_FOUND)
    reason = required_text("reason", reason, limit=REASON_LIMIT)
    content = db_content(session, core, report)
    placed = {"hold": hold, "reason": reason, "by": actor, "at": core.now().isoformat()}
    content = replace(content, holds=(*content.holds, placed))
    report.body = core.vault.seal(session, kind=REPORT, record_id=report.id,
                                  data=content.to_json())
    report.legal_hold = hold
    session.add(report)
    core.audit_event(session, actor=actor,
                     action=AuditAction.CASE_HOLD if hold else AuditAction.CASE_HOLD_RELEASED,
                     record_kind=REPORT, record_id=report.id)


def db_hold_form(session: Session, core: Core, member: Person, report_id: str) -> list[Reply]:
    report = db_chair_case(session, core, member, report_id, action="hold")
    release = report.legal_hold
    return [Form(actions.HoldSubmit(report.id).encode(),
                 casework.hold_title(report.code, release=release), (
        FormField("reason", casework.REASON_PROMPT, FieldKind.MULTILINE,
                  max_length=REASON_LIMIT),
    ), submit_label=casework.hold_action(release=release))]


def db_hold_submit(session: Session, core: Core, *, member: Person, report_id: str,
                   reason: str) -> list[Reply]:
    """The chair's form toggles the hold: places it, or releases the one in place."""
    report = db_chair_case(session, core, member, report_id, action="hold")
    hold = not report.legal_hold
    db_set_hold(session, core, report, hold=hold, reason=reason, actor=actor_id(member))
    return [Text(casework.hold_set(report.code) if hold else casework.hold_released(report.code))]
