"""One case as a reader may see it: a `CaseView` built once from the case's sealed records, and
its three renderings from the same pieces: the committee's details (`details`, a Document), the
case file an export writes (`case_file`) and the reporter's status view (`reporter_view`).

Every label, message heading, history step and determination line is built here once, worded by
`bot.wording.case_labels`, so the three cannot drift apart (tests/integration/test_case_views.py
holds them to it). A reporter's view is built from less: no narrative, no history, no
determination, never who is kept away or who asked. Chat views disarm user text with
`neutralise`; the file keeps it as typed (the export escapes it).

May touch: the vault, to open the case's sealed rows, and the roster, for names. It checks no
access and writes nothing, not even an audit row: `committee.db_view`, `records.db_case_file`
and `followup.db_status` check who asks and audit the showing, then build and render here. It
imports no use-case module, so each of them may import it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlmodel import Session, col, select

from bot import confidential
from bot.core import Core, db_committee, db_excluded
from bot.messages import Choice, Document
from bot.notice_letter import WrittenNotice, db_written_notices
from bot.report_content import FIELDS
from bot.reports import db_content
from bot.roster_file import EMAIL as _EMAIL
from bot.sanitize import neutralise
from bot.views import working
from bot.wording import case_labels, following, governance, notice_letter
from bot.wording import designations as designation_words
from bot.wording import notes as notes_wording
from storage.models import CaseMessage, Determination, Person, Report, StatusChange
from storage.vocabulary import MessageDirection, PersonKind, RecordKind


class Viewer(Enum):
    MEMBER = "member"  # a committee member allowed on the case
    CHAIR = "chair"  # the chair, who also sees who is kept away
    REPORTER = "reporter"  # the case's reporter: its status, dates and messages, nothing else
    DESIGNEE = "designee"  # issue 22: a person designated on the case reads it as a member does

    @classmethod
    def of(cls, member: Person) -> Viewer:
        if member.kind is PersonKind.DESIGNEE:
            return cls.DESIGNEE
        return cls.CHAIR if member.chair else cls.MEMBER


def line(label: str, text: str) -> str:
    """A (label, text) piece as one line: how a Document shows it, and how a file's item reads."""
    return f"{label}: {text}" if label else text


@dataclass(frozen=True)
class Message:
    direction: MessageDirection
    at: datetime
    text: str
    asked_by: str | None  # the member who asked; None for an answer, and on the reporter's view
    investigator: bool = False  # asked by a person the committee designated (issue 22)

    @property
    def heading(self) -> str:
        """How every view heads the message: what it is and when."""
        what = (designation_words.INVESTIGATOR_ASKS if self.investigator
                else self.direction.label)
        return case_labels.message_heading(what, self.at)

    @property
    def committee_heading(self) -> str:
        """The committee's heading adds who asked; the reporter's never does."""
        return case_labels.asked_by(self.heading, self.asked_by) if self.asked_by else self.heading


@dataclass(frozen=True)
class Step:
    """One step of the history: when and by whom (its label), what and why (its text)."""

    at: datetime
    by: str | None  # None for a step the system took
    what: str
    reason: str | None = None

    @property
    def label(self) -> str:
        return case_labels.step_label(self.at, self.by)

    def text(self, typed: Callable[[str], str] = str) -> str:
        """What happened and why; `typed` is applied to the reason a person typed (a chat
        disarms it)."""
        return case_labels.step_text(self.what, typed(self.reason) if self.reason else None)


@dataclass(frozen=True)
class BoardDetermination:
    """A recorded determination, opened, for a member allowed on the case."""

    decided_on: date
    officer: str
    violation: bool
    action: str
    decider: str | None  # None when it was recorded before the form asked who decided
    recorded_by: str
    sealed: dict[str, Any]  # the factors and the reasoning

    @property
    def heading(self) -> str:
        return case_labels.determination_heading(self.decided_on)

    def lines(self) -> tuple[tuple[str, str], ...]:
        """(label, text) lines; the one sentence saying who decided and when has no label."""
        factors = governance.DETERMINATION_FACTORS
        return (
            (case_labels.OFFICER, self.officer),
            (case_labels.MATERIAL_VIOLATION, case_labels.yes_no(self.violation)),
            (case_labels.ACTION, self.action),
            ("", case_labels.determination_decided(self.decider, self.decided_on,
                                                   self.recorded_by)),
            *((factors[name][0].upper() + factors[name][1:], f"{self.sealed.get(name)}")
              for name in factors if name != "advised"),
            (case_labels.ADVISED, case_labels.yes_no(self.sealed.get("advised"))),
            (case_labels.REASONING, f"{self.sealed.get('reasoning', '')}"),
        )


