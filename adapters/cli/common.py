"""What every `candor` command shares: the terminal (`out`, `err`), a refusal (`fail`: a red line
on standard error and exit 1), Candor built from the environment for one command (`running()`;
`administration()` gives the administrator's use cases on it and prints their refusals), and
reading the options that several commands take (an ISO 8601 time, a date, an unwritable file).

A refusal is printed as a sentence, never a traceback: a traceback may show a report's text.
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from pydantic import ValidationError

from adapters.settings import Settings, explain
from storage import migrate
from storage.db import Database
from storage.vocabulary import Platform

if TYPE_CHECKING:  # the core and rich: imported by the commands that use them, when they do
    from rich.console import Console as RichConsole

    from adapters.bootstrap import Candor
    from bot.admin import Admin, Refused
    from bot.core import CandorError

    out: RichConsole  # the terminal, standard output
    err: RichConsole  # and standard error


def __getattr__(name: str) -> Any:
    """`out` and `err`, each a rich console made when a command first uses it, under the
    command's own environment (its COLUMNS): `candor serve`, which prints nothing once started,
    never imports rich."""
    if name in ("out", "err"):
        return _terminal(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _terminal(name: str) -> RichConsole:
    made: RichConsole | None = globals().get(name)
    if made is None:
        from rich.console import Console

        made = globals()[name] = Console(stderr=name == "err")
    return made


def fail(message: str, code: int = 1, *, soft_wrap: bool = False) -> typer.Exit:
    """Print `message` as the command's refusal; raise what this returns. `soft_wrap` keeps each
    line whole (the terminal wraps it, a log keeps it on one line)."""
    _terminal("err").print(f"[bold red]candor:[/] {message}", highlight=False,
                           soft_wrap=soft_wrap)
    return typer.Exit(code)


def warn(message: str) -> None:
    _terminal("err").print(f"[bold yellow]candor: warning:[/] {message}", highlight=False)


def settings() -> Settings:
    """The settings from the environment; a setting refused stops `candor` with one short line
    for each variable at fault (exit status 2), never a traceback (it would echo every value)."""
    try:
        return Settings()
    except ValidationError as exc:
        raise fail(explain(exc), code=2, soft_wrap=True) from None
    except typer.BadParameter as exc:
        hint = str(exc.param_hint or "")
        raise fail(exc.message if hint in exc.message else f"{hint}: {exc.message}",
                   code=2, soft_wrap=True) from None


def operator() -> str:
    """Who runs this command: the OS user and the host, as the audit log records them beside the
    person acted for (`export case --as` names a member, `console` acts as anyone: anyone at the
    shell can type a name)."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no name for this uid (a bare container)
        user = f"uid {os.getuid()}"
    return f"{user}@{socket.gethostname()}"[:200]


@contextmanager
def running(platforms: frozenset[Platform] = frozenset(), *, create_key: bool = False,
            upgrade: bool = False, log_warnings: bool = False) -> Iterator[Candor]:
    """Candor built for one command, closed when the command ends; or a refusal saying what to
    fix (a missing key, an old schema)."""
    from adapters.bootstrap import StartupError, build
    from adapters.collector import collector_paused

    # A command shows a warning (a key file others may read) on the terminal; the server logs it.
    try:
        with collector_paused():  # building Candor imports most of it
            candor = build(settings(), platforms=platforms, create_key=create_key,
                           upgrade=upgrade, warn=None if log_warnings else warn)
    except StartupError as exc:
        raise fail(str(exc)) from None
    try:
        yield candor
    finally:
        candor.close()


@contextmanager
def administration(words: Callable[[Refused], str] | None = None,
                   lead: str = "") -> Iterator[Admin]:
    """The administrator's use cases (`bot.admin`) for one command. A refusal ends the command
    (exit 1): the core's, led by the option at fault (`refusal`), or a `Refused`, worded by
    `words`; `lead` goes before either."""
    from bot.admin import Admin, Refused
    from bot.core import CandorError

    with running() as candor:
        try:
            yield Admin(candor.db, candor.core, retention_years=candor.settings.retention_years)
        except Refused as refused:
            if words is None:
                raise
            raise fail(lead + words(refused)) from None
        except CandorError as exc:
            raise fail(lead + refusal(exc)) from None


def configured_platforms(configured: Settings) -> frozenset[Platform]:
    platforms = set()
    if configured.slack_enabled:
        platforms.add(Platform.SLACK)
    if configured.teams_enabled:
        platforms.add(Platform.TEAMS)
    return frozenset(platforms)


def open_current_database(configured: Settings) -> Database:
    """The database without the master key (for commands that read plain columns only), or a
    refusal when its schema is not the one this version of Candor runs."""
    db = Database.from_url(configured.database_url)
    current, head = migrate.current_revision(db), migrate.head_revision()
    if current != head:
        db.dispose()
        raise fail(f"the database schema is at {current or 'nothing'}, not {head}: "
                   "run `candor db upgrade`")
    return db


# A refusal names the command-line option it is about (the core's sentences are the chat's).
_OPTIONS = {"officer": "--officer", "granted_by": "--granted-by", "granted_on": "--on",
            "provision": "--provision", "reason": "--reason", "ref": "--ref", "on": "--on"}


def option(field: str) -> str:
    """The option a form field of the core is given by (its own name when it has none)."""
    return _OPTIONS.get(field, field)


def refusal(exc: CandorError) -> str:
    """The core's refusal, led by the option at fault when it names a field."""
    from bot.core import FieldError

    field = exc.name if isinstance(exc, FieldError) else None
    return f"{_OPTIONS[field]}: {exc.reply}" if field in _OPTIONS else exc.reply


def unwritable(path: Path, exc: OSError) -> typer.Exit:
    # The error's own text, not a traceback: a traceback may show the case file being written.
    from rich.markup import escape

    return fail(f"could not write {escape(str(exc.filename or path))}: {exc.strerror or exc}")


def parse_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"{option} {text!r} is not a date (YYYY-MM-DD)") from None


def parse_time(text: str, *, example: str) -> datetime:
    """`--now`: an ISO 8601 time (a trailing Z is UTC); naive when it names no zone."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise fail(f"--now {text!r} is not an ISO 8601 time (e.g. {example})") from None
