"""The operator's designations (issue 22): `candor designations list` and `candor designations
end CODE EMAIL`. Each opens its own unit of work; ending is audited as the operator's ("cli").
No content: case codes, names, scopes and dates only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import select

from bot import designations
from bot.admin import ACTOR, NotFound, Refused
from bot.codes import format_code
from bot.core import Core, db_report_by_code
from storage.db import Database
from storage.models import Person, Report
from storage.vocabulary import DesignationEnd, DesignationScope, PersonKind


@dataclass(frozen=True)
class Active:
    """A designation in force, as the command lists it."""

    code: str
    designee: str
    email: str
    affiliation: str
    scope: str
    until: date
    by: str
    since: datetime


@dataclass(eq=False)
class NoDesignation(Refused):
    """The person holds no designation in force on the case."""

    code: str
    email: str


def active(db: Database, core: Core) -> list[Active]:
    with db.read() as session:
        rows = []
        for row in designations.db_active(session):
            report = session.get(Report, row.report_id)
            person = session.get(Person, row.person_id)
            by = session.get(Person, row.by_id) if row.by_id is not None else None
            if report is None or person is None:
                continue
            rows.append(Active(report.code, person.name, person.email, person.affiliation or "",
                               DesignationScope(row.scope).label, row.until,
                               by.name if by else "", row.created_at))
        return rows


def end(db: Database, core: Core, code: str, email: str) -> str:
    """End `email`'s designation on case `code`; returns the case's code as written."""
    with db.write() as session:
        report = db_report_by_code(session, format_code(code))
        if report is None or report.shredded_at is not None:
            raise NotFound("case", code)
        person = session.exec(select(Person).where(
            Person.email == email.strip().lower())).first()
        if person is None or person.kind is not PersonKind.DESIGNEE:
            raise NotFound("person", email)
        for row in designations.db_active(session, report):
            if row.person_id == person.id:
                designations.db_end(session, core, row, report=report,
                                    reason=DesignationEnd.OPERATOR, by=None, actor=ACTOR)
                return report.code
        raise NoDesignation(report.code, email)
