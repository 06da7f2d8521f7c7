"""The composition root: settings -> database, keys, core, service, relay. Built once per
process; nothing here runs at import."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import inspect
from sqlmodel import select

from adapters.settings import Settings
from bot.attestation import load_policy
from bot.core import Core
from bot.delivery.relay import Relay, RetryPolicy
from bot.evidence.limits import MB, EvidenceSettings
from bot.schedule.deadlines import ScheduleSettings
from storage import migrate
from storage.audit import AuditLog
from storage.crypto import Vault
from storage.db import Database
from storage.keyring import Keyring, KeyringError, load_keyring, save_keyring
from storage.models import DataKey
from storage.vocabulary import Platform

if TYPE_CHECKING:
    from bot.service import Service

# Libraries that write whole request and response bodies (or, for SQLAlchemy, result rows) at
# DEBUG: a report's text or a reporter's platform id would reach the log. They never log below
# INFO, whatever CANDOR_LOG_LEVEL says; SQL statements are logged without their parameters.
PAYLOAD_LOGGERS = ("slack_sdk", "slack_bolt", "msal", "urllib3", "aiohttp.client", "sqlalchemy")
# The PDF libraries name the characters a case file uses at INFO; the Microsoft 365 Agents SDK (and
# the HTTP client its Teams extension uses) names the conversation of every call at INFO, and a
# 1:1 chat's id points at its person: they never log below WARNING.
CONTENT_LOGGERS = ("fontTools", "fpdf", "microsoft_agents", "microsoft_teams", "httpx")
# The web server's access log dates every request to the millisecond beside the size of its answer,
# and an anonymous report's receipt has a size of its own: it would date that report in the log,
# which must know only its day. It never logs below WARNING either (it logs nothing else).
TIMING_LOGGERS = ("aiohttp.access",)


def configure_logging(level: str) -> None:
    """The process's logging: CANDOR_LOG_LEVEL for Candor, never below INFO for the libraries
    that log payloads, and no access log."""
    logging.basicConfig(level=level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    guard_payload_loggers()


def guard_payload_loggers() -> None:
    for name in PAYLOAD_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)
    for name in CONTENT_LOGGERS + TIMING_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)


class StartupError(Exception):
    """Candor cannot start as configured; the message says what to do."""


@dataclass
class Candor:
    settings: Settings
    db: Database
    keyring: Keyring
    core: Core
    relay: Relay

    @cached_property
    def service(self) -> Service:
        """The use cases the platforms and the console call (most of bot/), built when first
        asked for: an administrator's command (`candor audit verify`) does without them."""
        from bot.service import Service

        return Service(self.db, self.core)

    def close(self) -> None:
        self.db.dispose()


def _has_sealed_data(db: Database) -> bool:
    if "datakey" not in inspect(db.engine).get_table_names():
        return False
    with db.read() as session:
        return session.exec(select(DataKey.id).limit(1)).first() is not None


def open_keyring(settings: Settings, db: Database, *, create: bool,
                 warn: Callable[[str], None] | None = None) -> tuple[Keyring, bool]:
    """The master keyring. With `create` (development: init, console) a key file is made when
    none exists, but never over existing data. Returns (keyring, created). `warn` hears about a
    key file others may read (by default, the log)."""
    env_value = settings.master_key.get_secret_value() if settings.master_key else None
    try:
        return load_keyring(key_file=settings.key_file, env_value=env_value, warn=warn), False
    except KeyringError:
        missing = not env_value and not settings.key_file.exists()
        if not (create and missing):
            raise
    if _has_sealed_data(db):
        raise KeyringError(
            f"no master key at {settings.key_file}, but the database holds encrypted data: "
            "restore the key file from your backup (a new key would not open it)"
        )
    keyring = Keyring.generate()
    save_keyring(settings.key_file, keyring, create=True)
    return keyring, True


def upgrade_schema(settings: Settings, db: Database, *,
                   warn: Callable[[str], None] | None = None) -> None:
    """Apply the migrations; one that seals rows already there loads the master key as Candor
    does (never creating one), and raises `KeyringError` when it cannot."""
    migrate.upgrade(db, keyring=lambda: open_keyring(settings, db, create=False, warn=warn)[0])


def build(settings: Settings, *, platforms: frozenset[Platform], create_key: bool = False,
          upgrade: bool = False, warn: Callable[[str], None] | None = None) -> Candor:
    """Wire Candor from settings. Refuses (StartupError) a missing or wrong key, or a database
    whose schema is behind, with a message that says what to do; `warn` hears what is wrong but
    does not stop Candor (a key file others may read), by default through the log."""
    guard_payload_loggers()
    db = Database.from_url(settings.database_url)
    try:
        if upgrade:
            upgrade_schema(settings, db, warn=warn)
        elif migrate.current_revision(db) != migrate.head_revision():
            raise StartupError("the database schema is not up to date: run `candor db upgrade`")
        keyring, _created = open_keyring(settings, db, create=create_key, warn=warn)
        vault = Vault(keyring, scrypt_log2_n=settings.scrypt_log2_n)
        with db.read() as session:
            vault.check(session)
    except KeyringError as exc:
        db.dispose()
        raise StartupError(str(exc)) from None
    except StartupError:
        db.dispose()
        raise
    try:
        schedule = ScheduleSettings(timezone=settings.timezone,
                                    anonymous_delay_minutes=settings.anonymous_delay_minutes,
                                    anonymous_daily_limit=settings.anonymous_daily_limit,
                                    reveal_quorum=settings.reveal_quorum)
    except ValueError as exc:
        db.dispose()
        raise StartupError(f"CANDOR_TIMEZONE: {exc}") from None
    core = Core(
        vault=vault, audit=AuditLog(lambda: vault.keyring),
        policy=load_policy(settings.policy_file), platforms=platforms,
        schedule=schedule, company_name=settings.company_name,
        evidence=EvidenceSettings(public_url=settings.public_url,
                                  file_max_bytes=settings.file_max_mb * MB,
                                  case_max_bytes=settings.case_files_max_mb * MB),
    )
    policy = RetryPolicy(base_seconds=settings.retry_base_seconds,
                         max_seconds=settings.retry_max_seconds,
                         lease=timedelta(seconds=settings.relay_lease_seconds),
                         horizon=timedelta(hours=settings.delivery_horizon_hours))
    return Candor(settings, db, keyring, core, Relay(db, core, policy))
