"""Running Candor: `candor console` (a local chat in the terminal), `candor init` (a working set-up)
and `candor serve` (the platforms, the scheduler and the notifier in one process; at its start, a
warning when the committee's recovery escrow is missing or does not hold this server's key)."""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Callable, Iterator

import typer

from adapters.bootstrap import Candor, configure_logging, open_keyring, upgrade_schema
from adapters.cli import common
from adapters.cli.common import configured_platforms, fail, operator, running, settings, warn
from adapters.settings import Settings
from storage import migrate
from storage.db import Database
from storage.keyring import KeyringError
from storage.vocabulary import Platform


def console(
    allow_production: bool = typer.Option(
        False, "--allow-production",
        help="Use a database the console did not create (or a PostgreSQL one): every event it "
             "audits then names your OS user and host beside the person you act as."),
) -> None:
    """A local chat with Candor in the terminal (SQLite and a development key by default).

    Act as any roster person with /as EMAIL; with no roster, a demo roster is loaded. /wait 60m
    (or 8d) lets the console's own clock move on: anonymous reports held for their delay reach the
    committee, and reminders and escalations due by then are sent. It works on a database it
    created; any other needs --allow-production."""
    from adapters.console.app import Console
    from adapters.console.demo import ensure_people
    from bot import console_use

    fresh = _console_may_use(settings(), allow_production=allow_production)
    with running(frozenset({Platform.CONSOLE}), create_key=True, upgrade=True) as candor:
        if fresh:
            console_use.mark_created(candor.db, candor.core)
        if allow_production:
            candor.core.operator = f"console:{operator()}"
        note = ensure_people(candor)
        chat = Console(candor.service, candor.relay, echo=not sys.stdin.isatty(),
                       retention_years=candor.settings.retention_years,
                       clock_may_move=not allow_production)
        chat.say("Candor console. Type /help for commands.")
        if note:
            chat.say(note)
        interactive = sys.stdin.isatty()
        chat.run(_lines(interactive, chat.prompt), interactive=False)


def _console_may_use(configured: Settings, *, allow_production: bool) -> bool:
    """Refuse, before anything is created or upgraded, a database the console did not make (or
    any PostgreSQL one) unless allowed; True when there is no schema yet (the console makes it)."""
    from bot import console_use

    db = Database.from_url(configured.database_url)
    try:
        fresh = migrate.current_revision(db) is None
        if allow_production:
            return fresh
        why = ("is PostgreSQL, a production database" if db.engine.dialect.name == "postgresql"
               else None if fresh or console_use.created_by_console(db)
               else "was not created by the console")
    finally:
        db.dispose()
    if why is not None:
        raise fail(f"CANDOR_DATABASE_URL {why}. The console acts as anyone you name, and the "
                   "audit log would record them as having acted. Nothing was changed. To use it "
                   "anyway: `candor console --allow-production` (every event it audits then "
                   "names your OS user and host beside them).")
    return fresh


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
        out = common.out  # rich, imported by the commands that print (not by `candor serve`)
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
        from adapters.cli import roster

        roster.roster_import(configured.roster, prune=False)


def serve() -> None:
    """Run the configured platforms (Slack at POST /slack/events or Socket Mode, Teams at
    POST /api/messages), the scheduler and the notifier, with a bare GET /healthz; GET /metrics and
    the detailed GET /healthz on the admin listener (CANDOR_ADMIN_HOST:CANDOR_ADMIN_PORT)."""
    # The cyclic collector paused again until the web app is built and the platforms' SDKs are
    # imported (adapters.server.run_server then settles); back on whichever way this ends.
    gc.disable()
    try:
        _serve()
    finally:
        gc.enable()


def _serve() -> None:
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


def escrow_warning(candor: Candor) -> str | None:
    """What `candor serve` warns of at start: no escrow, one that does not verify under this
    server's keyring, or one that holds another keyring."""
    from bot import keys
    from storage.escrow import EscrowUnbound, holds

    escrow = keys.current_escrow(candor.db)
    if escrow is None:
        return ("no recovery escrow: if the key file is lost, nothing in the database can be read. "
                "Run `candor keys split` and give the shares to the Audit Committee")
    try:
        keys.bound_escrow(candor.db, candor.keyring)
    except EscrowUnbound as exc:
        return (f"{exc}: its public key may not be the committee's, and no rotation or retirement "
                "will seal the keyring to it. Run `candor keys check`, then `candor keys split`")
    if not holds(escrow, candor.keyring):
        return ("the recovery escrow holds another keyring than this server's: a recovery would "
                "not give this key. Run `candor keys check`, then `candor keys split`")
    return None
