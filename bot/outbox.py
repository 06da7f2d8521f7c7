"""Writing notices to the outbox, inside the transaction that caused them.

One row per enabled platform, with a unique key (`<kind>:<subject>:<period>:<step>@<platform>`),
so the same notice written twice (a retried event, a sweep run twice or on two replicas) is
written once. The delivery (target and notice) is sealed: a direct message may carry a question.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.messages import CHANNEL, Delivery, Notice
from storage.crypto import Vault
from storage.models import Identity, OutboxMessage, new_id
from storage.vocabulary import Platform

KIND = "outbox"


def person_target(person_id: int) -> str:
    return f"person:{person_id}"


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
) -> int:
    """Write the notice for each platform that can carry it; returns how many rows were new.

    `fresh` says the key names something created in this very transaction (a new report's
    alert), so it cannot exist yet: no check, no savepoint."""
    wanted = list(platforms)
    if target != CHANNEL:
        person_id = int(target.split(":", 1)[1])
        reachable = set(
            session.exec(select(Identity.platform).where(Identity.person_id == person_id)).all()
        )
        wanted = [p for p in wanted if p in reachable or p is Platform.CONSOLE]
    written = 0
    delivery = Delivery(target=target, notice=notice).to_json()
    for platform in wanted:
        row_key = f"{key}@{platform.value}"
        if fresh:
            row_id = new_id()
            session.add(_row(session, vault, row_id=row_id, row_key=row_key, platform=platform,
                             target=target, updates_key=updates_key, delivery=delivery, now=now))
            written += 1
            continue
        if session.exec(select(OutboxMessage.id).where(OutboxMessage.key == row_key)).first():
            continue
        row_id = new_id()
        try:
            with session.begin_nested():
                session.add(_row(session, vault, row_id=row_id, row_key=row_key, platform=platform,
                                 target=target, updates_key=updates_key, delivery=delivery, now=now))
                session.flush()
        except IntegrityError:  # another replica wrote the same key first
            continue
        written += 1
    return written


def _row(session: Session, vault: Vault, *, row_id: str, row_key: str, platform: Platform,
         target: str, updates_key: str | None, delivery: dict[str, Any], now: datetime) -> OutboxMessage:
    return OutboxMessage(
        id=row_id, key=row_key, platform=platform, created_at=now, next_attempt_at=now,
        kind="update" if updates_key else ("channel" if target == CHANNEL else "dm"),
        updates_key=f"{updates_key}@{platform.value}" if updates_key else None,
        body=vault.seal(session, kind=KIND, record_id=row_id, data=delivery, new=True),
    )
