"""The administrator's use cases behind the `candor` command: the roster, the audit chain, waivers,
retention and legal holds, the committee's exports, and the operator's view of delivery (`candor
status`, and what the server's /healthz and /metrics read).

Each use case opens its own unit of work (the command line opens none) and audits as `ACTOR`.
A refusal is a `Refused` that carries the facts, worded by the command line, or the core's
`CandorError`; one that is audited (an export refused) commits its audit row first. Nothing
here prints, and no refusal carries confidential text. The master keys' use cases are in
`bot.keys`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import text
from sqlmodel import Session, select

from bot import access, pending, records, retention, roster, waivers, written_notice
from bot.codes import format_code
from bot.core import CandorError, Core, db_report_by_code, keep_refusal
from bot.delivery import outage
from bot.delivery.relay import db_due_now
from bot.evidence import store
from bot.notice_letter import WrittenNotice
from bot.roster_file import RosterEntry
from bot.views.case import CaseFile
from bot.wording import files as files_wording
from storage import migrate
from storage.audit import VerifyResult
from storage.crypto import Vault
from storage.db import Database
from storage.escrow import EscrowUnbound, db_bound, db_current
from storage.identities import PlatformAccount
from storage.models import DeliveryOutage, Person, RecoveryKey, Report, Waiver

ACTOR = "cli"  # how the administrator at the command line appears in the audit log


# --- refusals: the facts, for the command line to word -----------------------------------------


class Refused(Exception):
    """What was asked cannot be done; nothing changed (but an audited refusal). The subclasses
    are dataclasses of the facts (compared by identity, as exceptions are)."""


@dataclass(eq=False)
class NotFound(Refused):
    """Nothing is named so: no active person on the roster has this e-mail (`what` is "person"),
    no active officer ("officer"), no single waiver's id starts so ("waiver"), no case has this
    code or only its tombstone remains ("case")."""

    what: Literal["person", "officer", "waiver", "case"]
    given: str


@dataclass(eq=False)
class InvalidGrant(Refused):
    """A waiver's fields do not hold: each field at fault, with the core's sentence."""

    errors: dict[str, str]


@dataclass(eq=False)
class CaseShredded(Refused):
    """The case was shredded: only its tombstone, in the register of `quarter`, remains."""

    code: str
    shredded_at: datetime
    closed_at: datetime | None
    quarter: str


@dataclass(eq=False)
class HoldUnchanged(Refused):
    """The case is already under legal hold (`hold`), or is not under one to release."""

    code: str
    hold: bool


class FutureShredding(Refused):
    """Shredding was asked for by a time the real clock has not reached (`bot.retention`)."""


# --- the use cases -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueCase:
    """A closed case past its retention period, as the command lists it (no content)."""

    report_id: str
    code: str
    category: str
    closed_at: datetime | None
    kept_until: datetime | None


@dataclass
class Admin:
    """The administrator's use cases on one database and core; each opens its own unit of work."""

    db: Database
    core: Core
    retention_years: int = retention.DEFAULT_YEARS

    # the roster and the audit chain

    def import_roster(self, entries: Sequence[RosterEntry], *,
                      prune: bool) -> roster.ImportResult:
        """Add or update people (matched by e-mail); `RosterError` refuses the whole file."""
        return roster.import_roster(self.db, entries, prune=prune, vault=self.core.vault,
                                    audit=self.core.audit, actor=ACTOR)

    def list_roster(self) -> list[tuple[Person, list[PlatformAccount]]]:
        with self.db.read() as session:
            return roster.db_list_roster(session, self.core.vault)

    def verify_audit(self, *, anchor: tuple[int, str] | None) -> VerifyResult:
        with self.db.read() as session:
            return self.core.audit.verify(session, anchor=anchor)

    # waivers

    def list_waivers(self) -> list[tuple[Waiver, Person]]:
        with self.db.read() as session:
            return waivers.db_waivers(session)

    def record_waiver(self, *, officer: str, fields: dict[str, Any]) -> tuple[Waiver, Person]:
        """Record a waiver granted to the officer whose e-mail is `officer`; `fields` are the
        waiver form's other fields (provision, granted_by, granted_on, reason)."""
        with self.db.write() as session:
            officers = {p.email: p for p in access.db_officers(session)}
            person = officers.get(officer.strip().lower())
            if person is None or person.id is None:
                raise NotFound("officer", officer)
            checked = waivers.validate({**fields, "officer": str(person.id)},
                                       officer_ids={person.id}, today=self.core.today())
            if isinstance(checked, dict):
                raise InvalidGrant(checked)
            return waivers.db_record(session, self.core, actor=ACTOR, grant=checked,
                                     recorded_by=None), person

    def disclose_waiver(self, prefix: str, *, ref: str, on: date) -> Waiver:
        """Record a waiver's public disclosure; `prefix` is its id or the first characters of it."""
        with self.db.write() as session:
            waiver = waivers.db_find(session, prefix)
            if waiver is None:
                raise NotFound("waiver", prefix)
            return waivers.db_disclose(session, self.core, actor=ACTOR, waiver_id=waiver.id,
                                       ref=ref, on=on)

    # retention and legal holds

    def due_for_shredding(self, *, at: datetime, years: int | None = None,
                          rehearsal: bool = False) -> list[DueCase]:
        """The cases to shred at `at`. Only a `rehearsal` may look into the future: shredding
        itself is judged by `at` only once the real clock has reached it (`FutureShredding`)."""
        now = self.core.now()
        if not rehearsal and retention.ahead_of_the_clock(at, now=now):
            raise FutureShredding()
        kept = years or self.retention_years
        judged = at if rehearsal else retention.judged_at(at, now=now)
        with self.db.read() as session:
            return [DueCase(r.id, r.code, r.category.label, r.closed_at,
                            retention.shred_after(r, kept))
                    for r in retention.db_due(session, judged, kept)]

    def shred(self, due: Sequence[DueCase]) -> int:
        """Shred each case, one unit of work each, unless it was held or shredded meanwhile;
        returns how many were."""
        shredded = 0
        for case in due:
            with self.db.write() as session:
                report = session.get(Report, case.report_id)
                if report is None or report.legal_hold or report.shredded_at is not None:
                    continue
                retention.db_shred(session, self.core, report, actor=ACTOR)
                shredded += 1
        if shredded:
            self.db.checkpoint()  # the shredded keys are still in SQLite's WAL until this
        return shredded

    def set_hold(self, code: str, *, hold: bool, reason: str) -> str:
        """Place (`hold`) or release a legal hold; returns the case's code as written."""
        with self.db.write() as session:
            report = db_report_by_code(session, format_code(code))
            if report is None or report.shredded_at is not None:
                raise NotFound("case", code)
            if report.legal_hold == hold:
                raise HoldUnchanged(report.code, hold)
            retention.db_set_hold(session, self.core, report, hold=hold, reason=reason, actor=ACTOR)
            return report.code

    # the committee's records

    def case_file(self, code: str, *, member: str,
                  operator: str) -> tuple[CaseFile, list[tuple[store.StoredFile, bytes]]]:
        """The whole case file for the committee member whose e-mail is `member`, asked for by
        `operator` (the OS user and host). A refusal by the core is audited before it is raised."""
        try:
            return self._case_file(code, member=member, operator=operator)
        except CandorError as exc:
            keep_refusal(self.db, exc)  # its audit row, once the rest is rolled back
            raise

    def _case_file(self, code: str, *, member: str,
                   operator: str) -> tuple[CaseFile, list[tuple[store.StoredFile, bytes]]]:
        with self.db.write() as session:
            person, report = self._db_member_and_case(session, member, code)
            case = records.db_case_file(session, self.core, person, report.code,
                                        operator=operator)
            # evidence files (issue 23): written beside the case file, with their hashes
            documents = store.db_export(session, self.core, report_id=report.id,
                                        actor=f"person:{person.id}")
            return replace(case, sections=(*case.sections, (files_wording.DOCUMENTS, tuple(
                (f.name, f"{f.size} bytes, SHA-256 {f.sha256}") for f, _ in documents)
                or ((files_wording.DOCUMENTS, files_wording.NO_DOCUMENTS),)))), documents

    # the written notice (issue 22)

    def notice_letters(self, code: str, *, member: str,
                       operator: str) -> tuple[str, tuple[WrittenNotice, ...]]:
        """The case's code and its written notices, each with its letter, for the committee member
        whose e-mail is `member`, asked for by `operator`; each letter handed out is audited, and a
        refusal by the core too, as for a case file."""
        try:
            return self._notice_letters(code, member=member, operator=operator)
        except CandorError as exc:
            keep_refusal(self.db, exc)
            raise

    def _notice_letters(self, code: str, *, member: str,
                        operator: str) -> tuple[str, tuple[WrittenNotice, ...]]:
        with self.db.write() as session:
            person, report = self._db_member_and_case(session, member, code)
            found, notices = written_notice.db_letters(session, self.core, person, report.code,
                                                       operator=operator)
            return found.code, notices

    def _db_member_and_case(self, session: Session, member: str,
                            code: str) -> tuple[Person, Report]:
        """The active person `member` names and the case `code` names, for an export at the
        command line; the refusal's facts when either is unknown or the case was shredded (the
        case gate, who may have it, is the use case's)."""
        person = _db_active_person(session, member)
        report = db_report_by_code(session, format_code(code))
        if person is None:
            raise NotFound("person", member)
        if report is None:
            raise NotFound("case", code)
        if report.shredded_at is not None:
            raise CaseShredded(report.code, report.shredded_at, report.closed_at,
                               records.quarter_of(report.received_at, self.core.timezone))
        return person, report

    def register(self, period: str) -> records.Register:
        """The sanitized register of a quarter ("2026Q4"), audited as an export."""
        with self.db.write() as session:
            return records.db_register(session, self.core, period, actor=ACTOR)


