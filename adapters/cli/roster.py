"""`candor roster import` and `candor roster list`: the officers and the Audit Committee."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from adapters.cli.common import administration, fail, out, running
from bot.admin import Admin
from bot.roster_file import RosterError, parse_roster
from storage.vocabulary import Platform

app = typer.Typer(help="The roster of officers and Audit Committee members.", no_args_is_help=True)


@app.command("import")
def roster_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The roster YAML file."),
    prune: bool = typer.Option(False, "--prune", help="Deactivate people missing from the file."),
) -> None:
    """Add or update people from a roster file (matched by e-mail)."""
    try:
        entries = parse_roster(file.read_text(encoding="utf-8"))
    except RosterError as exc:
        raise fail(f"{file}: {exc}; nothing was imported") from None
    with running(create_key=True) as candor:
        try:
            result = Admin(candor.db, candor.core).import_roster(entries, prune=prune)
        except RosterError as exc:
            raise fail(f"{file}: {exc}; nothing was imported") from None
    out.print(f"Added {len(result.added)}, updated {len(result.updated)}, "
              f"unchanged {len(result.unchanged)}.")
    if result.missing:
        out.print("Not in the file, kept active (use --prune to deactivate): "
                  + ", ".join(result.missing))
    if result.deactivated:
        out.print("Deactivated: " + ", ".join(result.deactivated))


@app.command("list")
def roster_list() -> None:
    """The roster as a table."""
    with administration() as admin:
        rows = admin.list_roster()
    table = Table("Name", "E-mail", "Kind", "Role", "Slack", "Teams", "Attestation due", "Active")
    for person, identities in rows:
        ids = {i.platform: i.platform_user_id for i in identities}
        kind = "Committee (chair)" if person.chair else person.kind.label
        role = person.role.label if person.role else (person.affiliation or "")
        table.add_row(person.name, person.email, kind, role,
                      ids.get(Platform.SLACK, ""), ids.get(Platform.TEAMS, ""),
                      str(person.attestation_due or ""), "yes" if person.active else "no")
    out.print(table)
