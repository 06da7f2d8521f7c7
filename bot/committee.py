"""What Audit Committee members do with a case: acknowledge it, open it privately, ask the
reporter a question, move it through its statuses, list the open cases.

Only active committee members act here, and never on a report that keeps them away (the gate
is `bot.access.db_case_for`). Every opening of a case, and every refusal, is written to the
audit log. What the opened details say is
`bot/views/case.py`'s (the case file and the reporter's view are worded from the same pieces).
"""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from bot import (
    actions,
    confidential,
    designations,
    designee_reveal,
    fields,
    lead,
    notes,
    reveal,
    written_notice,
)
from bot.access import db_case_for, db_open_cases
from bot.core import (
    CandorError,
    Core,
    actor_id,
    db_excluded,
    is_committee,
    required_text,
)
from bot.delivery.outbox import REPORTER_PREFIX, db_enqueue, person_target
from bot.evidence import offers
from bot.messages import (
    Choice,
    Document,
    FieldKind,
    Form,
    FormField,
    Notice,
    Reply,
    Style,
    Text,
)
from bot.reports import REPORT, db_change_status, db_content
from bot.views import case as case_view
from bot.wording import casework, following, refusals
from bot.wording import notes as notes_wording
from storage.models import CaseMessage, Person, Report, new_id
from storage.vocabulary import (
    AuditAction,
    CaseStatus,
    DesignationScope,
    MessageDirection,
    PersonKind,
    RecordKind,
)

_INVESTIGATE = DesignationScope.INVESTIGATE  # a designee may open a case and ask (issue 22)

QUESTION_LIMIT = fields.NOTE
REASON_LIMIT = fields.NOTE  # why a case moved, or a legal hold was placed

MOVES: dict[CaseStatus, tuple[CaseStatus, ...]] = {
    CaseStatus.RECEIVED: (),  # acknowledge first
    CaseStatus.ACKNOWLEDGED: (CaseStatus.UNDER_REVIEW, CaseStatus.CLOSED),
    CaseStatus.UNDER_REVIEW: (CaseStatus.REFERRED, CaseStatus.CLOSED),
    CaseStatus.REFERRED: (CaseStatus.UNDER_REVIEW, CaseStatus.CLOSED),
    CaseStatus.CLOSED: (CaseStatus.UNDER_REVIEW,),
}


def db_acknowledge(session: Session, core: Core, member: Person, report_id: str) -> list[Reply]:
    report = db_case_for(session, core, member, report_id, action="acknowledge")
    if report.status is not CaseStatus.RECEIVED:
        by = session.get(Person, report.acknowledged_by) if report.acknowledged_by else None
        return [Text(casework.already_acknowledged(
            report.code, by.name if by else casework.ANOTHER_MEMBER))]
    report.acknowledged_at = core.now()
    report.acknowledged_by = member.id
    db_change_status(session, core, report, to=CaseStatus.ACKNOWLEDGED, by=member, reason=None)
    _tell_reporter(session, core, report, key=f"ack:{report.id}")
    return [Text(casework.acknowledged(report.code))]


def db_view(session: Session, core: Core, member: Person, report_id: str) -> list[Reply]:
    report = db_case_for(session, core, member, report_id, action="open",
                         designee_may=_INVESTIGATE)
    view = case_view.db_case_view(session, core, report, viewer=case_view.Viewer.of(member),
                                  reader_id=member.id,
                                  designated_since=designee_reveal.db_since(session, core,
                                                                            member, report))
    core.audit_event(session, actor=actor_id(member), action=AuditAction.CASE_OPENED,
                     record_kind=REPORT, record_id=report.id)
    if member.kind is PersonKind.DESIGNEE:
        choices = (designations.db_designee_choices(session, core, member, report)
                   + notes.choices(report))
    else:
        choices = (case_choices(report) + designations.db_member_choices(session, report)
                   + written_notice.delivery_choices(report, view.notices)
                   + (chair_choices(report) if member.chair else ())
                   + notes.choices(report) + lead.db_choices(session, core, report, member)
                   + reveal.db_choices(session, core, member, report)  # issue 24: the reveal
                   + designee_reveal.db_choices(session, core, report))  # ...to a designee
    details = case_view.details(view, choices=choices)
    if member.kind is not PersonKind.DESIGNEE:  # the reveal's requests are the members' own
        details = reveal.db_with_requests(session, core, report, details)
        shown_to = designee_reveal.db_section(session, core, report)
        if shown_to is not None:
            details = replace(details, sections=(*details.sections, shown_to))
    # evidence files (issue 23): the list of files and their buttons, for designees too
    documents, file_choices = offers.db_member_part(session, core, report)
    return [replace(details, sections=(*details.sections, documents),
                    choices=(*details.choices, *file_choices))]


def case_choices(report: Report) -> tuple[Choice, ...]:
    choices: list[Choice] = []
    if report.status is CaseStatus.RECEIVED:
        choices.append(Choice(casework.ACKNOWLEDGE_BUTTON,
                              actions.Acknowledge(report.id).encode(), Style.PRIMARY))
    else:
        choices.append(Choice(casework.ASK_BUTTON, actions.AskForm(report.id).encode()))
    for target in MOVES[report.status]:
        choices.append(Choice(casework.move_button(target.label),
                              actions.MoveForm(report.id, target.value).encode()))
    if report.status is not CaseStatus.RECEIVED:
        choices.append(Choice(casework.DETERMINE_BUTTON,
                              actions.DetermineForm(report.id).encode()))
    return tuple(choices)


