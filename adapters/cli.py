"""The `candor` command: the console, the server, and administration."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import typer
from rich.console import Console as RichConsole
from rich.progress import Progress
from rich.table import Table

from adapters.admin_cli import export_app, retention_app, waivers_app
from adapters.bootstrap import Candor, StartupError, build, open_keyring, upgrade_schema
from adapters.key_rotation import Lagging, Rotation, describe, retire
from adapters.keys_cli import escrow_warning
from adapters.keys_cli import register as register_key_ceremony
from adapters.settings import Settings
from adapters.status_cli import notify_app, status
from storage import migrate
from storage.clock import utcnow
from storage.crypto import KeyringError
from storage.db import Database
from storage.vocabulary import Platform

app = typer.Typer(help="Candor: the Supplemental Code of Ethics in Slack and Microsoft Teams.",
                  no_args_is_help=True, add_completion=False, rich_markup_mode="markdown",
                  # A traceback never prints local variables: they may hold a report's text.
                  pretty_exceptions_show_locals=False)
roster_app = typer.Typer(help="The roster of officers and Audit Committee members.", no_args_is_help=True)
keys_app = typer.Typer(help="The master keys that wrap every record's data key, and the committee's "
                            "recovery shares that rebuild them.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
app.add_typer(roster_app, name="roster")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
app.add_typer(db_app, name="db")
teams_app = typer.Typer(help="Microsoft Teams: the app package.", no_args_is_help=True)
app.add_typer(teams_app, name="teams")
app.add_typer(waivers_app, name="waivers")
app.add_typer(retention_app, name="retention")
app.add_typer(export_app, name="export")
app.add_typer(notify_app, name="notify")
app.command("status")(status)

out = RichConsole()
err = RichConsole(stderr=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]candor:[/] {message}", highlight=False)
    return typer.Exit(code)


def _settings() -> Settings:
    return Settings()


def _build(platforms: frozenset[Platform], *, create_key: bool = False, upgrade: bool = False,
           log_warnings: bool = False) -> Candor:
    # A command shows a warning (a key file others may read) on the terminal; the server logs it.
    try:
        return build(_settings(), platforms=platforms, create_key=create_key, upgrade=upgrade,
                     warn=None if log_warnings else _warn)
    except StartupError as exc:
        raise _fail(str(exc)) from None


def _warn(message: str) -> None:
    err.print(f"[bold yellow]candor: warning:[/] {message}", highlight=False)


def _configured_platforms(settings: Settings) -> frozenset[Platform]:
    platforms = set()
    if settings.slack_enabled:
        platforms.add(Platform.SLACK)
    if settings.teams_enabled:
        platforms.add(Platform.TEAMS)
    return frozenset(platforms)


def _configure_logging(level: str) -> None:
    from adapters.bootstrap import configure_logging

    configure_logging(level)


# --- development ------------------------------------------------------------------------------


@app.command()
def console() -> None:
    """A local chat with Candor in the terminal (SQLite and a development key by default).

    Act as any roster person with /as EMAIL; with no roster, a demo roster is loaded."""
    from adapters.console.app import Console
    from adapters.console.demo import ensure_people

    candor = _build(frozenset({Platform.CONSOLE}), create_key=True, upgrade=True)
    try:
        note = ensure_people(candor)
        chat = Console(candor.service, candor.relay, echo=not sys.stdin.isatty())
        chat.say("Candor console. Type /help for commands.")
        if note:
            chat.say(note)
        interactive = sys.stdin.isatty()
        chat.run(_lines(interactive), interactive=False)
    finally:
        candor.close()


def _lines(interactive: bool) -> Iterator[str]:
    if not interactive:
        yield from sys.stdin
        return
    while True:
        try:
            yield input("> ")
        except EOFError:
            return


@app.command()
def init() -> None:
    """Create a working setup: the schema, a development key file (mode 0600) if none exists,
    and the roster from CANDOR_ROSTER if set."""
    settings = _settings()
    db = Database.from_url(settings.database_url)
    try:
        try:
            upgrade_schema(settings, db, warn=_warn)
            _keyring, created = open_keyring(settings, db, create=True, warn=_warn)
        except KeyringError as exc:
            raise _fail(str(exc)) from None
        out.print(f"Database ready at {settings.database_url} (schema {migrate.current_revision(db)}).")
        if created:
            out.print(f"Created a master key at {settings.key_file} (mode 0600). Back it up now: "
                      "without it, nothing in the database can be read. Then give the Audit "
                      "Committee the way back: `candor keys split --shares N --threshold K --out DIR`.")
        else:
            out.print("The master key opens; nothing was created.")
    finally:
        db.dispose()
    if settings.roster:
        roster_import(settings.roster, prune=False)


@app.command()
def serve() -> None:
    """Run the configured platforms (Slack at POST /slack/events or Socket Mode, Teams at
    POST /api/messages), the scheduler and the notifier, with GET /healthz and GET /metrics."""
    from adapters.server import run_server

    settings = _settings()
    _configure_logging(settings.log_level)
    platforms = _configured_platforms(settings)
    if not platforms:
        raise _fail("no platform is configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET "
                    "(or SLACK_APP_TOKEN), and/or MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD "
                    "(CANDOR_TEAMS_LOCAL=true runs Teams unauthenticated, for the Emulator only)")
    candor = _build(platforms, log_warnings=True)
    try:
        if warning := escrow_warning(candor):
            logging.getLogger("candor.keys").warning(warning)
        run_server(candor)
    finally:
        candor.close()


# --- roster ---------------------------------------------------------------------------------


@roster_app.command("import")
def roster_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The roster YAML file."),
    prune: bool = typer.Option(False, "--prune", help="Deactivate people missing from the file."),
) -> None:
    """Add or update people from a roster file (matched by e-mail)."""
    from bot.roster import RosterError, db_import_roster, parse_roster

    try:
        entries = parse_roster(file.read_text(encoding="utf-8"))
    except RosterError as exc:
        raise _fail(f"{file}: {exc}; nothing was imported") from None
    candor = _build(frozenset(), upgrade=False, create_key=True)
    try:
        with candor.db.write() as session:
            result = db_import_roster(session, entries, prune=prune, vault=candor.core.vault,
                                      audit=candor.core.audit, actor="cli")
    except RosterError as exc:
        raise _fail(f"{file}: {exc}; nothing was imported") from None
    finally:
        candor.close()
    out.print(f"Added {len(result.added)}, updated {len(result.updated)}, "
              f"unchanged {len(result.unchanged)}.")
    if result.missing:
        out.print("Not in the file, kept active (use --prune to deactivate): " + ", ".join(result.missing))
    if result.deactivated:
        out.print("Deactivated: " + ", ".join(result.deactivated))


@roster_app.command("list")
def roster_list() -> None:
    """The roster as a table."""
    from bot.roster import db_list_roster

    candor = _build(frozenset())
    try:
        with candor.db.read() as session:
            rows = db_list_roster(session, candor.core.vault)
    finally:
        candor.close()
    table = Table("Name", "E-mail", "Kind", "Role", "Slack", "Teams", "Attestation due", "Active")
    for person, identities in rows:
        ids = {i.platform: i.platform_user_id for i in identities}
        kind = "Committee (chair)" if person.chair else person.kind.label
        table.add_row(person.name, person.email, kind, person.role.label if person.role else "",
                      ids.get(Platform.SLACK, ""), ids.get(Platform.TEAMS, ""),
                      str(person.attestation_due or ""), "yes" if person.active else "no")
    out.print(table)


# --- keys -----------------------------------------------------------------------------------


@keys_app.command("rotate")
def keys_rotate(
    batch: int = typer.Option(500, min=1, help="Data keys re-wrapped per transaction."),
    wait: float = typer.Option(120.0, "--wait", min=0,
                               help="Seconds to wait for running servers to load the new key."),
) -> None:
    """Add a new master key version and re-wrap every data key under it, in short transactions
    (the service keeps running). Running servers load the new version first (they watch the
    key file): nothing is wrapped under it until each live server holds it, and nothing is
    re-wrapped until each wraps under it. If one does not within --wait seconds, the command
    stops (exit 1) and names it; run it again to continue. Bodies are not re-encrypted. The old
    version stays in the key file until you retire it."""
    settings = _settings()
    if settings.master_key:
        raise _fail("the keyring comes from CANDOR_MASTER_KEY: rotate the key file instead and "
                    "update the variable from it")
    candor = _build(frozenset())
    try:
        rotation = Rotation(candor.db, settings.key_file, wait, lambda line: out.print(line, highlight=False))
        try:
            keyring = rotation.prepare(candor.keyring)
            keyring = rotation.promote(keyring)
            with Progress(console=out) as progress:
                task = progress.add_task(f"Re-wrapping under v{keyring.current}",
                                         total=rotation.behind(keyring.current))
                total = rotation.rewrap(keyring, batch=batch, advance=lambda n: progress.advance(task, n))
        except Lagging as late:
            raise _fail(_lagging(late, settings.key_file)) from None
        out.print(f"Master key v{keyring.current} is current; {total} data keys re-wrapped. "
                  f"Back up {settings.key_file}, then retire old versions with `candor keys retire`.")
    finally:
        candor.close()


def _lagging(late: Lagging, key_file: Path) -> str:
    servers = "; ".join(describe(h, utcnow()) for h in late.holders)
    return (f"{len(late.holders)} running server(s) did not {late.wanted} master key v{late.version} "
            f"in time: {servers}. Nothing was re-wrapped, and every server can still open every "
            f"record. Make sure each can read {key_file} (a server on another machine needs the "
            "file copied there; one using CANDOR_MASTER_KEY needs the variable updated and a "
            "restart), send it SIGHUP, then run `candor keys rotate` again to continue.")


@keys_app.command("retire")
def keys_retire(version: int = typer.Argument(..., help="The master key version to remove.")) -> None:
    """Remove an old master key version, once no data key is wrapped by it and no running
    server wraps new ones under it."""
    settings = _settings()
    if settings.master_key:
        raise _fail("the keyring comes from CANDOR_MASTER_KEY: retire the version in the keyring "
                    "you keep, update the variable from it and restart; no key file was written")
    candor = _build(frozenset())
    try:
        try:
            retire(candor.db, settings.key_file, candor.keyring, version)
        except KeyringError as exc:
            raise _fail(str(exc)) from None
        out.print(f"Master key v{version} retired.")
    finally:
        candor.close()


# --- audit, db ------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify(
    expect_head: str | None = typer.Option(
        None, "--expect-head",
        help="An anchor (SEQ:HASH) printed by an earlier verify; fails if that link is gone or changed."),
) -> None:
    """Walk the audit chain and name the first broken link, if any. Prints the chain's head:
    keep it outside the database (e.g. in the committee's minutes) and pass it back with
    --expect-head to detect rows cut off the end."""
    from storage.audit import parse_anchor

    try:
        anchor = parse_anchor(expect_head) if expect_head else None
    except ValueError as exc:
        raise _fail(str(exc)) from None
    candor = _build(frozenset())
    try:
        with candor.db.read() as session:
            result = candor.core.audit.verify(session, anchor=anchor)
    finally:
        candor.close()
    if not result.ok:
        raise _fail(f"audit chain broken at row {result.broken_seq}: {result.reason} "
                    f"({result.checked} rows verified before it)")
    out.print(f"Audit chain verified: {result.checked} events, unbroken.")
    if result.head:
        out.print(f"Head: {result.head}", highlight=False)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the schema migrations (with the master key when one seals rows already there)."""
    settings = _settings()
    db = Database.from_url(settings.database_url)
    try:
        upgrade_schema(settings, db, warn=_warn)
        out.print(f"Schema at {migrate.current_revision(db)}.")
    except KeyringError as exc:
        raise _fail(str(exc)) from None
    finally:
        db.dispose()


@app.command()
def sweep(now: str = typer.Option(..., "--now", help="The time to sweep at, ISO 8601 (e.g. 2027-03-31T09:00:00Z).")) -> None:
    """Run the scheduler's sweeps once, at the given time (for cron and tests): reminders,
    escalations and deadlines due at that time go to the outbox, each at most once, and
    abandoned drafts are deleted; anonymous reports held for their delay and due by now (the real
    clock, never a later --now) are recorded first. `candor serve` delivers them."""
    from datetime import datetime

    from bot.sweep import Sweeper

    try:
        moment = datetime.fromisoformat(now.replace("Z", "+00:00"))
    except ValueError:
        raise _fail(f"--now {now!r} is not an ISO 8601 time (e.g. 2027-03-31T09:00:00Z)") from None
    if moment.tzinfo is None:
        raise _fail("--now needs a time zone (e.g. ...Z or +01:00)")
    settings = _settings()
    candor = _build(_configured_platforms(settings) or frozenset({Platform.CONSOLE}))
    try:
        result = Sweeper(candor.db, candor.core, candor.core.schedule,
                             retention_years=candor.settings.retention_years).run(moment)
    finally:
        candor.close()
    out.print(f"Sweep at {moment.isoformat()}: {result.written} new notices "
              f"({result.due} due), {result.drafts_deleted} abandoned drafts deleted, "
              f"{result.cases_shredded} cases past retention shredded.")
    for kind, count in sorted(result.by_kind.items()):
        out.print(f"  {kind}: {count}")


@teams_app.command("package")
def teams_package(
    destination: Path = typer.Option(Path("candor-teams.zip"), "--out", help="Where to write the zip."),
    app_id: str | None = typer.Option(None, "--app-id", help="The bot's app id (default MICROSOFT_APP_ID)."),
    version: str = typer.Option("1.0.0", help="The app version shown in Teams."),
    website: str = typer.Option("https://candor.example.com", help="Your company's page for Candor."),
) -> None:
    """Write the Teams app package (manifest.json with the bot id and command list, two icons)."""
    from adapters.teams.package import build_package

    bot_id = app_id or _settings().microsoft_app_id
    if not bot_id:
        raise _fail("no app id: pass --app-id or set MICROSOFT_APP_ID (the Azure bot's app id)")
    path = build_package(app_id=bot_id, out=destination, version=version, website=website)
    out.print(f"Wrote {path}: upload it in Teams (Apps → Manage your apps → Upload an app).")


register_key_ceremony(keys_app)  # keys split, recover, check: listed after rotate and retire


def main() -> None:
    app()


if __name__ == "__main__":
    main()