@dataclass(frozen=True)
class CaseView:
    """Everything a viewer may read of a case, opened once."""

    viewer: Viewer
    code: str
    status: str
    category: str
    received: str
    legal_hold: bool
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    reporter: str  # "Name (e-mail)" or "Anonymous"; empty on the reporter's own view
    # A named reporter's roster entry, as filed: the e-mail stays an e-mail a member can use
    reporter_entry: tuple[str, str] | None
    report: tuple[tuple[str, str], ...]  # (label, text) of each field; empty on the reporter's view
    kept_away: tuple[str, ...] | None  # the members kept away; None unless the viewer is the chair
    messages: tuple[Message, ...]
    history: tuple[Step, ...]  # empty on the reporter's view
    determinations: tuple[BoardDetermination, ...]  # empty on the reporter's view
    # The written notice (issue 22): each determination's notice letter and its delivery; empty
    # on the reporter's view.
    notices: tuple[WrittenNotice, ...] = ()
    # notes and the lead (issue 22): empty and None on the reporter's view
    notes: tuple[working.Note, ...] = ()
    lead: str | None = None


def _opened(session: Session, core: Core, kind: RecordKind,
            row: CaseMessage | StatusChange | Determination) -> dict[str, Any]:
    return core.vault.unseal(session, kind=kind, record_id=row.id, blob=row.body)


def _name(session: Session, person_id: int | None) -> str | None:
    if person_id is None:
        return None
    person = session.get(Person, person_id)
    return person.name if person else case_labels.UNKNOWN


def _designee(session: Session, person_id: int | None) -> bool:
    person = session.get(Person, person_id) if person_id is not None else None
    return person is not None and person.kind is PersonKind.DESIGNEE


def _officer(value: Any) -> int | None:
    """The officer a determination names (a roster id, sealed in it)."""
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


def _shown_to(viewer: Viewer, reader_id: int | None) -> str:
    """Whose showing of a confidential reporter's name lets `viewer` read it: the committee's for
    a member; for a designee, one to them personally (none for an unknown reader: fail closed)."""
    if viewer is not Viewer.DESIGNEE:
        return confidential.COMMITTEE
    return confidential.person_audience(reader_id) if reader_id is not None else ""


