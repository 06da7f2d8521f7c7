"""One-time things: a platform's event id handled once, a form's token spent once.

Lives here: `db_first_use` (records a key as seen; False the second time), `db_first_time` (an
inbound event's platform id), `form_token` and `form_expired` (a form's token, stamped with its
issue time), `EVENT_MEMORY`. It sits below every use case: the pipeline (`bot.service`) and the
use cases that take forms (`bot.attesting`, `bot.filing` with `bot.report_form`) share it, so none
of them imports another for it. May touch: the `InboundEvent` table (keyed hashes only) through
the caller's session; it never commits. The sweep forgets old keys (`bot.housekeeping`).
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlmodel import Session, col, select

from bot.core import Core
from bot.messages import Inbound
from storage.db import upsert_insert
from storage.models import InboundEvent

log = logging.getLogger("candor.once")

# How long a handled event id (and a used form's one-time token) is remembered. Platforms retry
# an event within minutes to an hour (Slack: three retries over about an hour; the Bot Framework:
# a few within a minute), so that alone would need a day. A form's token must outlive the form:
# a Slack modal is closed within a day, but a Teams card stays in the chat and can be submitted
# again; a form older than this is refused (`form_expired`) rather than filed a second time.
EVENT_MEMORY = timedelta(days=30)


def db_first_time(session: Session, core: Core, event: Inbound) -> bool:
    """True the first time this platform's event id is seen; a retry (or a delivery that arrived
    at once with the first, and waited for it) is logged and answered with nothing."""
    platform = event.actor.platform.value
    if db_first_use(session, core, f"{platform}:{event.event_id}"):
        return True
    # A Teams event id holds the conversation's id, which names a person's chat: only a keyed
    # hash, of its own kind (it matches no column), reaches the log.
    log.info("duplicate %s event ignored: %s", platform,
             core.vault.tag("log-event", event.event_id or "")[:16])
    return False


def db_first_use(session: Session, core: Core, key: str) -> bool:
    """Record `key` as seen; False when it was (a platform's retry, a form sent twice). Only a
    keyed hash of the key is stored: a platform's id may name a person's conversation.

    One statement records it unless it is there (every event takes this path): an insert that
    does nothing on the key's conflict. On PostgreSQL a concurrent delivery of the same key waits
    for the first to commit, then finds it seen."""
    tags = core.vault.tags("inbound", key)  # an index-key rotation: seen under either key
    key = tags[0]
    if len(tags) > 1 and session.exec(
            select(InboundEvent.id).where(col(InboundEvent.id).in_(tags[1:]))).first():
        return False
    connection = session.connection()
    # The day only: a form's token is spent in the very transaction that records a report.
    written = connection.execute(_record(connection.dialect.name),
                                 {"id": key, "received_at": core.today_start()})
    return written.first() is not None  # a row back: this insert wrote it


_TABLE = InboundEvent.__table__  # type: ignore[attr-defined]


@cache
def _record(dialect: str) -> Any:
    """The key's row unless it is there; returns the id it wrote (made once per dialect)."""
    return (upsert_insert(dialect)(_TABLE).on_conflict_do_nothing(index_elements=[_TABLE.c.id])
            .returning(_TABLE.c.id))


def db_used(session: Session, core: Core, key: str) -> bool:
    """Whether `key` was recorded as seen; records nothing."""
    return session.get(InboundEvent, core.vault.tag("inbound", key)) is not None


def form_token(core: Core) -> str:
    """A form's one-time token: submitting the same form twice files once."""
    return f"{_base36(int(core.now().timestamp()))}.{secrets.token_urlsafe(12)}"


def form_expired(token: str, now: datetime) -> bool:
    """True for a token issued more than `EVENT_MEMORY` ago minus a day (its use may no longer be
    remembered). A token without a time (issued before times were added) is not judged."""
    issued, dot, _random = token.partition(".")
    if not dot:
        return False
    try:
        seconds = int(issued, 36)
    except ValueError:
        return True
    return now.timestamp() - seconds > (EVENT_MEMORY - timedelta(days=1)).total_seconds()


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out
