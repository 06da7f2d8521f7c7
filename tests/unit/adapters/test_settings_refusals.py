"""Every setting given a bad value stops `candor` with one short line naming the variable, the
value given (never a secret's) and what is allowed: exit status 2, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import typer
from pydantic import AliasChoices

from adapters.cli import common
from adapters.settings import Settings

# One bad value for every variable Candor reads; a new setting without one fails the walk below.
BAD = {
    "CANDOR_DATABASE_URL": "mysql://root@localhost/candor",
    "CANDOR_KEY_FILE": "/",
    "CANDOR_MASTER_KEY": "not-a-keyring-canary-3f9",
    "CANDOR_ROSTER": "/nonexistent/roster.yml",
    "CANDOR_POLICY_FILE": "/nonexistent/policy.md",
    "CANDOR_TIMEZONE": "Mars/Olympus_Mons",
    "CANDOR_COMMITTEE_CHANNEL": "#audit-committee",
    "CANDOR_TEAMS_CHANNEL": "Audit Committee",
    "CANDOR_SLACK_API_URL": "ftp://slack.example/api",
    "CANDOR_HOST": "every interface",
    "CANDOR_PORT": "70000",
    "CANDOR_ADMIN_HOST": "the back office",
    "CANDOR_ADMIN_PORT": "70000",
    "CANDOR_LOG_LEVEL": "LOUD",
    "CANDOR_SWEEP_SECONDS": "1",
    "CANDOR_RETENTION_YEARS": "0",
    "CANDOR_RETRY_BASE_SECONDS": "0",
    "CANDOR_RETRY_MAX_SECONDS": "-3",
    "CANDOR_RELAY_LEASE_SECONDS": "soon",
    "CANDOR_DELIVERY_HORIZON_HOURS": "0",
    "CANDOR_KEY_POLL_SECONDS": "0",
    "CANDOR_KEY_HEARTBEAT_SECONDS": "-1",
    "CANDOR_ANONYMOUS_DELAY_MINUTES": "-5",
    "CANDOR_ANONYMOUS_DAILY_LIMIT": "-1",
    "CANDOR_REVEAL_QUORUM": "1",
    "CANDOR_ALERT_STALE_MINUTES": "0",
    "CANDOR_SMTP_URL": "ftp://user:canary-pw-77@mail.example",
    "CANDOR_ALERT_EMAIL": "the chair",
    "CANDOR_SCRYPT_LOG2_N": "40",
    "SLACK_BOT_TOKEN": "xoxp-user-token-canary-51",
    "SLACK_SIGNING_SECRET": " ",
    "SLACK_APP_TOKEN": "xoxb-not-an-app-token-canary-52",
    "MICROSOFT_APP_ID": "candor-bot",
    "MICROSOFT_APP_PASSWORD": "",
    "MICROSOFT_APP_TENANT_ID": "contoso tenant",
    "CANDOR_TEAMS_LOCAL": "maybe",
}


def _variable(name: str) -> str:
    alias = Settings.model_fields[name].validation_alias
    return str(alias.choices[0] if isinstance(alias, AliasChoices) else alias)


def _secret(variable: str) -> bool:
    fields = {_variable(n): f for n, f in Settings.model_fields.items()}
    return "SecretStr" in str(fields[variable].annotation)


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith(("CANDOR_", "SLACK_", "MICROSOFT_")) or name == "PORT":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env of the developer's


def test_every_setting_has_a_bad_value_in_the_walk():
    assert sorted(_variable(n) for n in Settings.model_fields) == sorted(BAD)


@pytest.mark.parametrize("variable", sorted(BAD))
def test_a_bad_value_stops_candor_in_one_line_naming_the_variable(variable, clean_env, monkeypatch,
                                                                   capsys):
    # Given one variable set to a value it may not take
    monkeypatch.setenv(variable, BAD[variable])
    # When candor reads its settings
    with pytest.raises(typer.Exit) as stopped:
        common.settings()
    # Then it stops with status 2 and one line that names the variable and what is allowed
    assert stopped.value.exit_code == 2
    message = capsys.readouterr().err.strip()
    assert len(message.splitlines()) == 1, message
    assert variable in message and "Traceback" not in message
    assert any(word in message for word in ("must", "empty", "without", "authenticates"))
    if _secret(variable):
        assert BAD[variable].strip() == "" or BAD[variable] not in message
    elif BAD[variable].strip():
        assert repr(BAD[variable]) in message


def test_candor_serve_with_a_bad_value_prints_one_line_and_no_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "SLACK_", "MICROSOFT_"))}
    env.update(CANDOR_ALERT_STALE_MINUTES="0", CANDOR_DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}")
    result = subprocess.run([sys.executable, "-m", "adapters.cli", "serve"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "candor: CANDOR_ALERT_STALE_MINUTES is '0', but it must be a number greater than 0."]


def test_good_values_still_pass(clean_env, monkeypatch):
    for variable, value in (("CANDOR_COMMITTEE_CHANNEL", "G0COMMITTEE"), ("CANDOR_TIMEZONE", "Europe/Paris"),
                            ("CANDOR_TEAMS_CHANNEL", "19:abc@thread.tacv2"), ("CANDOR_LOG_LEVEL", "debug"),
                            ("MICROSOFT_APP_ID", "5a2f1c3e-1111-4a4a-9b9b-0123456789ab"),
                            ("CANDOR_ALERT_EMAIL", "a@example.com, b@example.org"),
                            ("SLACK_BOT_TOKEN", "xoxe.xoxb-1-rotating"), ("SLACK_SIGNING_SECRET", "s")):
        monkeypatch.setenv(variable, value)
    loaded = common.settings()
    assert loaded.log_level == "DEBUG" and loaded.committee_channel == "G0COMMITTEE"


def test_a_password_in_a_refused_url_is_never_echoed(clean_env, monkeypatch, capsys):
    monkeypatch.setenv("CANDOR_DATABASE_URL", "mysql://root:canary-db-pw-19@db.internal/candor")
    with pytest.raises(typer.Exit):
        common.settings()
    message = capsys.readouterr().err
    assert "canary-db-pw-19" not in message and "mysql://root:***@db.internal/candor" in message