def db_case_view(session: Session, core: Core, report: Report, *, viewer: Viewer,
                 reader_id: int | None = None,
                 designated_since: datetime | None = None) -> CaseView:
    """The case as `viewer` may read it. The caller has checked that they may. `reader_id` is
    the designee reading it, under a designation made at `designated_since` (issue 24: a
    confidential reporter's name only if shown to them under it)."""
    committee = viewer is not Viewer.REPORTER
    reporter = ""
    entry: tuple[str, str] | None = None
    fields: tuple[tuple[str, str], ...] = ()
    if committee:  # the reporter's view never opens the narrative
        content = db_content(session, core, report)
        if content.reporter is not None:
            entry = (content.reporter.name, content.reporter.email)
        reporter = (case_labels.named_reporter(*entry) if entry is not None
                    else case_labels.ANONYMOUS)
        if report.confidential:  # issue 24: the name only once shown to the committee
            reporter = confidential.db_shown_name(
                session, core, report, to=_shown_to(viewer, reader_id),
                since=designated_since if viewer is Viewer.DESIGNEE else None)
        fields = tuple((f.words.heading, content.text(f.name) or case_labels.NOT_GIVEN)
                       for f in FIELDS if f.committee_reads)
    kept_away = None
    if viewer is Viewer.CHAIR:
        excluded = db_excluded(session, core, report)
        kept_away = tuple(p.name for p in db_committee(session) if p.id in excluded)
    messages = tuple(
        Message(row.direction, row.created_at,
                str(_opened(session, core, RecordKind.CASE_MESSAGE, row).get("text", "")),
                _name(session, row.author_id) if committee else None,
                _designee(session, row.author_id))
        for row in session.exec(select(CaseMessage).where(CaseMessage.report_id == report.id)
                                .order_by(col(CaseMessage.created_at))).all())
    history: list[Step] = []
    determinations: list[BoardDetermination] = []
    notices: tuple[WrittenNotice, ...] = ()
    if committee:
        for change in session.exec(select(StatusChange).where(StatusChange.report_id == report.id)
                                   .order_by(col(StatusChange.at))).all():
            reason = _opened(session, core, RecordKind.STATUS_CHANGE, change).get("reason")
            history.append(Step(change.at, _name(session, change.by_id),
                                case_labels.status_step(change.from_status.label,
                                                        change.to_status.label),
                                str(reason) if reason else None))
        for row in session.exec(select(Determination).where(Determination.report_id == report.id)
                                .order_by(col(Determination.created_at))).all():
            sealed = _opened(session, core, RecordKind.DETERMINATION, row)
            recorded_by = _name(session, row.decided_by) or case_labels.UNKNOWN
            determinations.append(BoardDetermination(
                row.decided_on, _name(session, _officer(sealed.get("subject_id")))
                or case_labels.UNKNOWN,
                row.violation, row.action.label,
                str(sealed["decider"]) if sealed.get("decider") else None,
                recorded_by, sealed))
            history.append(Step(row.created_at, recorded_by, case_labels.DETERMINATION_RECORDED))
        notices = db_written_notices(session, core, report)
        history += [Step(n.recorded_at, n.recorded_by,
                         notice_letter.delivered_step(n.letter.officer, n.delivered_on),
                         n.delivered_how)
                    for n in notices if n.recorded_at is not None and n.delivered_on is not None]
    notes: tuple[working.Note, ...] = ()
    lead = None
    if committee:  # notes and the lead: the committee's own working record
        notes = working.db_notes(session, core, report)
        history += [Step(n.at, n.author, n.step) for n in notes]
        leader = working.db_lead(session, core, report)
        lead = leader.name if leader else None
        history.sort(key=lambda step: step.at)  # stable: steps at one moment keep their order
    # An anonymous report is dated by its day only (its moment could point at its reporter).
    received = report.received_at.strftime(
        "%Y-%m-%d" if confidential.dated_by_day(core, report) else "%Y-%m-%d %H:%M UTC")
    return CaseView(
        viewer=viewer, code=report.code, status=report.status.label, category=report.category.label,
        received=received, legal_hold=report.legal_hold, acknowledged_at=report.acknowledged_at,
        acknowledged_by=_name(session, report.acknowledged_by) if committee else None,
        reporter=reporter, reporter_entry=entry, report=fields, kept_away=kept_away,
        messages=messages, history=tuple(history), determinations=tuple(determinations),
        notices=notices,
        notes=notes, lead=lead,
    )


# --- the committee's details ------------------------------------------------------------------


def _reporter(view: CaseView) -> str:
    """Who reported, for the details: the roster's name made inert like any text, its e-mail
    left an e-mail (the roster import checked it is one), so a member can write to them."""
    if view.reporter_entry is None:
        return neutralise(view.reporter)
    name, email = view.reporter_entry
    return case_labels.named_reporter(neutralise(name),
                                      email if _EMAIL.fullmatch(email) else neutralise(email))


def details(view: CaseView, *, choices: tuple[Choice, ...]) -> Document:
    """The details a committee member opens in a private view (user text neutralised)."""
    assert view.viewer is not Viewer.REPORTER
    sections: list[tuple[str, str]] = [(case_labels.STATUS, view.status),
                                       (case_labels.CATEGORY, view.category),
                                       (case_labels.RECEIVED, view.received),
                                       (case_labels.REPORTER, _reporter(view)),
                                       (notes_wording.LEAD, neutralise(view.lead or
                                                                       notes_wording.NO_LEAD))]
    sections += [(label, neutralise(text)) for label, text in view.report]
    latest = working.latest_recommendation(view.notes)
    if latest is not None:
        sections.append((notes_wording.LATEST_RECOMMENDATION, neutralise(
            notes_wording.latest_recommendation(latest.author, latest.day, latest.text))))
    if view.kept_away is not None:
        sections.append((case_labels.KEPT_AWAY, ", ".join(view.kept_away) or case_labels.NO_ONE))
    sections += [(m.committee_heading, neutralise(m.text)) for m in view.messages]
    if view.history:
        steps = "\n".join(line(s.label, s.text(neutralise)) for s in view.history)
        sections.append((case_labels.HISTORY, steps))
    sections += [(d.heading, "\n".join(line(label, neutralise(text)) for label, text in d.lines()))
                 for d in view.determinations]
    sections += [(notice_letter.notice_heading(neutralise(n.letter.officer), n.letter.decided_on),
                  _notice_entry(view.code, n, neutralise)) for n in view.notices]
    sections += [(neutralise(n.heading), neutralise(n.text)) for n in view.notes]
    return Document(title=case_labels.case_title(view.code), sections=tuple(sections),
                    choices=choices)


