"""Running Candor: `candor console` (a local chat in the terminal), `candor init` (a working set-up)
and `candor serve` (the platforms, the scheduler and the notifier in one process)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator

import typer

from adapters.bootstrap import configure_logging, open_keyring, upgrade_schema
from adapters.cli import roster
from adapters.cli.common import (
    configured_platforms,
    fail,
    out,
    running,
    settings,
    warn,
)
from adapters.cli.keys.escrow import escrow_warning
from storage import migrate
from storage.db import Database
from storage.keyring import KeyringError
from storage.vocabulary import Platform


def add_commands(app: typer.Typer) -> None:
    app.command()(console)
    app.command()(init)
    app.command()(serve)


def console() -> None:
    """A local chat with Candor in the terminal (SQLite and a development key by default).

    Act as any roster person with /as EMAIL; with no roster, a demo roster is loaded."""
    from adapters.console.app import Console
    from adapters.console.demo import ensure_people

    with running(frozenset({Platform.CONSOLE}), create_key=True, upgrade=True) as candor:
        note = ensure_people(candor)
        chat = Console(candor.service, candor.relay, echo=not sys.stdin.isatty(),
                       retention_years=candor.settings.retention_years)
        chat.say("Candor console. Type /help for commands.")
        if note:
            chat.say(note)
        interactive = sys.stdin.isatty()
        chat.run(_lines(interactive, chat.prompt), interactive=False)


def _lines(interactive: bool, prompt: Callable[[], str]) -> Iterator[str]:
    if not interactive:
        yield from sys.stdin
        return
    while True:
        try:
            yield input(prompt())
        except EOFError:
            return


def init() -> None:
    """Create a working setup: the schema, a development key file (mode 0600) if none exists,
    and the roster from CANDOR_ROSTER if set."""
    configured = settings()
    db = Database.from_url(configured.database_url)
    try:
        try:
            upgrade_schema(configured, db, warn=warn)
            _keyring, created = open_keyring(configured, db, create=True, warn=warn)
        except KeyringError as exc:
            raise fail(str(exc)) from None
        out.print(f"Database ready at {configured.database_url} "
                  f"(schema {migrate.current_revision(db)}).")
        if created:
            out.print(f"Created a master key at {configured.key_file} (mode 0600). Back it up now: "
                      "without it, nothing in the database can be read. Then give the Audit "
                      "Committee the way back: "
                      "`candor keys split --shares N --threshold K --out DIR`.")
        else:
            out.print("The master key opens; nothing was created.")
    finally:
        db.dispose()
    if configured.roster:
        roster.roster_import(configured.roster, prune=False)


def serve() -> None:
    """Run the configured platforms (Slack at POST /slack/events or Socket Mode, Teams at
    POST /api/messages), the scheduler and the notifier, with GET /healthz and GET /metrics."""
    from adapters.server import run_server

    configured = settings()
    configure_logging(configured.log_level)
    platforms = configured_platforms(configured)
    if not platforms:
        raise fail("no platform is configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET "
                   "(or SLACK_APP_TOKEN), and/or MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD "
                   "(CANDOR_TEAMS_LOCAL=true runs Teams unauthenticated, for the Emulator only)")
    with running(platforms, log_warnings=True) as candor:
        if warning := escrow_warning(candor):
            logging.getLogger("candor.keys").warning(warning)
        run_server(candor)
