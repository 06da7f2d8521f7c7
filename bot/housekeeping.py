"""What the sweep deletes because it has served its purpose: handled event ids and used forms'
one-time tokens (`InboundEvent`), kept receipts and views (`bot.receipts`), old guess counters
(`bot.followup`) and past days' counts of anonymous reports (`bot.filing`). How long an event id
is kept is `bot.once.EVENT_MEMORY`. Functions named `db_*` take the caller's session and never
commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from bot import filing, followup, receipts
from bot.core import Core
from bot.evidence import links, store
from bot.once import EVENT_MEMORY
from storage.models import InboundEvent


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
            "guess_counters_deleted": followup.db_forget_guesses(session, core, now=now),
            "report_counts_deleted": filing.db_forget_counts(session, core, now=now),
            # evidence files (issue 23): links from past days (all expired), crashed uploads
            "file_links_deleted": links.db_forget(session, core, before=now - timedelta(days=1)),
            "staged_files_shredded": store.db_forget_stale(session, core, now=now)}
