"""The committee's records: a case file for an allowed member, and the sanitized register.

`db_case_file` gathers the whole case (report, follow-ups, acknowledgement, status history,
determinations) for one committee member, after the same check as opening the details: a member
the report keeps away is refused and the refusal audited. `db_register` counts a quarter's cases
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

from bot import attestation, board, copy
from bot.committee import db_case_for
from bot.core import CandorError, Core, actor_id, db_committee, db_excluded
from bot.reports import REPORT, db_open
from storage.clock import as_utc
from storage.models import (
    Attestation,
    CaseMessage,
    Determination,
    Person,
    Report,
    StatusChange,
    Waiver,
)
from storage.vocabulary import CaseStatus, Category, PersonKind

# --- the case file ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFile:
    """A case as (heading, [(label, text)]) sections, in reading order."""

    code: str
    title: str
    generated_for: str
    generated_at: datetime
    sections: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]


def _name(session: Session, person_id: int | None) -> str:
    person = session.get(Person, person_id) if person_id is not None else None
    return person.name if person else "—"


def db_case_file(session: Session, core: Core, member: Person, code: str) -> CaseFile:
    """The whole case file for `member`; refused (and audited) unless they may open the case."""
    report = session.exec(select(Report).where(Report.code == code)).first()
    if report is None:
        raise CandorError(copy.case_not_found())
    report = db_case_for(session, core, member, report.id, action="export")
    content = db_open(session, core, report)
    reporter = content.get("reporter")
    who = f"{reporter.get('name')} <{reporter.get('email')}>" if isinstance(reporter, dict) else "Anonymous"
    summary: list[tuple[str, str]] = [
        ("Case", report.code), ("Category", report.category.label), ("Status", report.status.label),
        ("Received", f"{report.received_at:%Y-%m-%d}" if report.anonymous
         else f"{report.received_at:%Y-%m-%d %H:%M} UTC"), ("Reporter", who),
    ]
    if report.legal_hold:
        summary.append(("Legal hold", "Yes"))
    the_report = tuple((label, str(content.get(key) or "Not given")) for key, label in (
        ("what", "What happened"), ("who", "People involved"), ("when", "When"),
        ("evidence", "Evidence"), ("known", "Already known to")))
    sections: list[tuple[str, tuple[tuple[str, str], ...]]] = [
        ("Summary", tuple(summary)), ("The report", the_report)]
    if member.chair:
        excluded = db_excluded(session, core, report)
        names = ", ".join(p.name for p in db_committee(session) if p.id in excluded) or "No one"
        sections.append(("Kept away from this case (chair only)", (("Members", names),)))
    ack = ((("Acknowledged", f"{report.acknowledged_at:%Y-%m-%d %H:%M} UTC by "
             f"{_name(session, report.acknowledged_by)}"),) if report.acknowledged_at
           else (("Acknowledged", "Not yet"),))
    sections.append(("Acknowledgement", ack))
    messages = []
    for message in session.exec(select(CaseMessage).where(CaseMessage.report_id == report.id)
                                .order_by(col(CaseMessage.created_at))).all():
        text = core.vault.open(session, kind="case_message", record_id=message.id, blob=message.body)
        by = f" ({_name(session, message.author_id)})" if message.author_id else ""
        messages.append((f"{message.direction.label}{by}, {message.created_at:%Y-%m-%d %H:%M}",
                         str(text.get("text", ""))))
    sections.append(("Follow-up", tuple(messages) or (("Messages", "None"),)))
    history = []
    for change in session.exec(select(StatusChange).where(StatusChange.report_id == report.id)
                               .order_by(col(StatusChange.at))).all():
        reason = core.vault.open(session, kind="status_change", record_id=change.id, blob=change.body).get("reason")
        history.append((f"{change.at:%Y-%m-%d %H:%M} {change.from_status.label} -> {change.to_status.label}",
                        f"{_name(session, change.by_id)}" + (f": {reason}" if reason else "")))
    sections.append(("Status history", tuple(history) or (("Changes", "None"),)))
    for decided in session.exec(select(Determination).where(Determination.report_id == report.id)
                                .order_by(col(Determination.created_at))).all():
        sealed = board.db_open(session, core, decided)
        sections.append((f"Board determination of {decided.decided_on.isoformat()}", (
            ("Officer concerned", _name(session, decided.subject_id)),
            ("Material violation", "Yes" if decided.violation else "No"),
            ("Action", decided.action.label),
            ("Nature and severity", str(sealed.get("nature", ""))),
            ("Single or repeated", str(sealed.get("occurrence", ""))),
            ("Intentional or inadvertent", str(sealed.get("intent", ""))),
            ("Advised beforehand of the proper course", "Yes" if sealed.get("advised") else "No"),
            ("Prior violations", str(sealed.get("prior", ""))),
            ("Decided by", str(sealed.get("decider") or "Not recorded")),
            ("Recorded by", _name(session, decided.decided_by)),
            ("Reasoning", str(sealed.get("reasoning", ""))),
        )))
    core.audit_event(session, actor=actor_id(member), action="case.exported", record_kind=REPORT,
                     record_id=report.id)
    return CaseFile(report.code, f"Case file {report.code}", member.name, core.now(), tuple(sections))


# --- the register -----------------------------------------------------------------------------

_PERIOD = re.compile(r"^(\d{4})[- ]?Q([1-4])$", re.IGNORECASE)


def parse_period(text: str) -> tuple[str, date, date]:
    """A quarter ("2026Q4") as (name, first day, first day of the next quarter)."""
    match = _PERIOD.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a quarter; write it like 2026Q4")
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
        hours_to_acknowledge=(round((as_utc(r.acknowledged_at) - as_utc(r.received_at)).total_seconds() / 3600, 1)
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
    on_time = sum(1 for w in waivers if w.disclosed_on is not None and w.disclosed_on <= w.disclosure_due)
    core.audit_event(session, actor=actor, action="register.exported", record_kind="register",
                     record_id=name, detail={"cases": len(cases)})
    return Register(name, start, end, cases, len(officers), attested,
                    ", ".join(sorted(set(periods.values()))) or str(last_day.year),
                    dict(actions), len(waivers), on_time)