def _delivery(notice: WrittenNotice, typed: Callable[[str], str]) -> str:
    """A written notice's delivery, or that it is not recorded yet; `typed` is applied to the
    names and text people typed (a chat disarms them)."""
    if notice.delivered_on is None:
        return notice_letter.NOT_DELIVERED
    how = typed(notice.delivered_how) if notice.delivered_how else None
    return notice_letter.delivered(notice.delivered_on, typed(notice.recorded_by or ""), how)


def _notice_entry(code: str, notice: WrittenNotice, typed: Callable[[str], str]) -> str:
    """The details' "Notice letter" entry: how to get the letter, and its delivery."""
    return f"{notice_letter.how_to_get(code)}\n{_delivery(notice, typed)}"


# --- the case file ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFile:
    """A case as (heading, [(label, text)]) sections, in reading order; an item with an empty
    label is a sentence of its own. Text is as typed: the writer (adapters/export.py) escapes it."""

    code: str
    title: str
    generated_for: str
    generated_at: datetime
    sections: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]


def case_file(view: CaseView, *, prepared_for: str, at: datetime) -> CaseFile:
    """The whole case, for the committee's records."""
    assert view.viewer is not Viewer.REPORTER
    summary = [(case_labels.CASE, view.code), (case_labels.CATEGORY, view.category),
               (case_labels.STATUS, view.status),
               (case_labels.RECEIVED, view.received), (case_labels.REPORTER, view.reporter),
               (notes_wording.LEAD, view.lead or notes_wording.NO_LEAD)]
    if view.legal_hold:
        summary.append((case_labels.LEGAL_HOLD, case_labels.YES))
    sections: list[tuple[str, tuple[tuple[str, str], ...]]] = [
        (case_labels.SUMMARY, tuple(summary)), (case_labels.THE_REPORT, view.report)]
    if view.kept_away is not None:
        members = ", ".join(view.kept_away) or case_labels.NO_ONE
        sections.append((case_labels.KEPT_AWAY, ((case_labels.MEMBERS, members),)))
    acknowledged = case_labels.NOT_YET
    if view.acknowledged_at:
        by = view.acknowledged_by or case_labels.UNKNOWN
        acknowledged = case_labels.acknowledged_when(view.acknowledged_at, by)
    sections.append((case_labels.ACKNOWLEDGEMENT, ((case_labels.ACKNOWLEDGED, acknowledged),)))
    messages = tuple((m.committee_heading, m.text) for m in view.messages)
    sections.append((case_labels.FOLLOW_UP,
                     messages or ((case_labels.MESSAGES, case_labels.NONE),)))
    steps = tuple((s.label, s.text()) for s in view.history)
    sections.append((case_labels.HISTORY, steps or ((case_labels.CHANGES, case_labels.NONE),)))
    sections += [(d.heading, d.lines()) for d in view.determinations]
    sections += [(notice_letter.notice_heading(n.letter.officer, n.letter.decided_on),
                  ((notice_letter.DELIVERY, _delivery(n, str)), *n.letter.lines()))
                 for n in view.notices]
    latest = working.latest_recommendation(view.notes)
    notes = tuple((n.heading, n.text) for n in view.notes)
    if latest is not None:
        notes = ((notes_wording.LATEST_RECOMMENDATION, notes_wording.latest_recommendation(
            latest.author, latest.day, latest.text)), *notes)
    sections.append((notes_wording.NOTES,
                     notes or ((notes_wording.NOTES, notes_wording.NO_NOTES),)))
    return CaseFile(view.code, case_labels.case_file_title(view.code), prepared_for, at,
                    tuple(sections))


# --- the reporter's view ----------------------------------------------------------------------


def reporter_view(view: CaseView, *, choices: tuple[Choice, ...]) -> Document:
    """What a reporter reads of their case: its status, its dates and the messages."""
    sections: list[tuple[str, str]] = [(case_labels.STATUS, view.status),
                                       (case_labels.RECEIVED, view.received)]
    if view.acknowledged_at:
        sections.append((case_labels.ACKNOWLEDGED_BY_COMMITTEE,
                         f"{view.acknowledged_at:%Y-%m-%d}"))
    sections += [(m.heading, neutralise(m.text)) for m in view.messages]
    if not view.messages:
        sections.append((case_labels.QUESTIONS, following.CASE_NO_QUESTIONS_YET))
    return Document(title=case_labels.case_title(view.code), sections=tuple(sections),
                    choices=choices)
