"""Schema migrations (Alembic), applied with `candor db upgrade` and at `candor init`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from storage.db import Database

_SCRIPTS = Path(__file__).parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    return config


def upgrade(db: Database, revision: str = "head") -> None:
    with db.engine.begin() as connection:
        config = _config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as connection:
        rev: str | None = MigrationContext.configure(connection).get_current_revision()
        return rev


def head_revision() -> str | None:
    head: str | None = ScriptDirectory.from_config(_config()).get_current_head()
    return head


def revision(db: Database, message: str) -> None:
    """For developers: autogenerate a new revision from the models."""
    with db.engine.begin() as connection:
        config = _config()
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
