"""The committee's administration commands: `candor waivers`, `candor retention`, `candor export`.

Each command is one unit of work (`candor.db.write()`) around a `bot/` function that audits what
it does; refusals come back as `CandorError` and are printed, never a traceback. Registered on
the `candor` app in `adapters/cli.py`.
"""

from __future__ import annotations

import getpass
import os
import socket
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path

import typer
from rich.console import Console as RichConsole
from rich.markup import escape
from rich.table import Column, Table
from sqlmodel import select

from adapters.bootstrap import Candor, StartupError, build
from adapters.settings import Settings
from bot.codes import format_code
from bot.core import CandorError, FieldError, db_report_by_code
from storage.models import Person, Report
from storage.vocabulary import Platform

waivers_app = typer.Typer(help="Waivers of the Code and their public disclosure.", no_args_is_help=True)
retention_app = typer.Typer(help="Retention of closed cases and legal holds.", no_args_is_help=True)
export_app = typer.Typer(help="The committee's records: case files and the quarterly register.",
                         no_args_is_help=True)

CLI = "cli"  # how the administrator at the command line appears in the audit log

out = RichConsole()
err = RichConsole(stderr=True)


# The same two helpers as adapters/cli.py (which imports this module, so it cannot be imported
# back from here).
def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]candor:[/] {message}", highlight=False)
    return typer.Exit(code)


def _build(platforms: frozenset[Platform]) -> Candor:
    try:
        return build(Settings(), platforms=platforms, warn=_warn)
    except StartupError as exc:
        raise _fail(str(exc)) from None


def _warn(message: str) -> None:
    err.print(f"[bold yellow]candor: warning:[/] {message}", highlight=False)


# A refusal names the command-line option it is about (the core's sentences are the chat's).
_OPTIONS = {"officer": "--officer", "granted_by": "--granted-by", "granted_on": "--on",
            "provision": "--provision", "reason": "--reason", "ref": "--ref", "on": "--on"}


def _refusal(exc: CandorError) -> str:
    option = _OPTIONS.get(exc.name) if isinstance(exc, FieldError) else None
    return f"{option}: {exc.reply}" if option else exc.reply


def _unwritable(path: Path, exc: OSError) -> typer.Exit:
    # The error's own text, not a traceback: a traceback may show the case file being written.
    return _fail(f"could not write {escape(str(exc.filename or path))}: {exc.strerror or exc}")


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _fail(f"{option} {text!r} is not a date (YYYY-MM-DD)") from None


# --- waivers --------------------------------------------------------------------------------


@waivers_app.command("list")
def waivers_list() -> None:
    """The waiver register: officer, provision, grant, disclosure deadline and disclosure."""
    from bot.waivers import db_register

    candor = _build(frozenset())
    try:
        with candor.db.read() as session:
            rows = db_register(session)
    finally:
        candor.close()
    if not rows:
        out.print("No waivers of the Code are recorded.")
        return
    # Five columns, so that an 80-column terminal (or a pipe) shows every id and date whole.
    table = Table(Column("Id", no_wrap=True), "Officer", "Provision", "Granted",
                  Column("Public disclosure", overflow="fold"))
    for waiver, officer in rows:
        if waiver.disclosed_on is None:
            state = "NOT YET DISCLOSED"
        else:
            late = " (late)" if waiver.disclosed_on > waiver.disclosure_due else ""
            state = f"disclosed {waiver.disclosed_on.isoformat()}{late}\n{escape(waiver.disclosure_ref or '')}"
        table.add_row(waiver.id[:8], escape(officer.name), escape(waiver.provision),
                      f"{waiver.granted_on.isoformat()}\nby {escape(waiver.granted_by)}",
                      f"due {waiver.disclosure_due.isoformat()}\n{state}")
    out.print(table)


