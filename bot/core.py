"""What every use case needs: the vault, the audit log, the clock, the enabled platforms, the
Code, the few lookups shared by reports, follow-up and committee actions, and the check of a
form's required text (`required_text`).

Functions named `db_*` take the caller's session and never commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from bot.attestation import Policy
from bot.evidence.limits import EvidenceSettings
from bot.messages import Actor
from bot.schedule import deadlines
from bot.schedule.calendar import local_date
from bot.schedule.deadlines import ScheduleSettings
from bot.wording import refusals
from storage import identities
from storage.audit import AuditLog, Detail
from storage.clock import start_of_day, utcnow
from storage.crypto import Vault
from storage.db import Database
from storage.identities import PlatformAccount
from storage.models import Exclusion, Person, Report
from storage.vocabulary import AuditAction, PersonKind, Platform, RecordKind

Keep = Callable[[Session], None]  # what a refusal itself writes, in a transaction of its own


class CandorError(Exception):
    """A request the core refuses; `reply` is the polite sentence for the person. Everything the
    use case wrote before it refused is rolled back; `keep` is what the refusal itself leaves
    (its audit entry, a failed guess counted), written afterwards in a unit of work of its own
    (`keep_refusal`)."""

    def __init__(self, reply: str, *, keep: Keep | None = None) -> None:
        super().__init__(reply)
        self.reply = reply
        self.keep = keep


class FieldError(CandorError):
    """A form field the core refuses: adapters show `reply` beside the field `name` (a Slack
    field error, a line under the card's input), and nothing is recorded."""

    def __init__(self, name: str, reply: str, *, keep: Keep | None = None) -> None:
        super().__init__(reply, keep=keep)
        self.name = name


def keep_refusal(db: Database, refusal: CandorError) -> dict[str, Any]:
    """Write what a refusal keeps, once the use case's own unit of work was rolled back; returns
    that unit's `session.info` (what it noted of itself: a notice written, say), empty when the
    refusal keeps nothing."""
    if refusal.keep is None:
        return {}
    with db.write() as session:
        refusal.keep(session)
    return session.info


def required_text(name: str, value: str, *, limit: int) -> str:
    """What a person typed into the required field `name`, stripped; refused beside the field
    when it is empty or longer than `limit`."""
    value = value.strip()
    if not value:
        raise FieldError(name, refusals.REQUIRED_FIELD)
    if len(value) > limit:
        raise FieldError(name, refusals.too_long(limit, len(value)))
    return value


@dataclass
class Core:
    vault: Vault
    audit: AuditLog
    policy: Policy
    platforms: frozenset[Platform]
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    now: Callable[[], datetime] = utcnow
    # Who runs this process when a person at a terminal acts as others on a database that was
    # not made for it (`candor console --allow-production`): "console:<os user>@<host>", written
    # beside the actor of every event audited through `audit_event`, so the log blames them.
    operator: str | None = None
    # The written notice (issue 22): the company a notice letter names (CANDOR_COMPANY_NAME);
    # None: the one the Code names (`bot.notice_letter.company_of`).
    company_name: str | None = None
    # Evidence files: where the upload and download pages are reached, and their limits.
    evidence: EvidenceSettings = field(default_factory=EvidenceSettings)

    @property
    def timezone(self) -> ZoneInfo:
        return self.schedule.tz

    @property
    def draft_ttl(self) -> timedelta:
        return timedelta(hours=self.schedule.draft_ttl_hours)

    def audit_event(self, session: Session, *, actor: str, action: AuditAction,
                    record_kind: RecordKind,
                    record_id: str, detail: Detail | None = None,
                    at: datetime | None = None) -> None:
        if self.operator is not None:
            detail = {**(detail or {}), "operator": self.operator}
        self.audit.db_append(session, actor=actor, action=action, record_kind=record_kind,
                             record_id=record_id, detail=detail, at=at or self.now())

    def refused(self, reply: str, *, actor: str, action: AuditAction, record_kind: RecordKind,
                record_id: str, detail: Detail | None = None) -> CandorError:
        """A refusal whose audit entry outlives the rollback of everything else the use case
        wrote: raise what this returns."""
        def keep(session: Session) -> None:
            self.audit_event(session, actor=actor, action=action, record_kind=record_kind,
                             record_id=record_id, detail=detail)
        return CandorError(reply, keep=keep)

    def today(self) -> date:
        """Today in the company's zone: the one "today" every rule, form and view counts from
        (due dates, deadlines and the dates people type are the company's local dates)."""
        return local_date(self.now(), self.timezone)

    def today_start(self) -> datetime:
        """The start of today in the company's zone, as UTC: the only time plain rows keep of an
        anonymous report or of a person's drafting."""
        return start_of_day(self.now(), self.timezone)

    # --- dates shown on a case (the deadlines the reminders count down to) ------------------

    def acknowledge_by(self, report: Report) -> date:
        return deadlines.acknowledge_by(report.received_at, self.schedule)

    def receipt_due(self, report: Report) -> date:
        return deadlines.receipt_deadline(report.received_at, self.schedule)

    def feedback_due(self, report: Report) -> date:
        return deadlines.feedback_deadline(report.received_at, self.schedule)


def actor_id(person: Person) -> str:
    """How a roster person appears in the audit log."""
    return f"person:{person.id}"


REPORTER = "reporter"  # how a reporter appears in the audit log: never by identity


def db_resolve(session: Session, core: Core, actor: Actor) -> Person | None:
    """The roster person behind a platform id; an unknown id is matched by e-mail once and the
    match stored (sealed, found by keyed tags: `storage.identities`). Inactive people are nobody."""
    vault = core.vault
    person_id = identities.db_person_id(session, vault, actor.platform, actor.user_id)
    row = (session.exec(_PERSON_BY_ID, params={"id": person_id}).first()
           if person_id is not None else None)
    if row is None and actor.email:
        row = session.exec(select(Person).where(
            Person.email == actor.email.strip().lower())).first()
        if row is not None and row.id is not None:
            taken = identities.db_account(session, vault, row.id, actor.platform)
            if taken is None:
                identities.db_add(session, vault,
                                  PlatformAccount(row.id, actor.platform, actor.user_id))
                # Dated by its day, and naming the sealed identity row (its keyed tag), not the
                # person: a match is made as its person first writes, so a plain person id here
                # would mark the moment of their first visit, which may be an anonymous report.
                # With the key, an auditor opens the row to see whose account was matched.
                core.audit_event(session, actor="system", action=AuditAction.IDENTITY_MATCHED,
                                 record_kind=RecordKind.IDENTITY,
                                 record_id=identities.account_tag(vault, actor.platform,
                                                                  actor.user_id),
                                 detail={"platform": actor.platform.value}, at=core.today_start())
            elif taken.platform_user_id != actor.user_id:
                return None  # the e-mail is bound to another account on this platform
    if row is None or not row.active:
        return None
    return row


# Built once: `session.get` puts its statement together at each call (every event resolves its
# person; about 100 us more than this on SQLite). The person stays an ORM object: use cases
# change it.
_PERSON_BY_ID = select(Person).where(Person.id == bindparam("id"))


def db_active(session: Session, *kinds: PersonKind) -> list[Person]:
    """The active people of these kinds, by name."""
    return list(session.exec(_active(kinds)).all())


@cache
def _active(kinds: tuple[PersonKind, ...]) -> SelectOfScalar[Person]:
    # Built once for each set of kinds asked for (every report form asks).
    return (select(Person).where(col(Person.kind).in_(kinds), Person.active == True)  # noqa: E712
            .order_by(col(Person.name)))


def db_committee(session: Session) -> list[Person]:
    return db_active(session, PersonKind.COMMITTEE)


def db_excluded(session: Session, core: Core, report: Report) -> set[int]:
    """The committee members kept away from a report (sealed; opened only to route)."""
    excluded: set[int] = set()
    for row in session.exec(select(Exclusion).where(Exclusion.report_id == report.id)).all():
        data = core.vault.unseal(session, kind=RecordKind.EXCLUSION, record_id=row.id,
                                 blob=row.body)
        excluded.update(int(x) for x in data.get("members", []))
    return excluded


def db_exclusions(session: Session, core: Core, report_ids: list[str]) -> dict[str, set[int]]:
    """The excluded members of many reports in one query (only reports with exclusions are
    opened): what a sweep over every open case needs."""
    excluded: dict[str, set[int]] = {}
    if not report_ids:
        return excluded
    wanted = set(report_ids)
    for row in session.exec(select(Exclusion)).all():
        if row.report_id not in wanted:
            continue
        data = core.vault.unseal(session, kind=RecordKind.EXCLUSION, record_id=row.id,
                                 blob=row.body)
        excluded.setdefault(row.report_id, set()).update(int(x) for x in data.get("members", []))
    return excluded


def db_report_by_code(session: Session, code: str) -> Report | None:
    return session.exec(select(Report).where(Report.code == code)).first()


def is_committee(person: Person) -> bool:
    return person.kind is PersonKind.COMMITTEE
