"""The written notice's use cases: a member allowed on the case takes its notice letters (for the
command line now, for the private download page later), and records the day a letter was
delivered to its officer.

Both pass the case gate (`bot.access.db_case_for`: an outsider or a member kept away is refused
and audited); every letter taken and every delivery recorded is audited. A letter is never posted
in a channel: it leaves Candor only as a file for the member who asked. What the letter says is
`bot.notice_letter`'s; how it is laid out as a PDF is `adapters.export.notice_pdf`'s.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot import actions, fields
from bot.access import db_case_for
from bot.core import CandorError, Core, actor_id
from bot.fields import FormReader
from bot.messages import Choice, FieldKind, Form, FormErrors, FormField, Reply, Text
from bot.notice_letter import DELIVERY, WrittenNotice, db_written_notices
from bot.reports import REPORT
from bot.wording import notice_letter as words
from bot.wording import refusals
from storage.models import NoticeDelivery, Person, Report, new_id
from storage.vocabulary import AuditAction

HOW_LIMIT = fields.LINE


def db_letters(session: Session, core: Core, member: Person, code: str, *,
               operator: str | None = None,
               determination_id: str | None = None) -> tuple[Report, tuple[WrittenNotice, ...]]:
    """The case's written notices with their letters (only that determination's, if given: what a
    download link for one letter asks), for `member` (refused, and audited, unless they may open
    the case); each letter handed out is audited. `operator` is who asked in the member's name at
    the command line (audited beside them)."""
    report = session.exec(select(Report).where(Report.code == code)).first()
    if report is None:
        raise CandorError(refusals.CASE_NOT_FOUND)
    report = db_case_for(session, core, member, report.id, action="notice_letter",
                         operator=operator)
    notices = tuple(n for n in db_written_notices(session, core, report)
                    if determination_id in (None, n.determination_id))
    if not notices:
        raise CandorError(words.no_written_notice(report.code))
    for notice in notices:
        detail: dict[str, Any] = {"determination": notice.determination_id}
        if operator:
            detail["operator"] = operator
        core.audit_event(session, actor=actor_id(member),
                         action=AuditAction.NOTICE_LETTER_EXPORTED, record_kind=REPORT,
                         record_id=report.id, detail=detail)
    return report, notices


def delivery_choices(report: Report, notices: tuple[WrittenNotice, ...]) -> tuple[Choice, ...]:
    """The case view's buttons: one for each written notice whose delivery is not recorded."""
    return tuple(Choice(words.delivery_button(n.letter.officer),
                        actions.NoticeDeliveryForm(report.id, n.determination_id).encode())
                 for n in notices if not n.delivered)


def _db_notice(session: Session, core: Core, report: Report,
               determination_id: str) -> WrittenNotice:
    """The written notice of that determination on this case, not yet delivered; a refusal
    otherwise (a forged id reads as a case without such a determination)."""
    found = {n.determination_id: n for n in db_written_notices(session, core, report)}
    notice = found.get(determination_id)
    if notice is None:
        raise CandorError(words.no_written_notice(report.code))
    if notice.delivered_on is not None:
        raise CandorError(words.already_delivered(notice.delivered_on))
    return notice


def db_delivery_form(session: Session, core: Core, member: Person, report_id: str,
                     determination_id: str) -> list[Reply]:
    report = db_case_for(session, core, member, report_id, action="notice_delivery")
    notice = _db_notice(session, core, report, determination_id)
    return [Form(actions.NoticeDeliverySubmit(report.id, determination_id).encode(),
                 words.delivery_title(report.code), (
        FormField("delivered_on", words.DELIVERED_ON, FieldKind.DATE,
                  initial=core.today().isoformat()),
        FormField("how", words.DELIVERED_HOW, required=False, max_length=HOW_LIMIT),
    ), submit_label=words.DELIVERY_SUBMIT,
        intro=words.delivery_intro(notice.letter.officer, notice.letter.decided_on))]


def db_record_delivery(session: Session, core: Core, *, member: Person, report_id: str,
                       determination_id: str, values: dict[str, Any]) -> list[Reply]:
    """Record the day the letter was delivered (not in the future, not before the determination);
    how, if said, is sealed. Audited. Two members recording it at once make one record."""
    report = db_case_for(session, core, member, report_id, action="notice_delivery")
    notice = _db_notice(session, core, report, determination_id)
    form = FormReader(values)
    on = form.date("delivered_on", today=core.today())
    how = form.optional_text("how", limit=HOW_LIMIT)
    if on is not None and on < notice.letter.decided_on:
        form.refuse("delivered_on", words.before_determination(notice.letter.decided_on))
    if form.errors or on is None:
        return [FormErrors(actions.NoticeDeliverySubmit(report.id, determination_id).encode(),
                           form.errors)]
    row_id = new_id()
    try:
        with session.begin_nested():
            session.add(NoticeDelivery(
                id=row_id, report_id=report.id, determination_id=determination_id,
                delivered_on=on, recorded_by=member.id, recorded_at=core.now(),
                body=core.vault.seal(session, kind=DELIVERY, record_id=row_id,
                                     data={"how": how}, new=True)))
            session.flush()
    except IntegrityError:  # another member recorded it first
        first = session.exec(select(NoticeDelivery).where(
            NoticeDelivery.determination_id == determination_id)).first()
        raise CandorError(words.already_delivered(first.delivered_on if first else on)) from None
    core.audit_event(session, actor=actor_id(member), action=AuditAction.NOTICE_LETTER_DELIVERED,
                     record_kind=REPORT, record_id=report.id,
                     detail={"determination": determination_id, "delivered_on": on.isoformat()})
    return [Text(words.delivery_recorded(report.code, notice.letter.officer, on))]
