"""`candor retention`: shredding closed cases past their retention period, and legal holds.

Each command calls one of the administrator's use cases (`bot.admin`), which audits what it does;
its refusals are worded here (`_words`) and printed, never a traceback. A future --now only
rehearses (`bot.retention`: shredding is never judged by a time the real clock has not reached).
"""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.markup import escape
from rich.table import Table

from adapters.cli.common import administration, out, parse_time
from bot.admin import FutureShredding, HoldUnchanged, NotFound, Refused

app = typer.Typer(help="Retention of closed cases and legal holds.", no_args_is_help=True)


def _words(refused: Refused) -> str:
    """What the administrator reads when a retention command is refused."""
    match refused:
        case FutureShredding():
            return ("shredding cannot be undone, so it is never judged by a future time: "
                    "use --dry-run to see what a future date would shred")
        case NotFound("case", code):
            return f"there is no case {escape(code)}"
        case HoldUnchanged(code, hold):
            return f"case {code} is {'already' if hold else 'not'} under legal hold"
    raise refused


@app.command("run")
def retention_run(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only show what would be shredded."),
    now: str | None = typer.Option(None, "--now",
                                   help="The time to judge by, ISO 8601 (default: now)."),
    years: int | None = typer.Option(None, "--years", min=1,
                                     help="Years a closed case is kept (default: "
                                          "CANDOR_RETENTION_YEARS, 7)."),
) -> None:
    ("""Shred closed cases past their retention period (not under legal hold), leaving a """
     """tombstone.""")
    moment = _moment(now)
    with administration(_words) as admin:
        due = admin.due_for_shredding(at=moment, years=years, rehearsal=dry_run)
        if not due:
            out.print("Nothing is due for shredding.")
            return
        table = Table("Case", "Category", "Closed", "Kept until")
        for case in due:
            table.add_row(case.code, case.category,
                          f"{case.closed_at:%Y-%m-%d}" if case.closed_at else "",
                          f"{case.kept_until:%Y-%m-%d}" if case.kept_until else "")
        out.print(table)
        if dry_run:
            out.print(f"{len(due)} cases would be shredded (dry run: nothing changed).")
            return
        shredded = admin.shred(due)
    out.print(f"{shredded} cases shredded; their tombstones stay in the register.")


def _moment(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    moment = parse_time(text, example="2033-12-01T00:00:00Z")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _set_hold(code: str, *, hold: bool, reason: str) -> None:
    with administration(_words) as admin:
        shown = admin.set_hold(code, hold=hold, reason=reason)
    out.print(f"Case {shown}: legal hold {'placed' if hold else 'released'}.")


@app.command("hold")
def retention_hold(code: str = typer.Argument(..., help="The case code."),
                   reason: str = typer.Option(..., "--reason", help="Why (stored encrypted).")
                   ) -> None:
    """Place a legal hold: the case is not shredded until it is released."""
    _set_hold(code, hold=True, reason=reason)


@app.command("release")
def retention_release(code: str = typer.Argument(..., help="The case code."),
                      reason: str = typer.Option("Hold released", "--reason",
                                                 help="Why (stored encrypted).")) -> None:
    """Release a legal hold; the retention period applies again."""
    _set_hold(code, hold=False, reason=reason)
