"""The written notice a determination produces: the letter (`NoticeLetter`, pure: what it says,
piece by piece, for the adapter to lay out as a PDF and for the case file to carry) and a case's
written notices as its views read them (`db_written_notices`: each letter with its delivery).

A determination produces a letter when its action is, or includes, a written notice
(`includes_written_notice`). The letter names the company, the officer, the Board's finding, the
action and the dates, with a signature block for the chair and one for the officer's receipt;
never the reporter, the narrative or the case's code.

May touch: the vault, to open a determination and a delivery, and the roster, for names. It checks
no access and writes nothing: `bot.written_notice` (the use cases) and `bot.views.case` (the
views) check who asks; it imports no use-case module, so both may import it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.core import Core, db_committee
from bot.wording import case_labels, governance
from bot.wording import notice_letter as words
from storage.models import Determination, NoticeDelivery, Person, Report
from storage.vocabulary import BoardAction, RecordKind

DELIVERY = RecordKind.NOTICE_DELIVERY
# The actions that are, or include, a written notice (the Code's list has one; an action added
# later that includes a notice, "censure with written notice", is named here too).
WRITTEN_NOTICE_ACTIONS = frozenset({BoardAction.WRITTEN_NOTICE})


def includes_written_notice(action: BoardAction) -> bool:
    return action in WRITTEN_NOTICE_ACTIONS


# The Code's own first paragraph names the company: 'Allient Inc. (the "Company") has ...'.
_COMPANY = re.compile(r"^\W*([^()\n]{2,120}?)\s*\(the\s+[\"“]Company[\"”]\)", re.MULTILINE)


def company_of(core: Core) -> str:
    """The company a letter names: CANDOR_COMPANY_NAME, else the one the Code's text names."""
    if core.company_name:
        return core.company_name
    match = _COMPANY.search(core.policy.text)
    return match.group(1).strip() if match else words.DEFAULT_COMPANY


@dataclass(frozen=True)
class NoticeLetter:
    """One letter of written notice, as it reads (text as typed: the writer lays it out)."""

    company: str
    officer: str
    officer_title: str | None  # the officer's role, as the roster has it
    dated: date  # the day the letter was produced
    decided_on: date
    decider: str
    finding: str  # the nature and severity of the violation, as the Board recorded it
    occurrence: str
    intent: str
    action: str
    chair: str | None  # the committee's chair on the roster, who signs

    @property
    def heading(self) -> str:
        return self.company

    @property
    def confidential(self) -> str:
        return words.CONFIDENTIAL

    @property
    def dateline(self) -> str:
        return words.long_date(self.dated)

    @property
    def addressee(self) -> str:
        return words.addressee(self.officer, self.officer_title)

    @property
    def subject(self) -> str:
        return words.SUBJECT

    @property
    def salutation(self) -> str:
        return words.salutation(self.officer)

    @property
    def opening(self) -> str:
        return words.opening(self.decided_on, self.action)

    def facts(self) -> tuple[tuple[str, str], ...]:
        return ((words.FINDING, self.finding), (words.OCCURRENCE, self.occurrence),
                (words.INTENT, self.intent), (words.ACTION, self.action),
                (words.DECIDED_BY, self.decider),
                (words.DECIDED_ON, words.long_date(self.decided_on)))

    @property
    def closing(self) -> str:
        return words.CLOSING

    def signature(self) -> tuple[str, ...]:
        """The chair's block: for whom, a line to sign on, who signs, a date to write."""
        return (words.signed_for(self.decider), "", words.SIGNATURE_LINE,
                words.chair_signs(self.chair), words.SIGNATURE_DATE)

    def receipt(self) -> tuple[str, ...]:
        """The officer's block: received by, a line to sign on, the officer, a date."""
        return (words.RECEIVED, "", words.SIGNATURE_LINE, self.officer, words.SIGNATURE_DATE)

    def lines(self) -> tuple[tuple[str, str], ...]:
        """The whole letter as (label, text) items, in reading order: how a case file carries
        it (an item without a label is a sentence of its own)."""
        return (("", self.confidential), ("", f"{self.heading}, {self.dateline}"),
                ("", self.addressee), ("", self.subject), ("", self.salutation),
                ("", self.opening), *self.facts(), ("", self.closing),
                ("", "\n".join(line for line in self.signature() if line)),
                ("", "\n".join(line for line in self.receipt() if line)))


@dataclass(frozen=True)
class WrittenNotice:
    """A determination's written notice: its letter and, once recorded, its delivery."""

    determination_id: str
    report_id: str
    letter: NoticeLetter
    delivered_on: date | None = None
    delivered_how: str | None = None
    recorded_by: str | None = None
    recorded_at: datetime | None = None

    @property
    def delivered(self) -> bool:
        return self.delivered_on is not None


def _choice_label(choices: dict[str, str], value: Any) -> str:
    return choices.get(str(value), str(value or ""))


def _person(session: Session, value: Any) -> Person | None:
    return (session.get(Person, int(value))
            if isinstance(value, int | str) and str(value).isdigit() else None)


def db_letter(session: Session, core: Core, row: Determination) -> NoticeLetter:
    """The letter of a determination (the caller checked that its action includes a notice)."""
    sealed = core.vault.unseal(session, kind=RecordKind.DETERMINATION, record_id=row.id,
                               blob=row.body)
    officer = _person(session, sealed.get("subject_id"))
    chair = next((p.name for p in db_committee(session) if p.chair), None)
    return NoticeLetter(
        company=company_of(core), officer=officer.name if officer else case_labels.UNKNOWN,
        officer_title=officer.role.label if officer and officer.role else None,
        dated=core.today(), decided_on=row.decided_on,
        decider=str(sealed.get("decider") or governance.DEFAULT_DECIDER),
        finding=str(sealed.get("nature", "")),
        occurrence=_choice_label(governance.OCCURRENCES, sealed.get("occurrence")),
        intent=_choice_label(governance.INTENTS, sealed.get("intent")),
        action=row.action.label, chair=chair)


def db_written_notices(session: Session, core: Core, report: Report) -> tuple[WrittenNotice, ...]:
    """The case's written notices, oldest determination first, each with its delivery."""
    notices: list[WrittenNotice] = []
    rows = session.exec(select(Determination).where(Determination.report_id == report.id)
                        .order_by(col(Determination.created_at))).all()
    for row in rows:
        if not includes_written_notice(row.action):
            continue
        letter = db_letter(session, core, row)
        delivery = session.exec(select(NoticeDelivery).where(
            NoticeDelivery.determination_id == row.id)).first()
        if delivery is None:
            notices.append(WrittenNotice(row.id, report.id, letter))
            continue
        how = core.vault.unseal(session, kind=DELIVERY, record_id=delivery.id,
                                blob=delivery.body).get("how")
        by = session.get(Person, delivery.recorded_by) if delivery.recorded_by else None
        notices.append(WrittenNotice(
            row.id, report.id, letter, delivery.delivered_on, str(how) if how else None,
            by.name if by else case_labels.UNKNOWN, delivery.recorded_at))
    return tuple(notices)
