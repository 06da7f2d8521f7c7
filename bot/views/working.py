"""The committee's own working record of a case, as a reader allowed on it sees it: its notes
(`db_notes`, each opened from its sealed row, oldest first; `latest_recommendation`) and who
leads it (`lead_of`, `db_lead`).

Who leads is one rule, here: the member in the case's `CaseLead`, while they are an active committee
member and not kept away from the case. A lead the chair (or a determination) later keeps away
stops leading at once, wherever the lead is read (the details, the lists, the sweep), whichever
path added the exclusion; the plain column is not rewritten then, so no write lines up with the
sealed exclusion.

May touch: reads notes, the roster and exclusions through the caller's session, opens notes with
the vault. It checks no access and writes nothing; `bot.views.case`, `bot.notes`, `bot.lead`
and `bot.sweep` build on it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from bot.core import Core, db_excluded, is_committee
from bot.wording import case_labels
from bot.wording import notes as wording
from storage.models import CaseLead, CaseNote, Person, Report
from storage.vocabulary import RecordKind

KIND = RecordKind.CASE_NOTE


@dataclass(frozen=True)
class Note:
    """One note, opened, for a reader allowed on the case."""

    at: datetime
    author: str
    text: str
    recommendation: bool

    @property
    def day(self) -> date:
        return self.at.date()

    @property
    def heading(self) -> str:
        what = wording.RECOMMENDATION if self.recommendation else wording.NOTE
        return wording.note_heading(what, self.day, self.author)

    @property
    def step(self) -> str:
        """What the case's history says happened."""
        return wording.RECOMMENDATION_ADDED_STEP if self.recommendation else wording.NOTE_ADDED_STEP


def db_notes(session: Session, core: Core, report: Report) -> tuple[Note, ...]:
    """The case's notes, oldest first, opened. The caller has checked that the reader may."""
    notes = []
    for row in session.exec(select(CaseNote).where(CaseNote.report_id == report.id)
                            .order_by(col(CaseNote.created_at))).all():
        sealed = core.vault.unseal(session, kind=KIND, record_id=row.id, blob=row.body)
        author = session.get(Person, row.author_id)
        notes.append(Note(row.created_at, author.name if author else case_labels.UNKNOWN,
                          str(sealed.get("text", "")), bool(sealed.get("recommendation"))))
    return tuple(notes)


def latest_recommendation(notes: tuple[Note, ...]) -> Note | None:
    return next((n for n in reversed(notes) if n.recommendation), None)


def lead_of(row: CaseLead | None, *, excluded: Collection[int],
            members: Collection[int]) -> int | None:
    """Who leads the case: its `CaseLead`'s member, while active (`members`) and not kept away."""
    lead = row.person_id if row is not None else None
    return lead if lead is not None and lead in members and lead not in excluded else None


def db_lead(session: Session, core: Core, report: Report) -> Person | None:
    """The member who leads the case, if anyone does (see the module's docstring)."""
    row = session.get(CaseLead, report.id)
    if row is None:
        return None
    person = session.get(Person, row.person_id)
    if person is None or not person.active or not is_committee(person):
        return None
    return person if person.id not in db_excluded(session, core, report) else None
