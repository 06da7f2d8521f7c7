"""`candor db upgrade`: apply the schema migrations (Alembic, `storage/migrations`)."""

from __future__ import annotations

import typer

from adapters.bootstrap import upgrade_schema
from adapters.cli.common import fail, out, settings, warn
from storage import migrate
from storage.db import Database
from storage.keyring import KeyringError

app = typer.Typer(help="The database schema.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade() -> None:
    """Apply the schema migrations (with the master key when one seals rows already there)."""
    configured = settings()
    db = Database.from_url(configured.database_url)
    try:
        upgrade_schema(configured, db, warn=warn)
        out.print(f"Schema at {migrate.current_revision(db)}.")
    except KeyringError as exc:
        raise fail(str(exc)) from None
    finally:
        db.dispose()
