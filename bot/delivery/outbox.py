"""Writing notices to the outbox, inside the transaction that caused them.

One row per enabled platform, with a unique key (`<kind>:<subject>:<period>:<step>@<platform>`),
so the same notice written twice (a retried event, a sweep run twice or on two replicas) is
written once. The delivery (target and notice) is sealed: a direct message may carry a question.

A plain key never names a person: a notice for one person whose key would name them is written
under `private_key` (its kind, then a keyed tag of the rest); a notice to several committee members
(an escalation) is one row per platform whatever whom it reaches (`people_target`, sealed, perhaps
none), so that which rows exist cannot say whom a case keeps away. Its relay delivers to each in
turn and keeps, sealed in the row, whom it has reached (`DONE`).

A notice that cannot be delivered is never dropped without trace: its row is kept, failed, with a
reason code, and the committee's channel is told (`db_undeliverable`), whether the relay gave up
after its horizon or the person has no id on any enabled platform (`no_route`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot import sanitize
from bot.messages import CHANNEL, Delivery, Notice
from bot.wording import notices
from storage import identities
from storage.crypto import Vault
from storage.models import OutboxMessage, Person, new_id
from storage.vocabulary import OutboxKind, OutboxState, Platform, RecordKind

log = logging.getLogger("candor.outbox")

KIND = RecordKind.OUTBOX
DM = OutboxKind.DM  # a row that goes to people: where it landed is not kept (bot.delivery.relay)
FAILURE_PREFIX = "delivery-failed:"  # the committee's notice that another notice will not arrive
REPORTER_PREFIX = "reporter:"  # a direct message to a named reporter (see bot.committee)
NO_ROUTE = "no_route"  # the recipient has no id on the row's platform
PEOPLE_PREFIX = "people:"
DONE = "done"  # in a sealed row to several people: whom the relay has delivered it to
_KEY_TAG = "outbox-key"
# In a unit of work's `session.info`: it wrote a notice, so the notifier is woken once it has
# committed (bot.service counts such units; an event that wrote none wakes no one).
WROTE = "candor_wrote_notices"


def person_target(person_id: int) -> str:
    return f"person:{person_id}"


def people_target(person_ids: Iterable[int]) -> str:
    """A direct message to each of several people (perhaps none), delivered from one row."""
    return PEOPLE_PREFIX + ",".join(str(p) for p in sorted(set(person_ids)))


def people_of(target: str) -> tuple[int, ...] | None:
    """The people a `people_target` names; None for any other target."""
    if not target.startswith(PEOPLE_PREFIX):
        return None
    return tuple(int(p) for p in target[len(PEOPLE_PREFIX):].split(",") if p)


def private_key(vault: Vault, key: str) -> str:
    """The key a notice is written under when its key names a person (`attest-remind:<person
    id>:...`): its kind, then a keyed tag of the whole key. The same notice gets the same key (so
    it is written once) and, without the keyring, the key names no one."""
    kind = key.partition(":")[0]
    return f"{kind}:{vault.tag(_KEY_TAG, key)}"


def key_ids(row_key: str) -> frozenset[str]:
    """The ids a row's key names. A key is `<kind>:<id>[:<more>...]`, perhaps behind
    `REPORTER_PREFIX` or `FAILURE_PREFIX` (a failure names the key it is about), and a row's key
    ends in `@<platform>`; every part between colons counts (a status change's key names the
    case, a question's the message)."""
    key = row_key.rpartition("@")[0] or row_key
    return frozenset(part for part in key.split(":") if part)


def db_enqueue(
    session: Session,
    vault: Vault,
    *,
    now: datetime,
    key: str,
    target: str,
    notice: Notice,
    platforms: Iterable[Platform],
    updates_key: str | None = None,
    fresh: bool = False,
    not_before: datetime | None = None,
) -> int:
    """Write the notice for each platform that can carry it; returns how many rows were new
    and are to be delivered.

    A direct message goes to the platforms where its person has an id. When that is none of
    them, the rows are written failed (`no_route`) and the committee is told, once.

    `fresh` says the key names something created in this very transaction (a new report's
    alert), so it cannot exist yet: no check, no savepoint. `not_before` holds the notice back
    until then (an anonymous report's alert); `now` is what the row records as its creation."""
    wanted = list(platforms)
    failed: list[Platform] = []
    person_id = None
    people = people_of(target)
    unrouted = False
    if people is not None:
        # One row on each platform, whoever it reaches there; someone with an id on none of them
        # is reported to the committee, unnamed (a name would say they were not kept away).
        unrouted = any(not any(p in reachable or p is Platform.CONSOLE for p in wanted)
                       for reachable in (identities.db_platforms(session, vault, person, wanted)
                                         for person in people))
    elif target != CHANNEL:
        person_id = int(target.split(":", 1)[1])
        reachable = identities.db_platforms(session, vault, person_id, wanted)
        routed = [p for p in wanted if p in reachable or p is Platform.CONSOLE]
        # Another platform may carry it when only some lack an id; when none can, keep a record.
        wanted, failed = routed, ([] if routed else wanted)
    delivery = Delivery(target=target, notice=notice).to_json()
    written = 0
    for platform in wanted:
        written += _db_write(session, vault, key=key, platform=platform, target=target,
                             updates_key=updates_key, delivery=delivery, now=now, fresh=fresh,
                             not_before=not_before)
    recorded = 0
    for platform in failed:
        recorded += _db_write(session, vault, key=key, platform=platform, target=target,
                              updates_key=updates_key, delivery=delivery, now=now, fresh=fresh,
                              error=NO_ROUTE)
    if recorded and person_id is not None:
        written += db_no_route(session, vault, now=now, about=key, key=f"{FAILURE_PREFIX}{key}",
                               person_id=person_id, missing=failed, platforms=failed)
    if unrouted and written:
        written += db_no_route(session, vault, now=now, about=key, key=f"{FAILURE_PREFIX}{key}",
                               person_id=None, missing=wanted, platforms=wanted)
    return written


def db_no_route(session: Session, vault: Vault, *, now: datetime, about: str, key: str,
                person_id: int | None, missing: Sequence[Platform],
                platforms: Iterable[Platform]) -> int:
    """Tell the committee that the notice `about` will not reach its person, who has no id on
    the `missing` platforms. The person is named by their roster name, except the reporter of a
    case: a name beside a case would say who reported it, so the notice names the case only; and
    except one of several people (None): a name would say they were not kept away from it."""
    reporter = about.startswith(REPORTER_PREFIX) or person_id is None
    # The log names the person only when the notice is not about a case they reported.
    log.warning("notice has no route", extra={"outbox_key": about[:100]} if reporter
                else {"outbox_key": about[:100], "person": person_id})
    facts: tuple[tuple[str, str], ...] = ((notices.NOTICE_LABEL, about),)
    if not reporter and person_id is not None:
        person = session.get(Person, person_id)
        facts = ((notices.PERSON_LABEL, person.name if person else notices.roster_id(person_id)),
                 *facts)
    title = notices.delivery_no_route(" or ".join(p.label for p in missing))
    return db_undeliverable(session, vault, now=now, about=about, key=key, title=title, facts=facts,
                            platforms=platforms)


def db_undeliverable(session: Session, vault: Vault, *, now: datetime, about: str, key: str,
                     title: str, facts: tuple[tuple[str, str], ...],
                     platforms: Iterable[Platform]) -> int:
    """The committee's channel notice that the notice `about` will not arrive: a title from
    `bot.wording` and plain facts (ids, codes, roster names). Written once per `key`; never about
    such a notice itself."""
    if about.startswith(FAILURE_PREFIX):
        return 0
    return db_enqueue(session, vault, now=now, key=key, target=CHANNEL,
                      notice=sanitize.reminder(title, facts), platforms=platforms)


def _db_write(session: Session, vault: Vault, *, key: str, platform: Platform, target: str,
              updates_key: str | None, delivery: dict[str, Any], now: datetime, fresh: bool,
              error: str | None = None, not_before: datetime | None = None) -> int:
    """One platform's row, unless its key exists already; returns 1 when written. With an
    `error`, the row is written failed: a record of a notice that cannot go anywhere.

    The row and its data key are written with Core statements (every use case that tells
    someone writes one): no ORM object, no flush."""
    row_key = f"{key}@{platform.value}"
    if not fresh and session.exec(select(OutboxMessage.id)
                                  .where(OutboxMessage.key == row_key)).first():
        return 0

    def add() -> None:  # the row and its data key, together
        row = _row(session, vault, row_id=new_id(), row_key=row_key, platform=platform,
                   target=target, updates_key=updates_key, delivery=delivery, now=now,
                   not_before=not_before)
        if error is not None:
            row.update(state=OutboxState.FAILED, last_error=error)
        session.connection().execute(_INSERT, row)
        session.info[WROTE] = True

    if fresh:
        add()
        return 1
    try:
        with session.begin_nested():
            add()
    except IntegrityError:  # another replica wrote the same key first
        return 0
    return 1


_INSERT = insert(OutboxMessage.__table__)  # type: ignore[attr-defined]


def _row(session: Session, vault: Vault, *, row_id: str, row_key: str, platform: Platform,
         target: str, updates_key: str | None, delivery: dict[str, Any], now: datetime,
         not_before: datetime | None = None) -> dict[str, Any]:
    """A new row's columns; the others take their defaults (pending, no attempt yet)."""
    due = not_before or now
    return {
        "id": row_id, "key": row_key, "platform": platform, "created_at": now,
        "next_attempt_at": due,
        "due_at": due,  # its first due time: how long it waits is counted from here
        "kind": (OutboxKind.UPDATE if updates_key
                 else OutboxKind.CHANNEL if target == CHANNEL else DM),
        "updates_key": f"{updates_key}@{platform.value}" if updates_key else None,
        "body": vault.seal(session, kind=KIND, record_id=row_id, data=delivery, new=True),
    }