def _db_active_person(session: Session, email: str) -> Person | None:
    return session.exec(select(Person).where(Person.email == email.strip().lower(),
                                              Person.active == True)).first()  # noqa: E712


# --- the operator's view of delivery (plain columns; the key only for held reports) -----------


@dataclass(frozen=True)
class Status:
    """What `candor status` shows: the schema, what waits for delivery, outages, the escrow, and
    how many anonymous reports are held past their delay (None: it cannot tell without the key)."""

    schema: str | None  # the database's revision; None when it has none
    head: str | None  # the revision this version of Candor runs
    # empty unless the schema is current
    waiting: list[outage.Waiting] = field(default_factory=list)
    outages: list[DeliveryOutage] = field(default_factory=list)
    escrow: RecoveryKey | None = None
    unrecorded: int | None = None
    # Why the escrow does not verify under the keyring ("unbound", "several"); None when it does,
    # when there is none, or when the key is not at hand to tell (`escrow_checked`).
    escrow_fault: str | None = None
    escrow_checked: bool = False

    @property
    def current(self) -> bool:
        return self.schema == self.head

    def problems(self, *, now: datetime, stale_minutes: float) -> dict[str, Any]:
        """What keeps the committee's notices from getting through (empty: nothing)."""
        return _problems(self.waiting, self.unrecorded, now=now, stale_minutes=stale_minutes)


