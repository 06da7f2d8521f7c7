"""`candor designations`: the people the committee designated on cases (issue 22), listed, and a
designation ended by the operator. No content: codes, names, scopes, dates.
"""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from adapters.cli.common import administration, out
from bot import designation_admin
from bot.admin import NotFound, Refused

app = typer.Typer(help="Designations: who the committee brought in on which case, until when.",
                  no_args_is_help=True)


def _words(refused: Refused) -> str:
    match refused:
        case NotFound("case", code):
            return f"there is no case {escape(code)}"
        case NotFound("person", email):
            return f"{escape(email)} is not a designee on the roster"
        case designation_admin.NoDesignation(code, email):
            return f"{escape(email)} holds no designation in force on case {code}"
    raise refused


@app.command("list")
def designations_list() -> None:
    """The designations in force: case, designee, scope, until, by whom (no content)."""
    with administration() as admin:
        rows = designation_admin.active(admin.db, admin.core)
    if not rows:
        out.print("No designation is in force.")
        return
    table = Table("Case", "Designee", "Organisation", "Scope", "Until", "By")
    for row in rows:
        table.add_row(row.code, f"{escape(row.designee)} <{escape(row.email)}>",
                      escape(row.affiliation), row.scope, row.until.isoformat(), escape(row.by))
    out.print(table)


@app.command("end")
def designations_end(
    code: str = typer.Argument(..., help="The case's code, like 7KQ2-M9XD."),
    email: str = typer.Argument(..., help="The designee's e-mail, as on the roster."),
) -> None:
    """End a designation now: the designee is told (no content) and the case opens for them no
    more. Audited."""
    with administration(_words) as admin:
        written = designation_admin.end(admin.db, admin.core, code, email)
    out.print(f"The designation of {escape(email)} on case {written} has ended.")
