"""What is waiting to reach the committee, and the outages that keep it from getting there.

A notice waits from the moment it first became due (`due_at`): an anonymous report's alert is
not waiting during its deliberate delay, and nothing here counts a notice before its time. An
outage is a platform's committee channel refusing Candor's posts with an error a person must fix,
from the first refusal until a post there gets through: one row per platform, so the operators
are e-mailed once per outage (`db_outages_to_tell`, `db_mark_told`; the e-mail job's steps and
the addresses it writes to are at the end, its sending in adapters/mail.py).

Counts, times, platforms and error codes, and the addresses the e-mail goes to (the chairs'
e-mails from the roster, the operators'): nothing here reads a notice's sealed body.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, bindparam, func, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, delete, select

from storage.audit import AuditLog
from storage.clock import as_utc
from storage.db import Database
from storage.models import DeliveryOutage, OutboxMessage, Person
from storage.vocabulary import AuditAction, OutboxKind, OutboxState, Platform, RecordKind

# notices to the committee's channel, and edits of them
COMMITTEE_KINDS = (OutboxKind.CHANNEL, OutboxKind.UPDATE)


def due_by(now: datetime) -> ColumnElement[bool]:
    """A pending row that has become due: its first due time has passed, and it has been tried or
    is due to be (an anonymous alert's delay, however it is set, keeps it out until its time)."""
    return and_(col(OutboxMessage.state) == OutboxState.PENDING, col(OutboxMessage.due_at) <= now,
                or_(col(OutboxMessage.attempts) > 0, col(OutboxMessage.next_attempt_at) <= now))


@dataclass(frozen=True)
class Waiting:
    """Due notices alike in platform, kind and last error: how many, and since when."""

    platform: Platform
    kind: str
    reason: str  # the last error code; "" when not tried yet or no error recorded
    blocked: bool
    count: int
    oldest_due: datetime

    @property
    def committee(self) -> bool:
        return self.kind in COMMITTEE_KINDS


def db_waiting(session: Session, *, now: datetime) -> list[Waiting]:
    rows = session.execute(
        sa_select(col(OutboxMessage.platform), col(OutboxMessage.kind),
                  col(OutboxMessage.last_error), col(OutboxMessage.blocked), func.count(),
                  func.min(col(OutboxMessage.due_at)))
        .where(due_by(now))
        .group_by(col(OutboxMessage.platform), col(OutboxMessage.kind),
                  col(OutboxMessage.last_error), col(OutboxMessage.blocked))
    ).all()
    return [Waiting(Platform(platform), kind, error or "", bool(blocked), int(count),
                    as_utc(oldest))
            for platform, kind, error, blocked, count, oldest in rows]


@dataclass(frozen=True)
class Health:
    """The committee's side of /healthz: channels refusing posts, and how long the oldest due
    committee notice has waited."""

    blocked: dict[Platform, str]  # platform -> the error code of its refused committee notices
    oldest_minutes: float | None

    def problems(self, *, stale_minutes: float) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if self.blocked:
            found["committee_channel_blocked"] = ", ".join(sorted(set(self.blocked.values())))
        if self.oldest_minutes is not None and self.oldest_minutes > stale_minutes:
            found["oldest_notice_minutes"] = int(self.oldest_minutes)
        return found


def committee_health(waiting: list[Waiting], *, now: datetime) -> Health:
    committee = [w for w in waiting if w.committee]
    blocked = {w.platform: w.reason for w in sorted(committee, key=lambda w: w.oldest_due)
               if w.blocked}
    oldest = min((w.oldest_due for w in committee), default=None)
    return Health(blocked, None if oldest is None else (now - oldest).total_seconds() / 60)


# --- outages --------------------------------------------------------------------------------


def db_outage_begin(session: Session, *, platform: Platform, cause: str, now: datetime) -> None:
    """A committee notice was refused (`cause`): the platform's outage begins, or goes on with
    the latest cause."""
    row = session.get(DeliveryOutage, platform)
    if row is None:
        session.add(DeliveryOutage(platform=platform, started_at=now, cause=cause))
    elif row.cause != cause:
        row.cause = cause
        session.add(row)


def db_outage_end(session: Session, *, platform: Platform) -> None:
    """A committee notice got through: the outage, if any, is over (every delivery asks)."""
    session.connection().execute(_END, {"on": platform})


_OUTAGES = DeliveryOutage.__table__  # type: ignore[attr-defined]
_END = delete(_OUTAGES).where(_OUTAGES.c.platform == bindparam("on"))  # built once


def db_outages(session: Session) -> list[DeliveryOutage]:
    """The outages going on, one per platform whose committee channel refuses Candor's posts."""
    return list(session.exec(select(DeliveryOutage).order_by(col(DeliveryOutage.started_at))).all())


@dataclass(frozen=True)
class Outage:
    platform: Platform
    started_at: datetime
    cause: str
    notices: int  # committee notices refused and waiting


def db_outages_to_tell(session: Session, *, now: datetime, after: timedelta) -> list[Outage]:
    """Outages that have lasted past `after`, whose operators have not been told, and that still
    hold committee notices back."""
    outages = session.exec(select(DeliveryOutage).where(
        col(DeliveryOutage.emailed_at).is_(None),
        col(DeliveryOutage.started_at) <= now - after)).all()
    if not outages:
        return []
    held: dict[Platform, int] = {}
    for w in db_waiting(session, now=now):
        if w.committee and w.blocked:
            held[w.platform] = held.get(w.platform, 0) + w.count
    return [Outage(o.platform, as_utc(o.started_at), o.cause, held[o.platform])
            for o in outages if held.get(o.platform)]


def db_mark_told(session: Session, outage: Outage, *, at: datetime | None) -> bool:
    """Record that the operators were told of `outage` (`at`), or, with None, that telling them
    failed and is to be tried again. True when this call made the change: of two replicas, one
    tells."""
    was_told = (col(DeliveryOutage.emailed_at).is_(None) if at is not None
                else col(DeliveryOutage.emailed_at).is_not(None))
    result = cast(CursorResult[Any], session.exec(
        update(DeliveryOutage)
        .where(col(DeliveryOutage.platform) == outage.platform,
               col(DeliveryOutage.started_at) == outage.started_at, was_told)
        .values(emailed_at=at)))
    return result.rowcount == 1


# --- the operators' e-mail, each step in a unit of work of its own (the sending is the adapter's)


def outages_to_tell(db: Database, *, now: datetime, after: timedelta) -> list[Outage]:
    with db.read() as session:
        return db_outages_to_tell(session, now=now, after=after)


def mark_told(db: Database, outage: Outage, *, at: datetime | None) -> bool:
    """`db_mark_told` in a unit of work of its own: committed before the e-mail goes."""
    with db.write() as session:
        return db_mark_told(session, outage, at=at)


def audit_told(db: Database, audit: AuditLog, outage: Outage, *, recipients: int) -> None:
    """The e-mail went: on record with its counts and cause (never an address)."""
    with db.write() as session:
        audit.db_append(session, actor="system", action=AuditAction.OUTAGE_EMAILED,
                        record_kind=RecordKind.OUTAGE,
                        record_id=outage.platform.value,
                        detail={"notices": outage.notices, "cause": outage.cause,
                                "recipients": recipients})


def addresses(db: Database, extra: str | None) -> list[str]:
    """The chair's roster e-mail (every active chair's), then CANDOR_ALERT_EMAIL's
    (comma-separated)."""
    with db.read() as session:
        chairs = session.exec(select(Person.email).where(col(Person.chair).is_(True),
                                                         col(Person.active).is_(True))).all()
    found: list[str] = []
    for address in [*chairs, *(extra or "").split(",")]:
        address = address.strip()
        if address and address.lower() not in {a.lower() for a in found}:
            found.append(address)
    return found
