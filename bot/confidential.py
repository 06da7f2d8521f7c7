"""Confidential reporting (issue 24): who made a confidential report, sealed in a record of its
own (`ReporterIdentity`), and the one way their name is shown (`db_reveal`).

A confidential report's `Report` row keeps no reporter: no blind index, nothing in its sealed
body. Its reporter's roster entry (as filed) and every showing of their name (how, why, by whom,
to whom, when) are sealed in the `reporteridentity` row keyed by the case. This module is the only
one that opens it, for: the reveal path (`db_reveal`, called by the reporter's own "Show my name"
and by the quorum and consent paths of the `reveal` branch), the views that show the name once
revealed (`db_shown_name`), the reporter's own views (`db_reports_of`, `db_is_own`, `db_own_line`)
and the notifier that reaches them (`db_tell`).

A person's own confidential cases are found by opening these rows, one per confidential case, so
no column says that two confidential reports came from one person (a blind index would).
Functions named `db_*` take the caller's session and never commit.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from bot import actions
from bot.core import Core
from bot.delivery.outbox import REPORTER_PREFIX, db_enqueue, person_target
from bot.messages import Choice, Notice
from bot.report_content import NamedReporter
from bot.wording import confidential as words
from bot.wording import designee_reveal as designee_words
from bot.wording import following
from storage.clock import as_utc, start_of_day
from storage.models import Person, Report, ReporterIdentity
from storage.vocabulary import AuditAction, RecordKind, ReporterMode, RevealHow

KIND = RecordKind.REPORTER_IDENTITY
COMMITTEE = "committee"  # `shown_to` for the members allowed on the case
PERSON = "person:"  # `shown_to` for one designee ("person:<id>"), as the audit names people


def person_audience(person_id: int) -> str:
    """`shown_to` for one person the committee designated on the case."""
    return f"{PERSON}{person_id}"
_random = random.SystemRandom()  # the news's delay: unpredictable, so it cannot be subtracted


@dataclass(frozen=True)
class Reveal:
    """One showing of the name: how, why (sealed), by whom (an audit actor), to whom, when."""

    how: RevealHow
    reason: str | None
    by: str
    shown_to: str
    at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"how": self.how.value, "reason": self.reason, "by": self.by,
                "shown_to": self.shown_to, "at": self.at.isoformat()}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Reveal:
        reason = doc.get("reason")
        return cls(RevealHow(str(doc["how"])), reason if isinstance(reason, str) else None,
                   str(doc.get("by", "")), str(doc.get("shown_to", COMMITTEE)),
                   as_utc(datetime.fromisoformat(str(doc["at"]))))


@dataclass(frozen=True)
class Sealed:
    """A confidential report's reporter as filed, and every showing of their name."""

    reporter: NamedReporter
    reveals: tuple[Reveal, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"reporter": self.reporter.to_json(),
                "reveals": [r.to_json() for r in self.reveals]}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Sealed | None:
        who = doc.get("reporter")
        if not isinstance(who, Mapping):
            return None  # shredded: the record opens as nothing
        reveals = doc.get("reveals")
        return cls(NamedReporter.from_json(who),
                   tuple(Reveal.from_json(r) for r in reveals if isinstance(r, Mapping))
                   if isinstance(reveals, list) else ())

    def shown(self, to: str = COMMITTEE, *, since: datetime | None = None) -> Reveal | None:
        """The first showing of the name to `to` (at or after `since`: a designee's showing
        counts only under the designation in force), if any."""
        return next((r for r in self.reveals if r.shown_to == to
                     and (since is None or r.at >= as_utc(since))), None)


def mode(report: Report) -> ReporterMode:
    """How the report keeps its reporter (its plain flags say it)."""
    if report.anonymous:
        return ReporterMode.ANONYMOUS
    return ReporterMode.CONFIDENTIAL if report.confidential else ReporterMode.NAMED


def dated_by_day(core: Core, report: Report) -> bool:
    """Whether the committee's views show the day only of the report's receipt: an anonymous or
    confidential one, and one that came in anonymous and was named since (`bot.reporter_name`),
    whose plain row keeps only the start of its day (its moment could point at its reporter; a
    time of "00:00 UTC" would be a false one)."""
    received = as_utc(report.received_at)
    return (report.anonymous or report.confidential
            or received == start_of_day(received, core.timezone))


# --- writing ---------------------------------------------------------------------------------


def db_seal(session: Session, core: Core, *, report_id: str, reporter: NamedReporter) -> None:
    """Seal the reporter of a confidential report in its own record (the report row is written
    in the same transaction, by `bot.reports.db_record`)."""
    session.add(ReporterIdentity(
        report_id=report_id,
        body=core.vault.seal(session, kind=KIND, record_id=report_id,
                             data=Sealed(reporter).to_json(), new=True)))


def _db_row(session: Session, report: Report) -> ReporterIdentity | None:
    if not report.confidential or report.shredded_at is not None:
        return None
    return session.get(ReporterIdentity, report.id)


def db_sealed(session: Session, core: Core, report: Report) -> Sealed | None:
    """The sealed record, opened; None for a report that is not confidential or was shredded."""
    row = _db_row(session, report)
    if row is None:
        return None
    return Sealed.from_json(core.vault.unseal(session, kind=KIND, record_id=row.report_id,
                                              blob=row.body))


# --- the interface the reveal paths use ---------------------------------------------------


def db_reporter(session: Session, core: Core, report: Report) -> Person | None:
    """The confidential reporter, from their sealed identity record (None if shredded, not
    confidential, or no longer on the roster)."""
    sealed = db_sealed(session, core, report)
    if sealed is None or sealed.reporter.person_id is None:
        return None
    return session.get(Person, sealed.reporter.person_id)


