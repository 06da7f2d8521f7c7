"""`candor serve` refuses to start rather than listen unprotected: an empty credential (an empty
Slack signing secret would let anyone sign a request) and Teams' unauthenticated local mode on
anything but this machine."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from adapters.settings import Settings, SettingsError, SmtpUrlError
from tests.support.slack_stand_in import SlackStandIn

PLATFORM_ENV = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "MICROSOFT_APP_ID",
                "MICROSOFT_APP_PASSWORD", "MICROSOFT_APP_TENANT_ID", "CANDOR_TEAMS_LOCAL",
                "CANDOR_TEAMS_CHANNEL", "CANDOR_MASTER_KEY", "CANDOR_HOST", "CANDOR_PORT",
                "CANDOR_ADMIN_PORT")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _env(tmp_path: Path, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PLATFORM_ENV}
    env.update(CANDOR_DATABASE_URL=f"sqlite:///{tmp_path / 'candor.db'}", CANDOR_KEY_FILE=str(tmp_path / "k"),
               CANDOR_SCRYPT_LOG2_N="4", CANDOR_ADMIN_PORT="0", **more)
    return env


def _forged_dm(secret: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"token": "x", "team_id": "T0TEST", "api_app_id": "A0CANDOR", "type": "event_callback",
                       "event_id": "Ev0FORGED", "event_time": int(time.time()),
                       "event": {"type": "message", "channel": "DU0LEE", "user": "U0LEE", "text": "cases",
                                 "ts": "1700000000.000100", "channel_type": "im"}})
    ts = str(int(time.time()))
    # Slack's v0 signature, computed by hand: slack_sdk's own signer refuses an empty key now.
    mac = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return body.encode(), {"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
                           "X-Slack-Signature": f"v0={mac}"}


async def test_an_empty_signing_secret_stops_candor_serve_and_a_dm_signed_with_it_is_never_processed(tmp_path):
    async with SlackStandIn() as api:
        port = _free_port()
        base = _env(tmp_path, CANDOR_SLACK_API_URL=api.base_url, SLACK_BOT_TOKEN="xoxb-test",
                    CANDOR_HOST="127.0.0.1", CANDOR_PORT=str(port))
        init = subprocess.run([sys.executable, "-m", "adapters.cli", "init"], env=base, capture_output=True,
                              text=True, timeout=120, cwd=tmp_path)
        assert init.returncode == 0, init.stderr
        # Given SLACK_SIGNING_SECRET= (set, empty), as a .env line left blank gives it
        serve = subprocess.Popen([sys.executable, "-m", "adapters.cli", "serve"],
                                 env={**base, "SLACK_SIGNING_SECRET": ""}, cwd=tmp_path,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        body, headers = _forged_dm("")
        try:
            async with aiohttp.ClientSession() as http:
                # When a DM signed with the empty key is sent, for as long as the process lives
                deadline = time.monotonic() + 90
                while serve.poll() is None and time.monotonic() < deadline:
                    try:
                        async with http.post(f"http://127.0.0.1:{port}/slack/events", data=body,
                                             headers=headers) as response:
                            assert response.status != 200, "a DM signed with an empty key was accepted"
                    except aiohttp.ClientConnectorError:
                        pass
                    await asyncio.sleep(0.2)
            # Then candor serve stopped at start, saying which variable is empty, with no traceback
            assert serve.poll() is not None, "candor serve kept running with an empty signing secret"
            _out, err = serve.communicate(timeout=10)
        finally:
            if serve.poll() is None:
                serve.kill()
                serve.wait()
        assert serve.returncode != 0
        message = " ".join(err.split())
        assert "SLACK_SIGNING_SECRET" in message and "empty" in message
        assert "Traceback" not in err
        assert api.called("chat.postMessage") == [] and api.called("conversations.open") == []


@pytest.mark.parametrize("name", ["SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN",
                                  "MICROSOFT_APP_PASSWORD", "CANDOR_MASTER_KEY"])
@pytest.mark.parametrize("blank", ["", "   "])
def test_every_empty_secret_is_refused_by_name_and_never_echoed(name, blank):
    with pytest.raises(SettingsError) as refused:
        Settings(_env_file=None, **{name: blank})
    assert name in refused.value.format_message()


def test_teams_local_mode_refuses_a_host_that_is_not_loopback(tmp_path):
    # Given local mode (nothing authenticated) asked to listen on every interface
    port = _free_port()
    env = _env(tmp_path, CANDOR_TEAMS_LOCAL="true", CANDOR_HOST="0.0.0.0", CANDOR_PORT=str(port))
    # When candor serve starts, Then it refuses, naming CANDOR_HOST, before it listens
    result = subprocess.run([sys.executable, "-m", "adapters.cli", "serve"], env=env, capture_output=True,
                            text=True, timeout=120, cwd=tmp_path)
    assert result.returncode != 0
    message = " ".join(result.stderr.split())
    assert "CANDOR_HOST" in message and "CANDOR_TEAMS_LOCAL=true" in message and "Traceback" not in message
    for host in ("0.0.0.0", "192.168.1.10", "::", "candor.example.com"):
        with pytest.raises(SettingsError, match="CANDOR_HOST"):
            Settings(_env_file=None, CANDOR_TEAMS_LOCAL="true", CANDOR_HOST=host)


def test_teams_local_mode_listens_on_loopback_by_default_and_accepts_any_loopback():
    assert Settings(_env_file=None, CANDOR_TEAMS_LOCAL="true").host == "127.0.0.1"
    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        assert Settings(_env_file=None, CANDOR_TEAMS_LOCAL="true", CANDOR_HOST=host).host == host
    # With an app id every activity's token is checked: any host will do, and the default stays.
    assert Settings(_env_file=None, MICROSOFT_APP_ID="00000000-0000-0000-0000-000000000001").host == "0.0.0.0"


def test_smtp_credentials_over_plain_smtp_to_another_machine_stop_candor_serve(tmp_path):
    # Given a password in a plain smtp:// URL to a mail server across the network
    url = "smtp://candor:hunter2-CANARY@mail.example.com:25?from=candor@example.com"
    env = _env(tmp_path, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET="s", CANDOR_SMTP_URL=url,
               CANDOR_HOST="127.0.0.1", CANDOR_PORT=str(_free_port()))
    # When candor serve starts, Then it refuses, naming the variable, and never echoes the password
    result = subprocess.run([sys.executable, "-m", "adapters.cli", "serve"], env=env, capture_output=True,
                            text=True, timeout=120, cwd=tmp_path)
    assert result.returncode != 0
    message = " ".join(result.stderr.split())
    assert "CANDOR_SMTP_URL" in message and "in clear" in message and "Traceback" not in message
    assert "hunter2" not in result.stderr + result.stdout
    assert not (tmp_path / "candor.db").exists()  # refused before anything was opened


def test_smtp_credentials_are_accepted_over_tls_or_to_a_relay_on_this_machine():
    for url in ("smtp+starttls://candor:pw@mail.example.com:587", "smtps://candor:pw@mail.example.com:465",
                "smtp://candor:pw@127.0.0.1:25", "smtp://candor:pw@localhost:2525", "smtp://mail.example.com:25"):
        assert Settings(_env_file=None, CANDOR_SMTP_URL=url).smtp_url is not None
    for url in ("smtp://candor:pw@mail.example.com:25", "smtp://candor@10.0.0.5", "smtp://:pw@mail.example.com"):
        with pytest.raises(SmtpUrlError, match="in clear"):
            Settings(_env_file=None, CANDOR_SMTP_URL=url)