@waivers_app.command("add")
def waivers_add(
    officer: str = typer.Option(..., "--officer", help="The officer's e-mail on the roster."),
    provision: str = typer.Option("", "--provision", help="The provision of the Code waived (required), e.g. \"Obligation 3\"."),
    granted_by: str = typer.Option("Board of Directors", "--granted-by", help="Who granted it."),
    granted_on: str = typer.Option(..., "--on", help="The date granted (YYYY-MM-DD)."),
    reason: str = typer.Option(..., "--reason", help="The reason (stored encrypted)."),
) -> None:
    """Record a waiver; prints its public disclosure deadline (four US business days)."""
    from bot.waivers import db_officers, db_record, validate

    candor = _build(frozenset())
    try:
        with candor.db.write() as session:
            officers = {p.email: p for p in db_officers(session)}
            person = officers.get(officer.strip().lower())
            if person is None or person.id is None:
                raise _fail(f"{officer} is not an active officer on the roster; nothing was recorded")
            checked = validate({"officer": str(person.id), "provision": provision, "granted_by": granted_by,
                                "granted_on": granted_on, "reason": reason},
                               officer_ids={person.id}, today=candor.core.now().date())
            if isinstance(checked, dict):
                raise _fail("\n".join(f"{_OPTIONS.get(name, name)}: {why}" for name, why in checked.items()))
            row = db_record(session, candor.core, actor=CLI, grant=checked, recorded_by=None)
    finally:
        candor.close()
    out.print(f"Waiver {row.id[:8]} recorded for {person.name}. Disclose it publicly by "
              f"{row.disclosure_due.isoformat()} (Form 8-K or the company's website).")


@waivers_app.command("disclose")
def waivers_disclose(
    waiver_id: str = typer.Argument(..., help="The waiver's id (the first characters are enough)."),
    ref: str = typer.Option(..., "--ref", help="The Form 8-K reference or the web address."),
    on: str = typer.Option(..., "--on", help="The date disclosed (YYYY-MM-DD)."),
) -> None:
    """Record a waiver's public disclosure; the reminders stop."""
    from bot.waivers import db_disclose, db_find

    day = _date(on, "--on")
    candor = _build(frozenset())
    try:
        with candor.db.write() as session:
            waiver = db_find(session, waiver_id)
            if waiver is None:
                raise _fail(f"no single waiver has the id {waiver_id!r}: see `candor waivers list`")
            try:
                row = db_disclose(session, candor.core, actor=CLI, waiver_id=waiver.id, ref=ref, on=day)
            except CandorError as exc:
                raise _fail(_refusal(exc)) from None
    finally:
        candor.close()
    late = " (after the deadline)" if day > row.disclosure_due else ""
    out.print(f"Disclosure of waiver {row.id[:8]} recorded: {day.isoformat()}{late}.")


# --- retention ------------------------------------------------------------------------------


