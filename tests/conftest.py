"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, a keyring, a vault, a world.

Database tests take the `database` fixture, which runs each test twice: on a fresh SQLite file
and in a fresh PostgreSQL schema (CANDOR_TEST_POSTGRES_URL, default the machine's server). Outside
CI a PostgreSQL test skips, with the reason, when the server cannot be reached; in CI it fails.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text

from storage import migrate
from storage.audit import AuditLog, audit_key
from storage.crypto import Vault
from storage.db import Database, normalize_url, unreachable
from storage.keyring import Keyring
from tests.support.world import World, build_world

POSTGRES_URL = os.environ.get(
    "CANDOR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# No property test has a deadline: speed is shown by bench/, and a loaded machine (CI beside other
# work) made Hypothesis' 200 ms default fail tests that were right.
settings.register_profile("candor", deadline=None)
settings.load_profile("candor")

# A low scrypt cost keeps the suite fast; production uses the default (2**15).
TEST_SCRYPT_LOG2_N = 4


def _postgres_available() -> str | None:
    problem = unreachable(POSTGRES_URL)
    return problem and f"PostgreSQL at {POSTGRES_URL} is not reachable ({problem})"


_PG_PROBLEM: str | None = None
_PG_CHECKED = False


def postgres_problem() -> str | None:
    global _PG_PROBLEM, _PG_CHECKED
    if not _PG_CHECKED:
        _PG_PROBLEM, _PG_CHECKED = _postgres_available(), True
    return _PG_PROBLEM


def require_postgres() -> None:
    problem = postgres_problem()
    if problem is None:
        return
    if IN_CI:
        pytest.fail(f"CI requires PostgreSQL: {problem}")
    pytest.skip(f"{problem}; run .ci/run or start the server to include it")


def fresh_postgres_url() -> tuple[str, str]:
    """A URL whose connections live in a new, empty schema; returns (url, schema)."""
    require_postgres()
    schema = "t_" + secrets.token_hex(6)
    engine = create_engine(normalize_url(POSTGRES_URL))
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    sep = "&" if "?" in POSTGRES_URL else "?"
    return f"{normalize_url(POSTGRES_URL)}{sep}options=-csearch_path%3D{schema}", schema


def drop_postgres_schema(schema: str) -> None:
    engine = create_engine(normalize_url(POSTGRES_URL))
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database's URL, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'candor.db'}"
        return
    url, schema = fresh_postgres_url()
    try:
        yield url
    finally:
        drop_postgres_schema(schema)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A migrated database, on each backend."""
    with migrate.migrated(database_url) as db:
        yield db


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite database only, for tests about the file itself."""
    with migrate.migrated(f"sqlite:///{tmp_path / 'candor.db'}") as db:
        yield db


@pytest.fixture
def world(database: Database, vault: Vault) -> World:
    """A company made through the service, on each backend (a module may build its own)."""
    return build_world(database, vault)


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.generate()


@pytest.fixture
def vault(keyring: Keyring) -> Vault:
    return Vault(keyring, scrypt_log2_n=TEST_SCRYPT_LOG2_N)


@pytest.fixture
def audit(keyring: Keyring) -> AuditLog:
    return AuditLog(audit_key(keyring.index_key))