def _problems(waiting: list[outage.Waiting], unrecorded: int | None, *, now: datetime,
              stale_minutes: float) -> dict[str, Any]:
    problems = outage.committee_health(waiting, now=now).problems(stale_minutes=stale_minutes)
    if unrecorded:
        problems[pending.HEALTH_REASON] = unrecorded
    return problems


def status(db: Database, *, now: datetime, vault: Vault | None) -> Status:
    """Plain columns only, but for whether held anonymous reports are past their delay, which is
    sealed (bot.pending): read with `vault` when the key is at hand."""
    schema, head = migrate.current_revision(db), migrate.head_revision()
    if schema != head:  # the tables may not be the ones read below
        return Status(schema, head)
    with db.read() as session:
        unrecorded = pending.db_overdue(session, vault, now=now) if vault is not None else None
        fault = _db_escrow_fault(session, vault) if vault is not None else None
        return Status(schema, head, outage.db_waiting(session, now=now), outage.db_outages(session),
                      db_current(session), unrecorded, fault, vault is not None)


ESCROW_HEALTH_REASON = "recovery_escrow"  # how /healthz names an escrow that does not verify


def _db_escrow_fault(session: Session, vault: Vault) -> str | None:
    """Why the escrow in force does not verify under the vault's keyring, or None."""
    try:
        db_bound(session, vault.keyring)
    except EscrowUnbound as exc:
        return exc.reason
    return None


def retry_blocked(db: Database, *, now: datetime) -> int:
    """Every notice a platform refused is due now (after a fix); returns how many."""
    with db.write() as session:
        return db_due_now(session, platform=None, now=now)


def health(db: Database, vault: Vault, *, now: datetime, stale_minutes: float) -> dict[str, Any]:
    """What `GET /healthz` finds keeping the committee's notices from getting through, as
    `Status.problems` (empty: nothing), and a recovery escrow that does not verify under the
    server's keyring (`ESCROW_HEALTH_REASON`: "unbound" or "several"). The connection is probed
    first (SELECT 1); a database that does not answer raises."""
    with db.read() as session:
        session.execute(text("SELECT 1"))
        waiting = outage.db_waiting(session, now=now)
        unrecorded = pending.db_overdue(session, vault, now=now)
        escrow_fault = _db_escrow_fault(session, vault)
    problems = _problems(waiting, unrecorded, now=now, stale_minutes=stale_minutes)
    if escrow_fault:
        # Not a notice that fails to get through, but a keyring that the next rotation would
        # refuse to seal: an operator must hear of it before then.
        problems[ESCROW_HEALTH_REASON] = escrow_fault
    return problems


def waiting(db: Database, *, now: datetime) -> list[outage.Waiting]:
    """What waits for delivery now (each scrape of `GET /metrics`)."""
    with db.read() as session:
        return outage.db_waiting(session, now=now)


def unrecorded(db: Database, vault: Vault, *, now: datetime) -> int:
    """How many anonymous reports are held past their delay and not recorded (`GET /metrics`)."""
    with db.read() as session:
        return pending.db_overdue(session, vault, now=now)