@retention_app.command("run")
def retention_run(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only show what would be shredded."),
    now: str | None = typer.Option(None, "--now", help="The time to judge by, ISO 8601 (default: now)."),
    years: int | None = typer.Option(None, "--years", min=1,
                                     help="Years a closed case is kept (default: CANDOR_RETENTION_YEARS, 7)."),
) -> None:
    """Shred closed cases past their retention period (not under legal hold), leaving a tombstone."""
    from bot.retention import db_due, db_shred, shred_after

    moment = _moment(now)
    candor = _build(frozenset())
    years = years or candor.settings.retention_years
    if not dry_run and moment > datetime.now(UTC) + timedelta(minutes=5):
        candor.close()
        raise _fail("shredding cannot be undone, so it is never judged by a future time: "
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
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _fail(f"--now {text!r} is not an ISO 8601 time (e.g. 2033-12-01T00:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _set_hold(code: str, *, hold: bool, reason: str) -> None:
    from bot.retention import db_set_hold

    candor = _build(frozenset())
    try:
        with candor.db.write() as session:
            report = db_report_by_code(session, format_code(code))
            if report is None or report.shredded_at is not None:
                raise _fail(f"there is no case {code}")
            if report.legal_hold == hold:
                raise _fail(f"case {report.code} is {'already' if hold else 'not'} under legal hold")
            try:
                db_set_hold(session, candor.core, report, hold=hold, reason=reason, actor=CLI)
            except CandorError as exc:
                raise _fail(_refusal(exc)) from None
            shown = report.code
    finally:
        candor.close()
    out.print(f"Case {shown}: legal hold {'placed' if hold else 'released'}.")


@retention_app.command("hold")
def retention_hold(code: str = typer.Argument(..., help="The case code."),
                   reason: str = typer.Option(..., "--reason", help="Why (stored encrypted).")) -> None:
    """Place a legal hold: the case is not shredded until it is released."""
    _set_hold(code, hold=True, reason=reason)


@retention_app.command("release")
def retention_release(code: str = typer.Argument(..., help="The case code."),
                      reason: str = typer.Option("Hold released", "--reason", help="Why (stored encrypted).")) -> None:
    """Release a legal hold; the retention period applies again."""
    _set_hold(code, hold=False, reason=reason)


# --- export ---------------------------------------------------------------------------------


def _operator() -> str:
    """Who runs this command: the OS user and the host, as the audit log records them beside
    the member an export is made for (`--as` names the member; anyone at the shell can type it)."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no name for this uid (a bare container)
        user = f"uid {os.getuid()}"
    return f"{user}@{socket.gethostname()}"[:200]


@export_app.command("case")
def export_case(
    code: str = typer.Argument(..., help="The case code."),
    as_email: str = typer.Option(..., "--as", help="The committee member the file is for (e-mail)."),
    fmt: str = typer.Option("md", "--format", help="md or pdf."),
    destination: Path | None = typer.Option(None, "--out", help="The file to write."),
) -> None:
    """Write a case's whole file for an allowed committee member (audited, with the OS user and
    host running the command beside the member; refused, and the refusal audited, for anyone
    else, a member the report keeps away included)."""
    from adapters.export import write_case
    from bot.records import db_case_file

    if fmt not in {"md", "pdf"}:
        raise _fail("--format is md or pdf")
    candor = _build(frozenset())
    try:
        # A refusal is audited, so it must commit: the unit of work ends before _fail.
        refusal: str | None = None
        with candor.db.write() as session:
            member = session.exec(select(Person).where(Person.email == as_email.strip().lower(),
                                                       Person.active == True)).first()  # noqa: E712
            report = db_report_by_code(session, format_code(code))
            if member is None:
                refusal = f"{escape(as_email)} is not on the roster"
            elif report is None:
                refusal = _no_such_case(code)
            elif report.shredded_at is not None:
                refusal = _shredded_case(report, candor.core.timezone)
            else:
                try:
                    case = db_case_file(session, candor.core, member, report.code, operator=_operator())
                except CandorError as exc:
                    refusal = exc.reply
        if refusal is not None:
            raise _fail(f"no export: {refusal}")
    finally:
        candor.close()
    path = destination or Path(f"case-{case.code}.{fmt}")
    try:
        write_case(case, path, fmt)
    except OSError as exc:
        raise _unwritable(path, exc) from None
    out.print(f"Wrote {path} (mode 0600). It is confidential: keep it with the committee's records.")


# What the administrator reads when there is no case file to write. The chat's sentence for a
# code that opens nothing ("check the code and the secret") is for reporters, and says the same
# for every failure on purpose; at the command line the committee is told what happened.
def _no_such_case(code: str) -> str:
    return (f"there is no case '{escape(code.strip())}' in this database. A case code looks like "
            "K7Q4-M9XP; `candor export register --period 2026Q4` lists the codes of a quarter's cases.")


def _shredded_case(report: Report, tz: tzinfo) -> str:
    from bot.records import quarter_of

    closed = f", closed on {report.closed_at:%Y-%m-%d}" if report.closed_at else ""
    quarter = quarter_of(report.received_at, tz)  # the register's quarter, in the company's zone
    return (f"case {report.code} was shredded on {report.shredded_at:%Y-%m-%d} under the retention "
            f"policy{closed}; its content can no longer be read by anyone. Only its tombstone (code, "
            f"category and dates) remains, in the register: `candor export register --period {quarter}`.")


@export_app.command("register")
def export_register(
    period: str = typer.Option(..., "--period", help="The quarter, e.g. 2026Q4."),
    directory: Path = typer.Option(Path("."), "--out", help="The folder to write into."),
) -> None:
    """Write the sanitized register of a quarter: CSV of counts, CSV of cases (codes, categories,
    statuses, dates) and a one-page PDF summary with a chart. No report content, no reporter."""
    from adapters.export import write_register
    from bot.records import db_register, parse_period

    try:
        parse_period(period)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    candor = _build(frozenset())
    try:
        with candor.db.write() as session:
            register = db_register(session, candor.core, period, actor=CLI)
    finally:
        candor.close()
    try:
        paths = write_register(register, directory)
    except OSError as exc:
        raise _unwritable(directory, exc) from None
    for path in paths:
        out.print(f"Wrote {path}")