def db_is_revealed(session: Session, core: Core, report: Report) -> bool:
    """Whether the name is shown to the members allowed on the case."""
    sealed = db_sealed(session, core, report)
    return sealed is not None and sealed.shown() is not None


def db_reveal(session: Session, core: Core, report: Report, *, how: RevealHow,
              reason: str | None, by: str, shown_to: str = COMMITTEE,
              since: datetime | None = None, at: datetime | None = None) -> None:
    """Show the confidential reporter's name to `shown_to` (the members allowed on the case, or
    a designee's "person:<id>"), audit it (who, how, to whom; the reason is sealed in the record,
    the audit event counts it) and tell the reporter by a content-free direct message; their
    private view says when, how and why. Showing it again to the same readers changes nothing.
    `at` dates the audit event (the day, when the reporter's own act caused it: its minute would
    line up with their visit's trace on the platform)."""
    row = _db_row(session, report)
    sealed = db_sealed(session, core, report)
    if row is None or sealed is None or sealed.shown(shown_to, since=since) is not None:
        return
    reveal = Reveal(how, reason, by, shown_to, core.now())
    updated = Sealed(sealed.reporter, (*sealed.reveals, reveal))
    row.body = core.vault.seal(session, kind=KIND, record_id=row.report_id,
                               data=updated.to_json())
    session.add(row)
    number = len(updated.reveals)
    core.audit_event(session, actor=by, action=AuditAction.REPORTER_REVEALED,
                     record_kind=RecordKind.REPORT, record_id=report.id,
                     detail={"how": how.value, "shown_to": shown_to, "reveal": number,
                             "reason_given": bool(reason)}, at=at)
    db_tell(session, core, report, key=f"revealed:{report.id}:{number}")


# --- reaching the reporter, and their own views ------------------------------------------


def db_shown_name(session: Session, core: Core, report: Report, *,
                  to: str = COMMITTEE, since: datetime | None = None) -> str:
    """How the committee's views name a confidential reporter: "Confidential reporter", or,
    once their name is shown to `to` (since `since`), the name and e-mail with how and when."""
    sealed = db_sealed(session, core, report)
    shown = sealed.shown(to, since=since) if sealed is not None else None
    if sealed is None or shown is None:
        return words.CONFIDENTIAL_REPORTER
    return words.revealed_reporter(sealed.reporter.name, sealed.reporter.email, shown.how.label,
                                   shown.at)


def db_own_line(session: Session, core: Core, report: Report) -> tuple[str, str] | None:
    """The line a confidential reporter's own view adds: whether their name is sealed or was
    shown (when, how, and the reason given)."""
    sealed = db_sealed(session, core, report)
    if sealed is None:
        return None
    shown = sealed.shown()
    if shown is None:
        return (words.YOUR_NAME, words.NAME_SEALED)
    lines = [words.name_shown(shown.at, shown.how.label, shown.reason)]
    for other in sealed.reveals:  # the designated persons a member showed it to, by name
        person_id = other.shown_to.removeprefix(PERSON)
        person = (session.get(Person, int(person_id))
                  if other.shown_to.startswith(PERSON) and person_id.isdigit() else None)
        if person is not None:
            lines.append(designee_words.reporter_line(person.name, person.affiliation or "",
                                                      other.at, other.reason))
    return (words.YOUR_NAME, "\n".join(lines))


def db_tell(session: Session, core: Core, report: Report, *, key: str) -> None:
    """The content-free direct message "There is news on a report you made", with the button
    that lists their reports in a window, to a confidential reporter. It waits a random delay of
    up to CANDOR_ANONYMOUS_DELAY_MINUTES, as the report's alert did: sent at once, its time in
    the reporter's chat would line up with the committee's act on the case in the channel (an
    acknowledgement edits the alert), and name the reporter of that case to whoever reads both."""
    sealed = db_sealed(session, core, report)
    if sealed is None or sealed.reporter.person_id is None:
        return
    delay = timedelta(seconds=_random.uniform(0, core.schedule.anonymous_delay_minutes * 60))
    db_enqueue(session, core.vault, now=core.now(), key=f"{REPORTER_PREFIX}{key}",
               not_before=core.now() + delay,
               target=person_target(sealed.reporter.person_id),
               notice=Notice(title=following.NEWS_FOR_REPORTER,
                             text=following.NEWS_FOR_REPORTER_DETAIL,
                             choices=(Choice(following.OPEN_MY_REPORTS,
                                             actions.MyReports().encode()),)),
               platforms=core.platforms)


def db_is_own(session: Session, core: Core, report: Report, person: Person) -> bool:
    """Whether `person` made this confidential report."""
    sealed = db_sealed(session, core, report)
    return (sealed is not None and person.id is not None
            and sealed.reporter.person_id == person.id)


def db_reports_of(session: Session, core: Core, person: Person) -> list[Report]:
    """A person's own confidential cases, found by opening each confidential case's record."""
    if person.id is None:
        return []
    rows = session.exec(select(Report).where(col(Report.confidential).is_(True),
                                             col(Report.shredded_at).is_(None))
                        .order_by(col(Report.received_at))).all()
    return [r for r in rows if db_is_own(session, core, r, person)]


def db_shred(session: Session, core: Core, report: Report) -> int:
    """Retention: shred the identity with the case (its data key, then the row)."""
    row = session.get(ReporterIdentity, report.id)
    if row is None:
        return 0
    keys = int(core.vault.shred(session, kind=KIND, record_id=row.report_id))
    session.delete(row)
    return keys
