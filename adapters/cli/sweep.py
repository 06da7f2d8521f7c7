"""`candor sweep --now TIME`: the scheduler's sweeps once, at a given time (for cron and tests)."""

from __future__ import annotations

import typer

from adapters.cli.common import configured_platforms, fail, out, parse_time, running, settings
from storage.vocabulary import Platform


def sweep(now: str = typer.Option(..., "--now",
                                  help="The time to sweep at, ISO 8601 "
                                       "(e.g. 2027-03-31T09:00:00Z).")) -> None:
    """Run the scheduler's sweeps once, at the given time (for cron and tests): reminders,
    escalations and deadlines due at that time go to the outbox, each at most once, and
    abandoned drafts are deleted; anonymous reports held for their delay and due by now (the real
    clock, never a later --now) are recorded first. `candor serve` delivers them."""
    from bot.sweep import Sweeper

    moment = parse_time(now, example="2027-03-31T09:00:00Z")
    if moment.tzinfo is None:
        raise fail("--now needs a time zone (e.g. ...Z or +01:00)")
    with running(configured_platforms(settings()) or frozenset({Platform.CONSOLE})) as candor:
        result = Sweeper(candor.db, candor.core, candor.core.schedule,
                         retention_years=candor.settings.retention_years).run(moment)
    out.print(f"Sweep at {moment.isoformat()}: {result.written} new notices "
              f"({result.due} due), {result.drafts_deleted} abandoned drafts deleted, "
              f"{result.cases_shredded} cases past retention shredded.")
    for kind, count in sorted(result.by_kind.items()):
        out.print(f"  {kind}: {count}")
