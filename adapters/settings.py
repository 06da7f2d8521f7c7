"""Configuration from the environment (and a `.env` file): the platforms' usual names and
`CANDOR_*` for the rest. Read once, in the composition root."""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.db import DEFAULT_DATABASE_URL
from storage.keyring import Keyring, KeyringError


class TeamsModeError(typer.BadParameter):
    """Teams configured without an app id and without CANDOR_TEAMS_LOCAL=true. A typer error, so
    that `candor` prints the message alone and stops; not a ValueError, which pydantic would turn
    into an error that echoes every setting's value, secrets included."""


# The lowest scrypt cost (2**N) a deployment may hash reporters' secrets with.
SCRYPT_LOG2_N_FLOOR = 15


class SettingsError(typer.BadParameter):
    """A setting that must not be used as given (an empty credential, an unauthenticated mode on
    the network). A typer error, for the same reason as `TeamsModeError`: the message alone."""


# The secrets an empty value would turn into a working (and guessable) key, by field and variable.
# Identifiers (MICROSOFT_APP_ID, MICROSOFT_APP_TENANT_ID) are not here: empty, they read as unset.
_CREDENTIALS = {
    "master_key": "CANDOR_MASTER_KEY",
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "slack_app_token": "SLACK_APP_TOKEN",
    "microsoft_app_password": "MICROSOFT_APP_PASSWORD",
}


def _is_blank(value: object) -> bool:
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    return isinstance(value, str) and not value.strip()


def _is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a name other than localhost may resolve anywhere


class SmtpUrlError(typer.BadParameter):
    """CANDOR_SMTP_URL cannot be used. A typer error, for the reason above (and the URL may hold
    a password: it is never echoed)."""


