"""`candor waivers`: the register of waivers of the Code, recording one, and its public disclosure.

Each command calls one of the administrator's use cases (`bot.admin`), which audits what it does;
its refusals are worded here (`_words`) and printed, never a traceback.
"""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Column, Table

from adapters.cli.common import administration, option, out, parse_date
from bot.admin import InvalidGrant, NotFound, Refused

app = typer.Typer(help="Waivers of the Code and their public disclosure.", no_args_is_help=True)


def _words(refused: Refused) -> str:
    """What the administrator reads when a waiver command is refused."""
    match refused:
        case NotFound("officer", email):
            return f"{escape(email)} is not an active officer on the roster; nothing was recorded"
        case InvalidGrant(errors):
            return "\n".join(f"{option(name)}: {why}" for name, why in errors.items())
        case NotFound("waiver", prefix):
            return f"no single waiver has the id {escape(repr(prefix))}: see `candor waivers list`"
    raise refused


@app.command("list")
def waivers_list() -> None:
    """The waiver register: officer, provision, grant, disclosure deadline and disclosure."""
    with administration() as admin:
        rows = admin.list_waivers()
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
            state = (f"disclosed {waiver.disclosed_on.isoformat()}{late}\n"
                     f"{escape(waiver.disclosure_ref or '')}")
        table.add_row(waiver.id[:8], escape(officer.name), escape(waiver.provision),
                      f"{waiver.granted_on.isoformat()}\nby {escape(waiver.granted_by)}",
                      f"due {waiver.disclosure_due.isoformat()}\n{state}")
    out.print(table)


@app.command("add")
def waivers_add(
    officer: str = typer.Option(..., "--officer", help="The officer's e-mail on the roster."),
    provision: str = typer.Option("", "--provision",
                                  help="The provision of the Code waived (required), e.g. "
                                       "\"Obligation 3\"."),
    granted_by: str = typer.Option("Board of Directors", "--granted-by", help="Who granted it."),
    granted_on: str = typer.Option(..., "--on", help="The date granted (YYYY-MM-DD)."),
    reason: str = typer.Option(..., "--reason", help="The reason (stored encrypted)."),
) -> None:
    """Record a waiver; prints its public disclosure deadline (four US business days)."""
    with administration(_words) as admin:
        row, person = admin.record_waiver(officer=officer, fields={
            "provision": provision, "granted_by": granted_by, "granted_on": granted_on,
            "reason": reason})
    out.print(f"Waiver {row.id[:8]} recorded for {person.name}. Disclose it publicly by "
              f"{row.disclosure_due.isoformat()} (Form 8-K or the company's website).")


@app.command("disclose")
def waivers_disclose(
    waiver_id: str = typer.Argument(..., help="The waiver's id (the first characters are enough)."),
    ref: str = typer.Option(..., "--ref", help="The Form 8-K reference or the web address."),
    on: str = typer.Option(..., "--on", help="The date disclosed (YYYY-MM-DD)."),
) -> None:
    """Record a waiver's public disclosure; the reminders stop."""
    day = parse_date(on, "--on")
    with administration(_words) as admin:
        row = admin.disclose_waiver(waiver_id, ref=ref, on=day)
    late = " (after the deadline)" if day > row.disclosure_due else ""
    out.print(f"Disclosure of waiver {row.id[:8]} recorded: {day.isoformat()}{late}.")
