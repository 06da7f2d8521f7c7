"""The `candor` command: the typer app, put together from one module per command group.

run.py (console, init, serve), sweep.py, status.py and notify.py (the operator's view of delivery),
roster.py, keys/ (rotate, retire; the escrow's split, recover, check), audit.py, db.py, teams.py,
waivers.py, retention.py, export.py,
designations.py; common.py holds what they share. A command translates: it reads
its options, calls the administrator's use cases (`bot.admin`, `bot.keys`) or the service, and
prints; it opens no unit of work of its own.

A command's module is imported only when that command runs (`_LAZY`): `candor --help` and a
refused option import typer alone, `candor status` no platform SDK, and only `candor export`
the PDF library. `candor --help` lists each command with the first paragraph of its help as
written here (tests/unit/adapters/test_cli_lazy.py checks it is the command's own).
"""

from __future__ import annotations

import difflib
import gc
import importlib
from typing import Any, NamedTuple

import typer
from typer.core import TyperGroup

from adapters.collector import settle


class _Lazy(NamedTuple):
    module: str
    attribute: str  # a command's function, or a group's typer app
    help: str  # the first paragraph of its help, as `candor --help` lists it


# `candor --help` lists the commands in this order, then the groups in theirs.
_LAZY: dict[str, _Lazy] = {
    "status": _Lazy("adapters.cli.status", "status",
          "One screen for the operator: whether the committee's notices get through "
          "(what waits, by platform, why, and what to do about it), the schema version, "
          "the key file's mode, the key escrow's age, and how many anonymous reports "
          "are held past their delay unrecorded."),
    "console": _Lazy("adapters.cli.run", "console",
          "A local chat with Candor in the terminal (SQLite and a development key by "
          "default)."),
    "init": _Lazy("adapters.cli.run", "init",
          "Create a working setup: the schema, a development key file (mode 0600) if "
          "none exists, and the roster from CANDOR_ROSTER if set."),
    "serve": _Lazy("adapters.cli.run", "serve",
          "Run the configured platforms (Slack at POST /slack/events or Socket Mode, "
          "Teams at POST /api/messages), the scheduler and the notifier, with a bare "
          "GET /healthz; GET /metrics and the detailed GET /healthz on the admin "
          "listener (CANDOR_ADMIN_HOST:CANDOR_ADMIN_PORT)."),
    "sweep": _Lazy("adapters.cli.sweep", "sweep",
          "Run the scheduler's sweeps once, at the given time (for cron and tests): "
          "reminders, escalations and deadlines due at that time go to the outbox, each "
          "at most once, and abandoned drafts are deleted; anonymous reports held for "
          "their delay and due by now (the real clock, never a later --now) are "
          "recorded first. `candor serve` delivers them."),
    "roster": _Lazy("adapters.cli.roster", "app",
          "The roster of officers and Audit Committee members."),
    "keys": _Lazy("adapters.cli.keys", "app",
          "The master keys that wrap every record's data key, and the committee's "
          "recovery shares that rebuild them."),
    "audit": _Lazy("adapters.cli.audit", "app",
          "The hash-chained audit log."),
    "db": _Lazy("adapters.cli.db", "app",
          "The database schema."),
    "teams": _Lazy("adapters.cli.teams", "app",
          "Microsoft Teams: the app package."),
    "waivers": _Lazy("adapters.cli.waivers", "app",
          "Waivers of the Code and their public disclosure."),
    "retention": _Lazy("adapters.cli.retention", "app",
          "Retention of closed cases and legal holds."),
    "export": _Lazy("adapters.cli.export", "app",
          "The committee's records: case files, notice letters and the quarterly register."),
    "notify": _Lazy("adapters.cli.notify", "app",
          "The notifier: notices on their way to Slack and Teams."),
    "designations": _Lazy("adapters.cli.designations", "app",  # issue 22
          "Designations: who the committee brought in on which case, until when."),
}


def load(name: str) -> Any:
    """The click command `name` runs, its module imported now."""
    entry = _LAZY[name]
    target = getattr(importlib.import_module(entry.module), entry.attribute)
    command: Any
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)
    else:
        single = typer.Typer(rich_markup_mode="markdown", add_completion=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class _LazyGroup(TyperGroup):
    """Lists every command from `_LAZY` without importing it; imports one as it is run."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in _LAZY if n not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands or cmd_name not in _LAZY:
            return super().get_command(ctx, cmd_name)
        # For the listing only: the name and its help (resolve_command loads the command).
        return typer.core.TyperCommand(cmd_name, help=_LAZY[cmd_name].help)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] in _LAZY and args[0] not in self.commands:
            self.commands[args[0]] = load(args[0])
        try:
            return super().resolve_command(ctx, args)
        except typer._click.exceptions.UsageError as exc:
            # A typo: suggest among every command, not only those loaded.
            close = difflib.get_close_matches(args[0], list(_LAZY)) if args else []
            if close and "Did you mean" not in exc.message:
                exc.message = (exc.message.rstrip(".") + ". Did you mean "
                               + ", ".join(repr(name) for name in close) + "?")
            raise


app = typer.Typer(cls=_LazyGroup,
                  help="Candor: the Supplemental Code of Ethics in Slack and Microsoft Teams.",
                  no_args_is_help=True, add_completion=False, rich_markup_mode="markdown",
                  # A traceback never prints local variables: they may hold a report's text.
                  pretty_exceptions_show_locals=False)


@app.callback()
def _candor() -> None:
    # The command's module is imported (resolve_command), its options not yet read: the start
    # `main` paused the collector for is over, so it settles; only in `candor`'s own process (a
    # test's runs the app with its collector on). A command that builds Candor pauses it again
    # meanwhile (collector_paused); `candor serve` until its app is built.
    if not gc.isenabled():
        settle()


def main() -> None:
    # No cyclic collection while the command's modules import: they make tens of thousands of
    # objects that live as long as the process, and next to no garbage (`_candor` resumes it).
    gc.disable()
    app()