_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TEAMS_CHANNEL = re.compile(r"19:\S+@thread\.(tacv2|skype|v2)")
_GUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      populate_by_name=True)

    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias="CANDOR_DATABASE_URL")
    key_file: Path = Field(Path("candor.key"), validation_alias="CANDOR_KEY_FILE")
    master_key: SecretStr | None = Field(None, validation_alias="CANDOR_MASTER_KEY")
    roster: Path | None = Field(None, validation_alias="CANDOR_ROSTER")
    policy_file: Path | None = Field(None, validation_alias="CANDOR_POLICY_FILE")
    timezone: str = Field("UTC", validation_alias="CANDOR_TIMEZONE")
    committee_channel: str | None = Field(None, validation_alias="CANDOR_COMMITTEE_CHANNEL")
    teams_channel: str | None = Field(None, validation_alias="CANDOR_TEAMS_CHANNEL")
    slack_api_url: str = Field("https://slack.com/api/", validation_alias="CANDOR_SLACK_API_URL")
    host: str = Field("0.0.0.0", validation_alias="CANDOR_HOST")
    port: int = Field(3000, ge=1, le=65535, validation_alias=AliasChoices("CANDOR_PORT", "PORT"))
    # The operators' listener (/metrics, the detailed /healthz): never the internet's port, whose
    # visitors must learn nothing from delivery counters or a blocked channel's error.
    admin_host: str = Field("127.0.0.1", validation_alias="CANDOR_ADMIN_HOST")
    admin_port: int = Field(9300, ge=0, le=65535, validation_alias="CANDOR_ADMIN_PORT")
    log_level: str = Field("INFO", validation_alias="CANDOR_LOG_LEVEL")
    sweep_seconds: int = Field(300, ge=10, validation_alias="CANDOR_SWEEP_SECONDS")
    retention_years: int = Field(7, ge=1, le=100, validation_alias="CANDOR_RETENTION_YEARS")
    # The notifier: the first retry's delay (doubling, with jitter, up to the maximum), how long
    # a claimed notice is held before another relay may take it (longer than one delivery
    # takes), and after how many hours of failures it gives up and tells the committee.
    retry_base_seconds: float = Field(2.0, gt=0, validation_alias="CANDOR_RETRY_BASE_SECONDS")
    retry_max_seconds: float = Field(300.0, gt=0, validation_alias="CANDOR_RETRY_MAX_SECONDS")
    relay_lease_seconds: float = Field(60.0, gt=0, validation_alias="CANDOR_RELAY_LEASE_SECONDS")
    delivery_horizon_hours: float = Field(24.0, gt=0,
                                          validation_alias="CANDOR_DELIVERY_HORIZON_HOURS")
    # How often a running server looks at the key file (a stat) and reloads it when it changed,
    # and how often it reports the key versions it holds to the database (`candor keys rotate`
    # waits for those reports; a server silent for three heartbeats is taken for gone).
    key_poll_seconds: float = Field(2.0, gt=0, validation_alias="CANDOR_KEY_POLL_SECONDS")
    key_heartbeat_seconds: float = Field(10.0, gt=0,
                                         validation_alias="CANDOR_KEY_HEARTBEAT_SECONDS")
    # An anonymous report's channel alert waits a random delay, uniform in 0..N minutes (0: none).
    anonymous_delay_minutes: int = Field(60, ge=0, le=1440,
                                         validation_alias="CANDOR_ANONYMOUS_DELAY_MINUTES")
    # How many anonymous reports one person may file in a day.
    anonymous_daily_limit: int = Field(5, ge=1, le=100,
                                       validation_alias="CANDOR_ANONYMOUS_DAILY_LIMIT")
    # Confidential reporting (issue 24): how many members allowed on a case must agree to show a
    # confidential reporter's name; never fewer than 2 (one member alone must never be enough).
    reveal_quorum: int = Field(2, ge=2, le=50, validation_alias="CANDOR_REVEAL_QUORUM")
    # Operators are alerted (/healthz 503, the e-mail) when a committee notice has waited this long.
    alert_stale_minutes: float = Field(15.0, gt=0, validation_alias="CANDOR_ALERT_STALE_MINUTES")
    # Optional e-mail to the chair (and CANDOR_ALERT_EMAIL) when the committee channel is blocked:
    # smtp://[user:password@]host[:port][?from=ADDRESS], smtp+starttls://..., smtps://...
    smtp_url: SecretStr | None = Field(None, validation_alias="CANDOR_SMTP_URL")
    alert_email: str | None = Field(None, validation_alias="CANDOR_ALERT_EMAIL")
    # The scrypt cost for reporters' secrets (2**N): never below SCRYPT_LOG2_N_FLOOR, except
    # inside the test suite (`_scrypt_floor`).
    scrypt_log2_n: int = Field(15, ge=4, le=20, validation_alias="CANDOR_SCRYPT_LOG2_N")

    slack_bot_token: SecretStr | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    microsoft_app_id: str | None = Field(None, validation_alias="MICROSOFT_APP_ID")
    microsoft_app_password: SecretStr | None = Field(None,
                                                     validation_alias="MICROSOFT_APP_PASSWORD")
    microsoft_app_tenant_id: str | None = Field(None, validation_alias="MICROSOFT_APP_TENANT_ID")
    # Teams without MICROSOFT_APP_ID authenticates nothing (local mode, for the
    # Emulator and tests): it runs only when asked for by name, never because an app id is missing.
    teams_local: bool = Field(False, validation_alias="CANDOR_TEAMS_LOCAL")

    @field_validator("log_level")
    @classmethod
    def _a_log_level(cls, value: str) -> str:
        if value.strip().upper() not in _LOG_LEVELS:
            raise ValueError(f"one of {', '.join(_LOG_LEVELS)}")
        return value.strip().upper()

    @field_validator("timezone")
    @classmethod
    def _a_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("an IANA time zone such as Europe/Paris or America/New_York") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _a_database_url(cls, value: str) -> str:
        if not re.match(r"^(sqlite(\+\w+)?:///|postgres(ql)?(\+\w+)?://)", value.strip()):
            raise ValueError("sqlite:///PATH or postgresql://USER@HOST/DATABASE")
        return value.strip()

    @field_validator("slack_api_url")
    @classmethod
    def _a_web_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("an http(s) URL such as https://slack.com/api/")
        return value.strip()

    @field_validator("key_file")
    @classmethod
    def _a_file_path(cls, value: Path) -> Path:
        if not str(value).strip() or value.is_dir():
            raise ValueError("the path of a file (the keyring), not a folder")
        return value

    @field_validator("roster", "policy_file")
    @classmethod
    def _a_file_there(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError("the path of a file that exists")
        return value

    @field_validator("master_key")
    @classmethod
    def _a_keyring(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or _is_blank(value):
            return value  # blank: refused by name below, as every empty credential
        try:
            Keyring.from_json(value.get_secret_value())
        except (KeyringError, ValueError, KeyError, TypeError):
            raise ValueError("a keyring's JSON, as a key file holds it") from None
        return value

    @field_validator("committee_channel")
    @classmethod
    def _a_slack_channel(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[CG][A-Z0-9]{2,}", value.strip()):
            raise ValueError("a Slack channel id such as C0123ABCD (the channel's details show it)")
        return None if value is None else value.strip()

    @field_validator("teams_channel")
    @classmethod
    def _a_teams_channel(cls, value: str | None) -> str | None:
        if value is not None and not _TEAMS_CHANNEL.fullmatch(value.strip()):
            raise ValueError("a Teams channel id such as 19:…@thread.tacv2")
        return None if value is None else value.strip()

    @field_validator("microsoft_app_tenant_id")
    @classmethod
    def _a_tenant(cls, value: str | None) -> str | None:
        if value and not re.fullmatch(r"[A-Za-z0-9.\-]+", value.strip()):
            raise ValueError("the tenant's id (a GUID) or its domain (contoso.onmicrosoft.com)")
        return value.strip() if value else value

    @field_validator("host", "admin_host")
    @classmethod
    def _a_host(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9.:\-\[\]]+", value.strip()):
            raise ValueError("an address to listen on, such as 0.0.0.0 or 127.0.0.1")
        return value.strip()

    @field_validator("slack_bot_token", "slack_app_token")
    @classmethod
    def _a_slack_token(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        prefix = "xoxb-" if info.field_name == "slack_bot_token" else "xapp-"
        token = "" if value is None else value.get_secret_value().strip()
        # With token rotation on, Slack's bot tokens start "xoxe.xoxb-".
        if value is not None and token and not token.removeprefix("xoxe.").startswith(prefix):
            raise ValueError(f"a token that starts with {prefix}")
        return value

    @field_validator("microsoft_app_id")
    @classmethod
    def _a_guid(cls, value: str | None) -> str | None:
        if value and not _GUID.fullmatch(value.strip()):
            raise ValueError("the bot's app id, a GUID (8-4-4-4-12 hexadecimal digits)")
        return value.strip() if value else value

    @field_validator("alert_email")
    @classmethod
    def _addresses(cls, value: str | None) -> str | None:
        if value is not None and not all(_EMAIL.match(a.strip()) for a in value.split(",")):
            raise ValueError("e-mail addresses separated by commas")
        return value

    @model_validator(mode="after")
    def _scrypt_floor(self) -> Settings:
        # A lower cost makes every stored secret's hash cheaper to attack, so no deployment may
        # set one. The suite lowers it to stay fast: pytest marks each test's process (and the
        # `candor` processes it starts) with PYTEST_CURRENT_TEST, which no deployment sets.
        if self.scrypt_log2_n < SCRYPT_LOG2_N_FLOOR and "PYTEST_CURRENT_TEST" not in os.environ:
            raise SettingsError(
                f"CANDOR_SCRYPT_LOG2_N={self.scrypt_log2_n} is below {SCRYPT_LOG2_N_FLOOR}, the "
                "lowest cost a reporter's secret is hashed with (a lower one is for the test "
                "suite only): remove the line, or set a value from "
                f"{SCRYPT_LOG2_N_FLOOR} to 20.", param_hint="CANDOR_SCRYPT_LOG2_N")
        return self

    @model_validator(mode="after")
    def _no_empty_secret(self) -> Settings:
        # `SLACK_SIGNING_SECRET=` in a .env is not "no secret": Bolt would check signatures
        # against an empty key, which anyone can compute. Empty means a mistake: stop and say which.
        empty = [alias for name, alias in _CREDENTIALS.items() if _is_blank(getattr(self, name))]
        if empty:
            raise SettingsError(
                f"{', '.join(empty)} {'is' if len(empty) == 1 else 'are'} set but empty. An empty "
                "credential would be used as one (an empty signing secret lets anyone sign a "
                "request): "
                "give the value, or remove the line to leave it unset.",
                param_hint=" / ".join(empty))
        return self

    @model_validator(mode="after")
    def _teams_local_listens_on_loopback(self) -> Settings:
        # Local mode authenticates nothing: whoever reaches the port can act as any member. It
        # listens on this machine only (127.0.0.1 unless CANDOR_HOST names another loopback).
        if not self.teams_local or self.microsoft_app_id:
            return self
        if "host" not in self.model_fields_set:
            self.host = "127.0.0.1"
        elif not _is_loopback(self.host):
            raise SettingsError(
                f"CANDOR_TEAMS_LOCAL=true authenticates nothing, so Candor listens only on this "
                f"machine, but CANDOR_HOST is {self.host!r}. Set CANDOR_HOST=127.0.0.1 (or remove "
                f"it), or set "
                "MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD to serve Teams on the network.",
                param_hint="CANDOR_HOST")
        return self

    @model_validator(mode="after")
    def _teams_local_mode_is_explicit(self) -> Settings:
        wanted = [name for name, value in (("CANDOR_TEAMS_CHANNEL", self.teams_channel),
                                           ("MICROSOFT_APP_PASSWORD", self.microsoft_app_password),
                                           ("MICROSOFT_APP_TENANT_ID",
                                            self.microsoft_app_tenant_id)) if value]
        if wanted and not self.microsoft_app_id and not self.teams_local:
            raise TeamsModeError(
                "Teams is configured but MICROSOFT_APP_ID is not set: without an app id Teams "
                "would accept unauthenticated activities. Set MICROSOFT_APP_ID (and "
                "MICROSOFT_APP_PASSWORD), "
                "or CANDOR_TEAMS_LOCAL=true for the Bot Framework Emulator and tests only.",
                param_hint=" / ".join(wanted))
        return self

    @model_validator(mode="after")
    def _smtp_url_is_usable(self) -> Settings:
        if self.smtp_url is not None:
            parts = urlsplit(self.smtp_url.get_secret_value())
            if parts.scheme not in ("smtp", "smtp+starttls", "smtps") or not parts.hostname:
                raise SmtpUrlError("must look like smtp://host:port, smtp+starttls://host:587 or "
                                   "smtps://host:465 (with user:password@ and ?from=ADDRESS if "
                                   "needed)",
                                   param_hint="CANDOR_SMTP_URL")
            # Plain smtp:// sends AUTH in clear: anyone on the path reads the password. On this
            # machine (a local relay) there is no path; elsewhere it needs TLS.
            if (parts.scheme == "smtp" and (parts.username or parts.password)
                    and not _is_loopback(parts.hostname)):
                raise SmtpUrlError("holds a user and password for plain smtp:// to another "
                                   "machine, which would send the password in clear: use "
                                   "smtp+starttls://...:587 or smtps://...:465 (or a relay on "
                                   "this machine, smtp://127.0.0.1:25, with no credentials)",
                                   param_hint="CANDOR_SMTP_URL")
        return self

    @model_validator(mode="after")
    def _admin_port_is_its_own(self) -> Settings:
        if self.admin_port and self.admin_port == self.port:
            raise SettingsError(
                f"CANDOR_ADMIN_PORT is {self.admin_port}, the same as CANDOR_PORT: /metrics and "
                "the detailed /healthz need a port of their own, off the internet. Pick another.",
                param_hint="CANDOR_ADMIN_PORT")
        return self

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None and (
            self.slack_signing_secret is not None or self.slack_app_token is not None
        )

    @property
    def teams_enabled(self) -> bool:
        return bool(self.microsoft_app_id) or self.teams_local


# --- a setting refused, in one line ----------------------------------------------------------

# What a constraint allows, in words, by pydantic's error type.
_ALLOWED = {
    "greater_than": "a number greater than {gt}",
    "greater_than_equal": "a number of at least {ge}",
    "less_than": "a number less than {lt}",
    "less_than_equal": "a number of at most {le}",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "bool_parsing": "true or false",
}


def _variables() -> dict[str, tuple[str, bool]]:
    """Each environment variable a setting is read from: (the names it goes by, is it secret)."""
    names: dict[str, tuple[str, bool]] = {}
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        choices = alias.choices if isinstance(alias, AliasChoices) else [alias]
        spelled = [str(choice) for choice in choices if choice is not None]
        secret = field.annotation is not None and "SecretStr" in str(field.annotation)
        for name in spelled:
            names[name] = (" (or ".join(spelled) + ")" * (len(spelled) - 1), secret)
    return names


def _without_password(value: str) -> str:
    """A URL's password masked (a database URL may carry one); any other text as given."""
    parts = urlsplit(value)
    if not parts.password:
        return value
    return value.replace(f":{parts.password}@", ":***@", 1)


def explain(error: ValidationError) -> str:
    """A refused setting as one line for each variable: its name, the value given (never a
    secret's) and what is allowed."""
    variables = _variables()
    lines = []
    for problem in error.errors(include_url=False):
        name = str(problem["loc"][0]) if problem["loc"] else "a setting"
        spelled, secret = variables.get(name, (name, True))
        given = problem.get("input")
        shown = "set" if secret or not isinstance(given, str) else repr(_without_password(given))
        context = {key: f"{value:g}" if isinstance(value, float) else value
                   for key, value in (problem.get("ctx") or {}).items()}
        allowed = (_ALLOWED[problem["type"]].format(**context) if problem["type"] in _ALLOWED
                   else str(context.get("error") or problem["msg"]))
        lines.append(f"{spelled} is {shown}, but it must be {allowed}.")
    return "\n".join(lines)
