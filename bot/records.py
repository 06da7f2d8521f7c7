"""The committee's records: a case file for an allowed member, and the sanitized register.

`db_case_file` gives one committee member the whole case (report, follow-ups, acknowledgement,
history, determinations), after the same check as opening the details: a member the report keeps
away is refused and the refusal audited. What the file says is `bot/views/case.py`'s, worded as
the details are. `db_register` counts a quarter's cases
from plain columns only (categories, statuses, dates, actions), so it never holds report
content or who reported. Writing files is the adapters' job (`adapters/export.py`).
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo

from sqlmodel import Session, col, select

from bot import attestation
from bot.access import db_case_for
from bot.core import CandorError, Core, actor_id
from bot.reports import REPORT
from bot.views.case import CaseFile, Viewer, case_file, db_case_view
from bot.wording import refusals
from storage.clock import as_utc
from storage.models import Attestation, Determination, Person, Report, Waiver
from storage.vocabulary import AuditAction, CaseStatus, Category, PersonKind, RecordKind

# --- the case file ----------------------------------------------------------------------------


def db_case_file(session: Session, core: Core, member: Person, code: str, *,
                 operator: str | None = None) -> CaseFile:
    """The whole case file for `member`; refused (and audited) unless they may open the case.
    `operator` says who asked for it in the member's name (the command line's OS user and host):
    the audit row names both, so a file exported "as" a member is not theirs alone to answer for."""
    report = session.exec(select(Report).where(Report.code == code)).first()
    if report is None:
        raise CandorError(refusals.CASE_NOT_FOUND)
    report = db_case_for(session, core, member, report.id, action="export", operator=operator)
    view = db_case_view(session, core, report, viewer=Viewer.of(member), reader_id=member.id)
    core.audit_event(session, actor=actor_id(member), action=AuditAction.CASE_EXPORTED,
                     record_kind=REPORT,
                     record_id=report.id, detail={"operator": operator} if operator else None)
    return case_file(view, prepared_for=member.name, at=core.now())


# --- the register -----------------------------------------------------------------------------

_PERIOD = re.compile(r"^(\d{4})[- ]?Q([1-4])$", re.IGNORECASE)


def parse_period(text: str) -> tuple[str, date, date]:
    """A quarter ("2026Q4") as (name, first day, first day of the next quarter)."""
    match = _PERIOD.match(text.strip())
    if not match:
        raise ValueError(refusals.quarter_invalid(text))
    year, quarter = int(match.group(1)), int(match.group(2))
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return f"{year}Q{quarter}", start, end


@dataclass(frozen=True)
class RegisterCase:
    """One line of the register: plain columns only (a tombstone looks the same)."""

    code: str
    category: Category
    status: CaseStatus
    received: date
    acknowledged: date | None
    closed: date | None
    shredded: date | None
    hours_to_acknowledge: float | None


@dataclass(frozen=True)
class Register:
    period: str
    start: date
    end: date  # exclusive
    cases: tuple[RegisterCase, ...]
    officers: int
    attested: int
    attestation_year: str
    determinations: dict[str, int] = field(default_factory=dict)
    waivers_granted: int = 0
    waivers_disclosed_on_time: int = 0

    @property
    def by_category(self) -> dict[Category, int]:
        counts = Counter(c.category for c in self.cases)
        return {category: counts.get(category, 0) for category in Category}

    @property
    def by_status(self) -> dict[CaseStatus, int]:
        counts = Counter(c.status for c in self.cases)
        return {status: counts.get(status, 0) for status in CaseStatus}

    @property
    def acknowledge_hours(self) -> list[float]:
        return [c.hours_to_acknowledge for c in self.cases if c.hours_to_acknowledge is not None]

    @property
    def median_hours_to_acknowledge(self) -> float | None:
        hours = self.acknowledge_hours
        return round(statistics.median(hours), 1) if hours else None

    @property
    def max_hours_to_acknowledge(self) -> float | None:
        hours = self.acknowledge_hours
        return round(max(hours), 1) if hours else None

    @property
    def attestation_percent(self) -> float:
        return round(100 * self.attested / self.officers, 1) if self.officers else 100.0


def quarter_of(moment: datetime, tz: tzinfo) -> str:
    """The register's quarter ("2026Q4") of a stored time, in the company's time zone."""
    local = as_utc(moment).astimezone(tz)
    return f"{local.year}Q{(local.month - 1) // 3 + 1}"


def db_register(session: Session, core: Core, period: str, *, actor: str) -> Register:
    """The sanitized register of the cases received in a quarter, audited as an export. The
    quarter and the dates are the company's (CANDOR_TIMEZONE): a report made on the evening of
    31 December in New York belongs to the fourth quarter."""
    name, start, end = parse_period(period)
    tz = core.timezone
    # The quarter's local bounds, compared as UTC, as every time is stored.
    lower = datetime(start.year, start.month, start.day, tzinfo=tz).astimezone(UTC)
    upper = datetime(end.year, end.month, end.day, tzinfo=tz).astimezone(UTC)

    def day(moment: datetime) -> date:
        return as_utc(moment).astimezone(tz).date()

    reports = session.exec(select(Report).where(col(Report.received_at) >= lower,
                                                col(Report.received_at) < upper)
                           .order_by(col(Report.received_at))).all()
    cases = tuple(RegisterCase(
        code=r.code, category=r.category, status=r.status, received=day(r.received_at),
        acknowledged=day(r.acknowledged_at) if r.acknowledged_at else None,
        closed=day(r.closed_at) if r.closed_at else None,
        shredded=day(r.shredded_at) if r.shredded_at else None,
        hours_to_acknowledge=(round((as_utc(r.acknowledged_at)
                                     - as_utc(r.received_at)).total_seconds() / 3600, 1)
                              if r.acknowledged_at else None),
    ) for r in reports)
    # Attestation completion: the officers' attestation period that the quarter falls in.
    last_day = date.fromordinal(end.toordinal() - 1)
    officers = session.exec(select(Person).where(Person.kind == PersonKind.OFFICER,
                                                 Person.active == True)).all()  # noqa: E712
    periods = {p.id: attestation.period_on(p.attestation_due, last_day) for p in officers}
    done = set(session.exec(select(Attestation.person_id, Attestation.period)).all())
    attested = sum(1 for p in officers if (p.id, periods[p.id]) in done)
    actions = Counter(d.action.label for d in session.exec(
        select(Determination).where(col(Determination.decided_on) >= start,
                                    col(Determination.decided_on) < end)).all())
    waivers = session.exec(select(Waiver).where(col(Waiver.granted_on) >= start,
                                                col(Waiver.granted_on) < end)).all()
    on_time = sum(1 for w in waivers
                  if w.disclosed_on is not None and w.disclosed_on <= w.disclosure_due)
    core.audit_event(session, actor=actor, action=AuditAction.REGISTER_EXPORTED,
                     record_kind=RecordKind.REGISTER,
                     record_id=name, detail={"cases": len(cases)})
    return Register(name, start, end, cases, len(officers), attested,
                    ", ".join(sorted(set(periods.values()))) or str(last_day.year),
                    dict(actions), len(waivers), on_time)
