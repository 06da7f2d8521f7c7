"""The `candor` command: the typer app, put together from one module per command group.

run.py (console, init, serve), sweep.py, status.py and notify.py (the operator's view of delivery),
roster.py, keys/ (rotate, retire; the escrow's split, recover, check), audit.py, db.py, teams.py,
waivers.py, retention.py, export.py,
designations.py; common.py holds what they share. A command translates: it reads
its options, calls the administrator's use cases (`bot.admin`, `bot.keys`) or the service, and
prints; it opens no unit of work of its own.
"""

from __future__ import annotations

import typer

from adapters.cli import (
    audit,
    db,
    designations,
    export,
    keys,
    notify,
    retention,
    roster,
    run,
    status,
    sweep,
    teams,
    waivers,
)

app = typer.Typer(help="Candor: the Supplemental Code of Ethics in Slack and Microsoft Teams.",
                  no_args_is_help=True, add_completion=False, rich_markup_mode="markdown",
                  # A traceback never prints local variables: they may hold a report's text.
                  pretty_exceptions_show_locals=False)
# `candor --help` lists the commands in this order, then the groups in theirs.
app.command("status")(status.status)
run.add_commands(app)
app.command("sweep")(sweep.sweep)
for group, name in ((roster.app, "roster"), (keys.app, "keys"), (audit.app, "audit"),
                    (db.app, "db"), (teams.app, "teams"), (waivers.app, "waivers"),
                    (retention.app, "retention"), (export.app, "export"), (notify.app, "notify"),
                    (designations.app, "designations")):  # issue 22
    app.add_typer(group, name=name)


def main() -> None:
    app()
