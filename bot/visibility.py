"""What a committee member is kept away from beyond a case's own details: the determinations
recorded on the cases that exclude them, and the disclosures and waivers of the officers those
cases concern.

A case's officer is known to Candor once the Board's determination names them (sealed in it:
`db_subject`); before that, only the sealed narrative says who is concerned, and only the case
itself is kept from the member. Functions named `db_*` take the caller's session and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from bot.core import Core, db_exclusions
from storage.crypto import ShreddedError
from storage.models import Determination, Exclusion, Person
from storage.vocabulary import RecordKind

DETERMINATION = RecordKind.DETERMINATION  # a determination's sealed record kind


@dataclass(frozen=True)
class KeptAway:
    reports: frozenset[str]  # the cases that exclude the member
    officers: frozenset[int]  # the officers those cases' determinations concern

    def shows_determination(self, row: Determination) -> bool:
        return row.report_id not in self.reports

    def shows_officer(self, officer_id: int | None) -> bool:
        return officer_id not in self.officers


NOTHING = KeptAway(frozenset(), frozenset())


def db_kept_away(session: Session, core: Core, member: Person) -> KeptAway:
    """The cases that exclude `member`, and the officers they concern."""
    if member.id is None:
        return NOTHING
    with_exclusions = sorted(set(session.exec(select(Exclusion.report_id)).all()))
    excluded = db_exclusions(session, core, with_exclusions)
    reports = frozenset(report_id for report_id, members in excluded.items()
                        if member.id in members)
    if not reports:
        return NOTHING
    subjects = (db_subject(session, core, row) for row in session.exec(
        select(Determination).where(col(Determination.report_id).in_(reports))).all())
    return KeptAway(reports, frozenset(s for s in subjects if s is not None))


def db_subject(session: Session, core: Core, row: Determination) -> int | None:
    """The officer a determination concerns (sealed in it); None once its case is shredded."""
    try:
        sealed = core.vault.unseal(session, kind=DETERMINATION, record_id=row.id, blob=row.body)
    except ShreddedError:
        return None
    subject = sealed.get("subject_id")
    return int(subject) if subject is not None else None
