"""`candor retention`: shredding closed cases past their retention period, and legal holds.

Each command is one unit of work (`candor.db.write()`) around a `bot/` function that audits what
it does; refusals come back as `CandorError` and are printed, never a traceback.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer
from rich.table import Table

from adapters.cli.common import CLI, build_candor, fail, out, parse_time, refusal
from bot.codes import format_code
from bot.core import CandorError, db_report_by_code
from storage.models import Report

app = typer.Typer(help="Retention of closed cases and legal holds.", no_args_is_help=True)


@app.command("run")
def retention_run(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only show what would be shredded."),
    now: str | None = typer.Option(None, "--now", help="The time to judge by, ISO 8601 (default: now)."),
    years: int | None = typer.Option(None, "--years", min=1,
                                     help="Years a closed case is kept (default: CANDOR_RETENTION_YEARS, 7)."),
) -> None:
    """Shred closed cases past their retention period (not under legal hold), leaving a tombstone."""
    from bot.retention import db_due, db_shred, shred_after

    moment = _moment(now)
    candor = build_candor(frozenset())
    years = years or candor.settings.retention_years
    if not dry_run and moment > datetime.now(UTC) + timedelta(minutes=5):
        candor.close()
        raise fail("shredding cannot be undone, so it is never judged by a future time: "
                   "use --dry-run to see what a future date would shred")
    try:
        with candor.db.read() as session:
            due = [(r.id, r.code, r.category.label, r.closed_at, shred_after(r, years))
                   for r in db_due(session, moment, years)]
        table = Table("Case", "Category", "Closed", "Kept until")
        for _id, code, category, closed, until in due:
            table.add_row(code, category, f"{closed:%Y-%m-%d}" if closed else "", f"{until:%Y-%m-%d}" if until else "")
        if not due:
            out.print("Nothing is due for shredding.")
            return
        out.print(table)
        if dry_run:
            out.print(f"{len(due)} cases would be shredded (dry run: nothing changed).")
            return
        shredded = 0
        for report_id, *_rest in due:
            with candor.db.write() as session:
                report = session.get(Report, report_id)
                if report is None or report.legal_hold or report.shredded_at is not None:
                    continue
                db_shred(session, candor.core, report, actor=CLI)
                shredded += 1
        out.print(f"{shredded} cases shredded; their tombstones stay in the register.")
    finally:
        candor.close()


def _moment(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    moment = parse_time(text, example="2033-12-01T00:00:00Z")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _set_hold(code: str, *, hold: bool, reason: str) -> None:
    from bot.retention import db_set_hold

    candor = build_candor(frozenset())
    try:
        with candor.db.write() as session:
            report = db_report_by_code(session, format_code(code))
            if report is None or report.shredded_at is not None:
                raise fail(f"there is no case {code}")
            if report.legal_hold == hold:
                raise fail(f"case {report.code} is {'already' if hold else 'not'} under legal hold")
            try:
                db_set_hold(session, candor.core, report, hold=hold, reason=reason, actor=CLI)
            except CandorError as exc:
                raise fail(refusal(exc)) from None
            shown = report.code
    finally:
        candor.close()
    out.print(f"Case {shown}: legal hold {'placed' if hold else 'released'}.")


@app.command("hold")
def retention_hold(code: str = typer.Argument(..., help="The case code."),
                   reason: str = typer.Option(..., "--reason", help="Why (stored encrypted).")) -> None:
    """Place a legal hold: the case is not shredded until it is released."""
    _set_hold(code, hold=True, reason=reason)


@app.command("release")
def retention_release(code: str = typer.Argument(..., help="The case code."),
                      reason: str = typer.Option("Hold released", "--reason", help="Why (stored encrypted).")) -> None:
    """Release a legal hold; the retention period applies again."""
    _set_hold(code, hold=False, reason=reason)
