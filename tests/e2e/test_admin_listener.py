"""`candor serve`'s two listeners: the public port, which Slack and Teams (and so anyone on the
internet) reach, answers `/healthz` with 200 or 503 and nothing more, and has no `/metrics`; the
admin listener (CANDOR_ADMIN_HOST:CANDOR_ADMIN_PORT, loopback by default) serves `/metrics` and the
detailed `/healthz` to the operators. A delivery counter that moves within a second of a named
report, or a blocked channel's error, is nothing for a stranger to read."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapters.settings import Settings, SettingsError
from tests.e2e.serve_harness import COMMITTEE, Served, serve
from tests.e2e.slack_harness import option as choose
from tests.e2e.slack_harness import radio, text_input

ROSTER = """\
officers:
  - {name: Dana Reyes, email: dana@example.com, role: CFO, attestation_due: 2027-03-31}
committee:
  - {name: Lee Park, email: lee@example.com, chair: true, slack_id: U0LEE, teams_id: aad-lee}
"""


async def get(day: Served, url: str) -> tuple[int, str]:
    async with day.slack.http.get(url) as response:
        return response.status, await response.text()


def public(day: Served, path: str) -> str:
    return day.slack.url.removesuffix("/slack/events") + path


async def named_report(day: Served) -> None:
    form = await day.slash("Dana Reyes", "/ethics", "report")
    receipt = await day.slack_submit("Dana Reyes", form, {
        "category": choose("fraud"), "what": text_input("Revenue is booked early"), "anonymous": radio("no")})
    assert "as case" in receipt


async def test_the_public_port_says_up_or_down_and_only_the_admin_listener_says_why(tmp_path, database_url):
    day = await serve(tmp_path, database_url, roster=ROSTER, emails={"Dana Reyes": "dana@example.com"},
                      slack_ids={"Dana Reyes": "U0DANA"}, teams_ids={"Dana Reyes": "aad-dana"},
                      env={"CANDOR_ANONYMOUS_DELAY_MINUTES": "0"})
    try:
        await day.add_to_team()
        # Given a running server: both listeners answer, and only the admin one has /metrics
        assert (await get(day, public(day, "/metrics")))[0] == 404
        status, exposition = await get(day, day.admin + "/metrics")
        assert status == 200 and "candor_deliveries_total" in exposition
        assert "admin listener (/metrics, detailed /healthz) on 127.0.0.1:" in day.log.read_text()

        # When the bot is out of the committee's Slack channel and a named report is filed
        day.api.refuse[COMMITTEE] = "not_in_channel"
        await named_report(day)

        async def blocked() -> Any:
            status, body = await get(day, day.admin + "/healthz")
            return (status, json.loads(body)) if "committee_channel_blocked" in body else None

        # Then the operators' listener names the cause, and counts it
        status, detail = await day.until(blocked)
        assert status == 503 and detail["committee_channel_blocked"] == "not_in_channel"
        exposition = (await get(day, day.admin + "/metrics"))[1]
        assert 'candor_notices_blocked{code="not_in_channel",platform="slack"} 1.0' in exposition
        # and the public port says only that something is wrong
        assert await get(day, public(day, "/healthz")) == (503, '{"ok": false}')
        assert (await get(day, public(day, "/metrics")))[0] == 404

        # When the channel takes posts again, both say so
        day.api.refuse.clear()
        await day.slack.event({"type": "member_joined_channel", "user": "U0BOT", "channel": COMMITTEE,
                               "channel_type": "G", "team": "T0TEST", "inviter": "U0LEE"})

        async def healthy() -> bool:
            return (await get(day, day.admin + "/healthz")) == (200, '{"ok": true}')

        await day.until(healthy)
        assert await get(day, public(day, "/healthz")) == (200, '{"ok": true}')
    finally:
        await day.close()


def test_the_admin_listener_is_on_loopback_unless_told_otherwise(monkeypatch):
    for name in ("CANDOR_ADMIN_HOST", "CANDOR_ADMIN_PORT", "CANDOR_HOST", "CANDOR_PORT", "PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.admin_host, settings.admin_port) == ("127.0.0.1", 9300)
    assert settings.host == "0.0.0.0"  # the public port is the one meant for the internet


def test_the_admin_port_cannot_be_the_public_port(monkeypatch):
    monkeypatch.setenv("CANDOR_PORT", "8080")
    monkeypatch.setenv("CANDOR_ADMIN_PORT", "8080")
    with pytest.raises(SettingsError, match="CANDOR_ADMIN_PORT is 8080, the same as CANDOR_PORT"):
        Settings(_env_file=None)  # type: ignore[call-arg]