def chair_choices(report: Report) -> tuple[Choice, ...]:
    """What only the chair is offered on a case: conflict routing and the legal hold."""
    return (Choice(casework.EXCLUSION_BUTTON, actions.ExcludeForm(report.id).encode()),
            Choice(casework.hold_action(release=report.legal_hold),
                   actions.HoldForm(report.id).encode()))


def db_ask_form(session: Session, core: Core, member: Person, report_id: str) -> list[Reply]:
    report = db_case_for(session, core, member, report_id, action="ask",
                         designee_may=_INVESTIGATE)
    return [Form(actions.AskSubmit(report.id).encode(), casework.question_title(report.code), (
        FormField("question", casework.QUESTION_PROMPT, FieldKind.MULTILINE,
                  max_length=QUESTION_LIMIT),
    ), submit_label=casework.QUESTION_SUBMIT)]


def db_ask(session: Session, core: Core, *, member: Person, report_id: str,
           question: str) -> list[Reply]:
    report = db_case_for(session, core, member, report_id, action="ask",
                         designee_may=_INVESTIGATE)
    question = required_text("question", question, limit=QUESTION_LIMIT)
    message_id = new_id()
    session.add(CaseMessage(
        id=message_id, report_id=report.id, direction=MessageDirection.QUESTION,
        author_id=member.id, created_at=core.now(),
        body=core.vault.seal(session, kind=RecordKind.CASE_MESSAGE, record_id=message_id,
                             data={"text": question}),
    ))
    # A question is not feedback: the reporter is owed word of what is being done (a status
    # move tells them), so the three-month feedback clock keeps running.
    core.audit_event(session, actor=actor_id(member), action=AuditAction.CASE_QUESTION,
                     record_kind=REPORT, record_id=report.id, detail={"message": message_id})
    _tell_reporter(session, core, report, key=f"question:{message_id}")
    return [Text(casework.question_sent(report.code, report.anonymous))]


def db_move_form(session: Session, core: Core, member: Person, report_id: str,
                 to: str) -> list[Reply]:
    report = db_case_for(session, core, member, report_id, action="move")
    target = _target(report, to)
    return [Form(actions.MoveSubmit(report.id, target.value).encode(),
                 casework.case_and_status(report.code, target.label)[:60], (
        FormField("reason", casework.REASON_PROMPT, FieldKind.MULTILINE,
                  max_length=REASON_LIMIT),
    ), submit_label=casework.MOVE_SUBMIT)]


def db_move(session: Session, core: Core, *, member: Person, report_id: str, to: str,
            reason: str) -> list[Reply]:
    report = db_case_for(session, core, member, report_id, action="move")
    target = _target(report, to)
    reason = required_text("reason", reason, limit=REASON_LIMIT)
    db_change_status(session, core, report, to=target, by=member, reason=reason)
    if target is CaseStatus.CLOSED:  # issue 22: a closed case opens for no designee any more
        designations.db_end_for_case(session, core, report, by=member)
    report.last_feedback_at = core.now()
    session.add(report)
    _tell_reporter(session, core, report,
                   key=f"status:{report.id}:{target.value}:{core.now():%Y%m%d%H%M%S}")
    return [Text(casework.status_moved(report.code, target.label))]


def _target(report: Report, to: str) -> CaseStatus:
    try:
        target = CaseStatus(to)
    except ValueError:
        raise CandorError(refusals.NOT_UNDERSTOOD) from None
    if target not in MOVES[report.status]:
        raise CandorError(casework.status_not_allowed(report.status.label, target.label))
    return target


def db_cases(session: Session, core: Core, member: Person) -> list[Reply]:
    if not is_committee(member):
        raise CandorError(refusals.COMMITTEE_ONLY)
    visible = [r for r in db_open_cases(session)
               if member.id not in db_excluded(session, core, r)]
    if not visible:
        return [Text(casework.NO_OPEN_CASES)]
    leads = lead.db_lead_names(session, core, visible)  # issue 22: the list shows the lead
    sections = tuple(
        (casework.case_and_status(r.code, r.status.label),
         notes_wording.with_lead(casework.category_received(r.category.label, r.received_at),
                                 leads.get(r.id)))
        for r in visible
    )
    choices = tuple(Choice(casework.open_case(r.code), actions.ViewCase(r.id).encode())
                    for r in visible[:20])
    return [Document(title=casework.OPEN_CASES, sections=sections, choices=choices)]


def _tell_reporter(session: Session, core: Core, report: Report, *, key: str) -> None:
    """A direct message to a named reporter (an anonymous one reads it with code and secret)."""
    if report.anonymous:
        return
    if report.confidential:  # issue 24: reached through their sealed identity record
        confidential.db_tell(session, core, report, key=key)
        return
    reporter = db_content(session, core, report).reporter
    if reporter is None or reporter.person_id is None:
        return
    person_id = reporter.person_id
    # The message stays in the reporter's chat: it says only that there is news, and its button
    # lists their cases in a window, where the case (and any question, with its answer button)
    # is read. No case code, status or question text in the chat.
    db_enqueue(session, core.vault, now=core.now(), key=f"{REPORTER_PREFIX}{key}",
               target=person_target(person_id),
               notice=Notice(title=following.NEWS_FOR_REPORTER,
                             text=following.NEWS_FOR_REPORTER_DETAIL,
                             choices=(Choice(following.OPEN_MY_REPORTS,
                                             actions.MyReports().encode()),)),
               platforms=core.platforms)

