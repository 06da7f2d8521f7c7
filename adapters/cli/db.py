"""`candor db upgrade`: apply the schema migrations (Alembic, `storage/migrations`)."""

from __future__ import annotations

import typer

from adapters.cli.common import out, settings
from storage import migrate
from storage.db import Database

app = typer.Typer(help="The database schema.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade() -> None:
    """Apply the schema migrations."""
    db = Database.from_url(settings().database_url)
    try:
        migrate.upgrade(db)
        out.print(f"Schema at {migrate.current_revision(db)}.")
    finally:
        db.dispose()
