"""The outbox's side of delivery: claim due rows, record what happened to them.

Claims are leases (`claimed_until`), taken with `FOR UPDATE SKIP LOCKED` on PostgreSQL so two
replicas never take the same row; on SQLite, `BEGIN IMMEDIATE` makes the claim atomic. A claimed
row that is never marked (the relay died mid-delivery) is taken again when its lease ends. Such a
row, or one whose post got an ambiguous answer, is `in_doubt` until delivered: every later try is
flagged `maybe_sent`, so that a sender able to read back its posts looks before posting again.
An edit waits until the notice it edits has been delivered.

A notice the platform refuses until a person fixes something (`blocked`: the bot removed from the
channel, a revoked token) is retried on the backoff, and at once when a post on that platform gets
through or the platform says the bot is back (`retry_blocked`); a committee notice blocked so is
never given up, a direct message is after the horizon (the committee is told). The
platform's outage (bot.delivery.outage) lasts until a committee notice gets through. A blocked
notice for a case acknowledged or closed meanwhile is dropped rather than sent late.

A batch is claimed at once but sent one by one, so a slow relay can outlive its lease while rows
still wait: just before each send the relay `hold`s the row, renewing its lease only if no other
relay has claimed it since, and skips it otherwise. The lease a claim sets is its fencing token.

A direct message keeps no trace of where it landed: its person's chat and the post's id are not
written back to the row (the committee channel's are: an edit needs them, and the channel is not a
person), and the post carries a keyed tag of the row's id (`Item.ref`), not the id itself, so a
chat's history cannot be matched to a row. A row to several people
(`bot.delivery.outbox.people_target`) goes to each in turn; who has it is sealed into the row after
each post (`reached`), so a relay that dies midway, or a retry, sends only to those left, each once
(a post left in doubt is looked for before it is sent again, as for any row).

A row this relay cannot open (its data key is wrapped under a master key version the server does
not hold yet, during a rotation; or it is damaged) is skipped, logged by id and counted in
`unopened`, and tried again later, when the keyring may have been reloaded; the rest of the batch
goes out. Past the delivery horizon it fails like an undeliverable notice and the committee is told.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import bindparam, case, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from bot.core import Core
from bot.delivery.outage import COMMITTEE_KINDS, db_outage_begin, db_outage_end
from bot.delivery.outbox import (
    DM,
    DONE,
    FAILURE_PREFIX,
    KIND,
    NO_ROUTE,
    db_no_route,
    db_undeliverable,
    people_of,
)
from bot.messages import CHANNEL, Delivery
from bot.wording import notices
from storage import identities
from storage.clock import as_utc
from storage.db import Database
from storage.keyring import CryptoError
from storage.models import OutboxMessage, Report
from storage.vocabulary import (
    AuditAction,
    CaseStatus,
    OutboxKind,
    OutboxState,
    Platform,
    RecordKind,
)

log = logging.getLogger("candor.relay")
_POST_REF = "outbox-post"


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: float = 2.0
    max_seconds: float = 300.0
    horizon: timedelta = timedelta(hours=24)  # give up (and tell the committee) after this
    lease: timedelta = timedelta(seconds=60)

    def backoff(self, attempts: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter (a random delay between half the ceiling and the
        ceiling, which doubles with each attempt up to `max_seconds`), never sooner than the
        platform asked (`Retry-After`)."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** max(attempts - 1, 0))
        delay = random.uniform(ceiling / 2, ceiling)
        return max(delay, retry_after or 0.0)


@dataclass(frozen=True)
class Addressee:
    """One of the people a row to several goes to, not reached yet."""

    person_id: int
    user_id: str  # their id on the row's platform ("" on the console, which needs none)
    ref: str  # what the post is tagged with, to be found again (a keyed tag: names no row)


@dataclass(frozen=True)
class Item:
    """A claimed row, opened: what to deliver and, for an edit, where the original landed."""

    id: str
    key: str
    platform: Platform
    delivery: Delivery
    user_id: str | None  # the recipient's platform id, for a direct message
    edits: tuple[str, str] | None  # (channel, message id) of the original, for an edit
    attempts: int
    created_at: datetime
    maybe_sent: bool = False  # an earlier claim ended with no outcome: its relay may have posted it
    # the `claimed_until` this relay set: proof the row is still its own
    lease: datetime | None = None
    ref: str = ""  # what the post is tagged with to be found again; the row's id when empty
    # For a row to several people: those it is still to reach, in turn (None: any other row).
    addressees: tuple[Addressee, ...] | None = None


@dataclass
class Relay:
    db: Database
    core: Core
    policy: RetryPolicy = RetryPolicy()
    unopened: int = 0  # rows skipped because they did not open, since the process started

    def claim(self, platform: Platform, *, limit: int = 20) -> list[Item]:
        now = self.core.now()
        items: list[Item] = []
        due = {"on": platform, "at": now}
        # On SQLite a pass that finds nothing due (a tick's, most often) says so with a read,
        # without taking the one writer the officers' events queue for. PostgreSQL has no such
        # writer: the claim's own SELECT ... SKIP LOCKED finds it out as cheaply, and a read first
        # would be three more round trips before every notice the notifier was woken for.
        if self.db.is_sqlite:
            with self.db.read() as session:
                if session.connection().execute(_ANY_DUE, due).first() is None:
                    return []
        with self.db.write() as session:
            rows = session.exec(_due_rows(self.db.is_postgres, limit), params=due).all()
            keys = self.core.vault.wrapped_keys(session, kind=KIND,
                                                record_ids=[row.id for row in rows])
            for row in rows:
                try:
                    item = self._open(session, row, now, key=keys.get(row.id, (None, None)))
                except CryptoError as exc:
                    self._unopened(session, row, now, type(exc).__name__)
                    continue
                if item is None:
                    continue
                if row.claimed_until is not None:  # a lease ran out with no outcome recorded
                    row.in_doubt = True
                if row.in_doubt:
                    item = replace(item, maybe_sent=True)
                row.claimed_until = now + self.policy.lease
                session.add(row)
                items.append(replace(item, lease=row.claimed_until))
        return items

    def _unopened(self, session: Session, row: OutboxMessage, now: datetime, error: str) -> None:
        # Nothing was sent, so no attempt is counted; the row waits as after a failed try.
        self.unopened += 1
        log.warning("outbox %s did not open (%s); skipped, to be tried again", row.id, error,
                    extra={"outbox": row.id, "error": error, "unopened": self.unopened})
        row.last_error = f"unopened:{error}"[:100]
        if now - as_utc(row.due_at) > self.policy.horizon:
            self._give_up(session, row, "unopened")
        else:
            row.next_attempt_at = now + timedelta(
                seconds=self.policy.backoff(max(row.attempts, 1), None))
        session.add(row)

    def hold(self, item: Item) -> Item | None:
        """Just before sending: renew this relay's lease on the row and return the item with it,
        or None when the row is no longer this relay's to send (another relay claimed it after
        this lease ran out, or it was settled) -- the caller then skips it.

        A claim takes only a row whose lease has ended and sets a later one, so `claimed_until`
        still equal to the value this relay set means no one has claimed the row since, even if
        the lease has run out meanwhile. The check and the renewal are one UPDATE: a concurrent
        claim either sees the renewed lease or has already changed the value this one checks."""
        if item.lease is None:
            return item
        until = max(self.core.now() + self.policy.lease, item.lease)
        if not self.db.write_one(_HOLD, {"row": item.id, "lease": item.lease, "until": until}):
            log.info("outbox %s is no longer this relay's; not sent", item.id)
            return None
        return replace(item, lease=until)

    def release(self, items: list[Item], *, until: datetime) -> None:
        """Hand back claimed rows unsent, due again at `until` (the platform asked for a pause).
        No attempt is counted: none was made. Rows another relay has claimed since are left."""
        with self.db.write() as session:
            for item in items:
                session.exec(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id) == item.id,
                           col(OutboxMessage.state) == OutboxState.PENDING,
                           col(OutboxMessage.claimed_until) == item.lease)
                    .values(claimed_until=None, next_attempt_at=until))

    def _taken_over(self, row: OutboxMessage, item: Item) -> bool:
        """Another relay claimed the row after this one's lease ran out: its outcome is not ours
        to record (clearing its lease would let a third relay post the notice too)."""
        return (row.claimed_until is not None and item.lease is not None
                and row.claimed_until != item.lease)

    def _open(self, session: Session, row: OutboxMessage, now: datetime,
              key: tuple[int | None, bytes | None]) -> Item | None:
        """The claimed row opened with its data key (`key`, read with the batch's), or None when
        it is not to be sent now (the row says why)."""
        if row.blocked and _settled(session, row.key):
            # Blocked while the committee acknowledged or closed the case some other way: late, it
            # would only mislead. Kept as a record; audited.
            row.state, row.last_error, row.blocked = OutboxState.FAILED, DROPPED, False
            session.add(row)
            self.core.audit.db_append(session, actor="system", action=AuditAction.NOTICE_DROPPED,
                                      record_kind=RecordKind.OUTBOX, record_id=row.id,
                                      detail={"reason": "case_handled"}, at=now)
            return None
        document = self.core.vault.unseal_wrapped(*key, kind=KIND, record_id=row.id,
                                                  blob=row.body)
        delivery = Delivery.from_json(document)
        people = people_of(delivery.target)
        if people is not None:
            return Item(row.id, row.key, row.platform, delivery, None, None, row.attempts,
                        row.created_at, addressees=self._addressees(session, row, people,
                                                                    document.get(DONE) or ()))
        edits = None
        if row.updates_key:
            original = session.exec(select(OutboxMessage)
                                    .where(OutboxMessage.key == row.updates_key)).first()
            if original is None or original.state is OutboxState.FAILED:
                row.state = OutboxState.FAILED  # nothing to edit: the original never landed
                row.last_error = "original_not_delivered"
                session.add(row)
                return None
            if original.state is not OutboxState.DELIVERED or not original.platform_message_id:
                row.next_attempt_at = now + timedelta(seconds=self.policy.base_seconds)
                session.add(row)
                return None
            edits = (original.platform_channel or "", original.platform_message_id)
        user_id = None
        if delivery.target != CHANNEL:
            person_id = int(delivery.target.split(":", 1)[1])
            account = identities.db_account(session, self.core.vault, person_id, row.platform)
            user_id = account.platform_user_id if account is not None else None
            if user_id is None and row.platform is not Platform.CONSOLE:
                # Their id left the roster after the notice was written: keep the record, tell the
                # committee.
                row.state, row.last_error = OutboxState.FAILED, NO_ROUTE
                session.add(row)
                db_no_route(session, self.core.vault, now=now, about=row.key,
                            key=f"{FAILURE_PREFIX}{row.id}", person_id=person_id,
                            missing=[row.platform], platforms=self.core.platforms)
                return None
        return Item(row.id, row.key, row.platform, delivery, user_id, edits, row.attempts,
                    row.created_at, ref=self._ref(row.id) if user_id is not None else "")

    def _ref(self, row_id: str, person_id: int | None = None) -> str:
        parts = (row_id,) if person_id is None else (row_id, str(person_id))
        return self.core.vault.tag(_POST_REF, *parts)

    def _addressees(self, session: Session, row: OutboxMessage, people: tuple[int, ...],
                    done: Sequence[int]) -> tuple[Addressee, ...]:
        """Those of `people` not reached yet who have an id on the row's platform. One without is
        reached on another platform, or was reported to the committee when the row was written."""
        found = []
        for person_id in people:
            if person_id in done:
                continue
            account = identities.db_account(session, self.core.vault, person_id, row.platform)
            if account is None and row.platform is not Platform.CONSOLE:
                continue
            found.append(Addressee(person_id, account.platform_user_id if account else "",
                                   self._ref(row.id, person_id)))
        return tuple(found)

    def reached(self, item: Item, addressee: Addressee, *,
                failed: str | None = None) -> Item | None:
        """One of a row's people has the notice (or, `failed`, never will): sealed into the row,
        so no later try sends it to them again, and this relay's lease renewed. None when the row
        is no longer this relay's (the caller stops). A failure is reported to the committee,
        without a name (it would say who was not kept away from the case)."""
        now = self.core.now()
        vault = self.core.vault
        with self.db.write() as session:
            row = session.get(OutboxMessage, item.id)
            if row is None or row.state is not OutboxState.PENDING or self._taken_over(row, item):
                return None
            document = vault.unseal(session, kind=KIND, record_id=row.id, blob=row.body)
            document[DONE] = sorted({*(document.get(DONE) or ()), addressee.person_id})
            row.body = vault.seal(session, kind=KIND, record_id=row.id, data=document)
            row.claimed_until = max(now + self.policy.lease, item.lease or now)
            session.add(row)
            if failed is not None:
                log.warning("notice undeliverable to one of its people",
                            extra={"outbox": row.id, "code": failed[:100]})
                db_undeliverable(session, vault, now=now, about=row.key,
                                 key=f"{FAILURE_PREFIX}{addressee.ref}",
                                 title=notices.delivery_failed(row.kind, failed[:100]),
                                 facts=((notices.NOTICE_LABEL, row.key),),
                                 platforms=self.core.platforms)
            lease = row.claimed_until
        return replace(item, lease=lease,
                       addressees=tuple(a for a in item.addressees or () if a != addressee))

    def delivered(self, item: Item, *, channel: str | None, message_id: str | None,
                  recovered: bool = True) -> None:
        """Record the notice delivered. `recovered`: also make what the platform refused due now
        and end its outage (the platform works again); a notifier says so for the first notice
        of its pass on a platform only, and the rest of the pass skips those two statements."""
        now = self.core.now()
        if item.delivery.target != CHANNEL:  # a person's chat: its place is not kept (below)
            channel = message_id = None
        mark = {"row": item.id, "at": now, "channel": channel, "message": message_id}
        if not recovered:
            # One statement marks the row (no ORM object is loaded), committed by itself.
            self.db.write_one(_DELIVERED, mark)
            return
        with self.db.write() as session:
            marked = session.connection().execute(_DELIVERED, mark).first()
            if marked is None:  # gone, or recorded delivered already
                return
            kind, platform = OutboxKind(marked.kind), marked.platform
            # The platform works again: what it refused goes now, not at the end of its backoff.
            db_due_now(session, platform=platform, now=now)
            if kind in COMMITTEE_KINDS:
                db_outage_end(session, platform=platform)

    def retry_blocked(self, platform: Platform | None = None) -> int:
        """Make every blocked notice (of one platform, or all) due now: the bot was added back, or
        an operator fixed the setup (`candor notify retry`). Returns how many."""
        with self.db.write() as session:
            return db_due_now(session, platform=platform, now=self.core.now())

    def blocked(self, item: Item, *, code: str) -> None:
        """The platform refused until a person fixes something: keep the notice and try again on
        the backoff. A committee notice is never given up (its outage begins: the operators are
        told); a direct message is, past the horizon, and the committee is told instead."""
        with self.db.write() as session:
            row = session.get(OutboxMessage, item.id)
            if row is None or row.state is not OutboxState.PENDING or self._taken_over(row, item):
                return
            now = self.core.now()
            row.attempts += 1
            row.claimed_until = None
            if row.kind in COMMITTEE_KINDS:
                db_outage_begin(session, platform=row.platform, cause=code[:100], now=now)
            elif now - as_utc(row.due_at) > self.policy.horizon:
                self._give_up(session, row, code)
                session.add(row)
                return
            row.last_error, row.blocked = code[:100], True
            row.next_attempt_at = now + timedelta(seconds=self.policy.backoff(row.attempts, None))
            session.add(row)
        log.warning("notice blocked", extra={"outbox": item.id, "code": code[:100]})

    def retry(self, item: Item, *, code: str, retry_after: float | None,
              in_doubt: bool = False) -> None:
        """Schedule another try, or give up past the horizon and tell the committee. `in_doubt`:
        the platform may have taken the notice despite the error (a 5xx, a dropped connection)."""
        with self.db.write() as session:
            row = session.get(OutboxMessage, item.id)
            if row is None or row.state is not OutboxState.PENDING or self._taken_over(row, item):
                return
            row.attempts += 1
            row.in_doubt = row.in_doubt or in_doubt
            row.last_error = code[:100]
            row.claimed_until = None
            now = self.core.now()
            # A notice once refused by a blocked platform is kept until delivered; the horizon
            # counts from when it became due (an anonymous alert's delay is not a failure).
            if not row.blocked and now - as_utc(row.due_at) > self.policy.horizon:
                self._give_up(session, row, code)
            else:
                row.next_attempt_at = now + timedelta(
                    seconds=self.policy.backoff(row.attempts, retry_after))
            session.add(row)

    def failed(self, item: Item, *, code: str) -> None:
        with self.db.write() as session:
            row = session.get(OutboxMessage, item.id)
            if row is None or row.state is not OutboxState.PENDING or self._taken_over(row, item):
                return
            row.attempts += 1
            row.claimed_until = None
            self._give_up(session, row, code)
            session.add(row)

    def _give_up(self, session: Session, row: OutboxMessage, code: str) -> None:
        row.blocked = False
        row.state, row.last_error = OutboxState.FAILED, code[:100]
        log.warning("notice undeliverable", extra={"outbox": row.id, "code": code[:100]})
        # Told on the other platforms when there are some: this one may be what is failing.
        others = [p for p in self.core.platforms if p is not row.platform] or [row.platform]
        db_undeliverable(session, self.core.vault, now=self.core.now(), about=row.key,
                         key=f"{FAILURE_PREFIX}{row.id}", title=notices.delivery_failed(row.kind,
                                                                                        code[:100]),
                         facts=((notices.NOTICE_LABEL, row.key),), platforms=others)


_CASE_NOTICES = ("alert", "unacked", "receipt-deadline", "feedback-deadline")
DROPPED = "dropped_case_handled"  # last_error of a blocked notice dropped because its case moved on


def db_due_now(session: Session, *, platform: Platform | None, now: datetime) -> int:
    """Blocked notices waiting for their next try are due at once (every delivery asks, for its
    platform). Returns how many."""
    if platform is None:
        return session.connection().execute(_DUE_NOW, {"at": now}).rowcount
    return session.connection().execute(
        _DUE_NOW_ON, {"at": now, "on": platform}).rowcount


# Statements on every delivery, built once.
_ROWS = OutboxMessage.__table__  # type: ignore[attr-defined]
# What a claim takes: a platform's pending rows due at a moment, their lease (if any) over.
_DUE = (_ROWS.c.platform == bindparam("on"), _ROWS.c.state == OutboxState.PENDING,
        _ROWS.c.next_attempt_at <= bindparam("at"),
        or_(_ROWS.c.claimed_until.is_(None), _ROWS.c.claimed_until < bindparam("at")))
_ANY_DUE = sa_select(_ROWS.c.id).where(*_DUE).limit(1)


@cache
def _due_rows(postgres: bool, limit: int) -> SelectOfScalar[OutboxMessage]:
    """The claim's rows (ORM objects: the claim changes them), the oldest first; on PostgreSQL
    locked, skipping those another relay is claiming. Built once per limit."""
    query = select(OutboxMessage).where(*_DUE).order_by(col(OutboxMessage.created_at)).limit(limit)
    return query.with_for_update(skip_locked=True) if postgres else query


# Core updates: no ORM object of the row is in their sessions.
_HOLD = (update(_ROWS)
         .where(_ROWS.c.id == bindparam("row"), _ROWS.c.state == OutboxState.PENDING,
                _ROWS.c.claimed_until == bindparam("lease"))
         .values(claimed_until=bindparam("until"))
         .returning(_ROWS.c.id))
_DUE_NOW = (update(_ROWS)
            .where(_ROWS.c.state == OutboxState.PENDING, _ROWS.c.blocked.is_(True),
                   _ROWS.c.next_attempt_at > bindparam("at"))
            .values(next_attempt_at=bindparam("at")))
_DUE_NOW_ON = _DUE_NOW.where(_ROWS.c.platform == bindparam("on"))
_DELIVERED = (
    update(_ROWS)
    .where(_ROWS.c.id == bindparam("row"), _ROWS.c.state != OutboxState.DELIVERED)
    .values(state=OutboxState.DELIVERED, delivered_at=bindparam("at"), in_doubt=False,
            attempts=_ROWS.c.attempts + 1, claimed_until=None, blocked=False,
            # Only a post in the committee channel is edited later; a person's chat and the id
            # of a post in it would say, beside the row's key, whom the notice went to.
            platform_channel=case((_ROWS.c.kind == DM, _ROWS.c.platform_channel),
                                  else_=bindparam("channel", type_=_ROWS.c.platform_channel.type)),
            platform_message_id=case(
                (_ROWS.c.kind == DM, _ROWS.c.platform_message_id),
                else_=bindparam("message", type_=_ROWS.c.platform_message_id.type)))
    .returning(_ROWS.c.kind, _ROWS.c.platform))


def _settled(session: Session, key: str) -> bool:
    """The notice is about a case the committee has since acknowledged or closed, so that it has
    nothing left to say: the new report's alert and the unacknowledged reminders after an
    acknowledgement, and the case's deadline reminders after it closed."""
    kind, _, rest = key.partition(":")
    if kind not in _CASE_NOTICES:
        return False
    report = session.get(Report, rest.split(":", 1)[0].split("@", 1)[0])
    if report is None:
        return False
    closed = report.status is CaseStatus.CLOSED
    if kind in ("alert", "unacked"):
        return closed or report.acknowledged_at is not None
    return closed and kind in ("receipt-deadline", "feedback-deadline")
