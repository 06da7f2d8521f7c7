"""`candor notify retry`: after fixing what blocked delivery, every notice a platform refused is
due now. It needs no master key: it changes plain columns (due times) only."""

from __future__ import annotations

import typer

from adapters.cli.common import open_current_database, out, settings
from bot.admin import retry_blocked
from storage.clock import utcnow

app = typer.Typer(help="The notifier: notices on their way to Slack and Teams.",
                  no_args_is_help=True)


@app.command("retry")
def notify_retry() -> None:
    """After fixing what blocked delivery (the bot invited back, the token replaced): every notice a
    platform refused is due now. A running `candor serve` sends them within seconds."""
    db = open_current_database(settings())
    try:
        count = retry_blocked(db, now=utcnow())
    finally:
        db.dispose()
    out.print(f"{count} blocked {'notice is' if count == 1 else 'notices are'} due now; "
              "`candor serve` sends them within seconds. `candor status` shows what still waits.")
