"""What the sweep deletes because it has served its purpose: handled event ids and used forms'
one-time tokens (`InboundEvent`), kept receipts and views (`bot.receipts`) and old guess counters
(`bot.followup`). Functions named `db_*` take the caller's session and never commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from bot import followup, receipts
from bot.core import Core
from storage.models import InboundEvent

# How long a handled event id (and a used form's one-time token) is remembered. Platforms retry
# an event within minutes to an hour (Slack: three retries over about an hour; the Bot Framework:
# a few within a minute), so that alone would need a day. A form's token must outlive the form:
# a Slack modal is closed within a day, but a Teams card stays in the chat and can be submitted
# again; a form older than this is refused (`form_expired`) rather than filed a second time.
EVENT_MEMORY = timedelta(days=30)


def db_forget_events(session: Session, *, now: datetime) -> int:
    """Delete the event ids and form tokens older than `EVENT_MEMORY`. They are stamped with the
    start of their day (a form's token is spent beside an anonymous report), so a day more."""
    cutoff = now - EVENT_MEMORY - timedelta(days=1)
    count = session.exec(select(func.count()).select_from(InboundEvent)
                         .where(col(InboundEvent.received_at) < cutoff)).one()
    session.exec(delete(InboundEvent).where(col(InboundEvent.received_at) < cutoff))
    return int(count)


def db_sweep(session: Session, core: Core, *, now: datetime) -> dict[str, int]:
    """Everything above, at `now`; how many rows of each kind went."""
    return {"events_forgotten": db_forget_events(session, now=now),
            "receipts_shredded": receipts.db_purge(session, core, now=now),
            "guess_counters_deleted": followup.db_forget_guesses(session, core, now=now)}


def form_token(now: datetime, random_part: str) -> str:
    """A form's one-time token: when it was issued (seconds, base 36) and a random part."""
    return f"{_base36(int(now.timestamp()))}.{random_part}"


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
