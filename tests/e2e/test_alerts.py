"""The committee is always told, end to end: the committee's channel refuses Candor's posts (Slack
answers `not_in_channel`; Teams' Connector answers 403), a report is filed, /healthz turns 503
naming the cause, the operators get one content-free e-mail from a real SMTP server on loopback,
the channel comes back, and the alert is delivered exactly once: when Slack says the bot joined
the channel again, when Teams says the bot was added to the team again, or after an operator's
`candor notify retry`. An anonymous report's delayed alert changes neither /metrics nor /healthz
before its time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select
from typer.testing import CliRunner

from adapters.cli import app as cli
from bot import sanitize
from bot.delivery.outbox import FAILURE_PREFIX, db_enqueue
from bot.delivery.relay import RetryPolicy
from bot.messages import CHANNEL as TO_CHANNEL
from storage import migrate
from storage.models import OutboxMessage
from storage.vocabulary import OutboxState, Platform
from tests.e2e.slack_harness import COMMITTEE, SlackHarness, radio, running, text_input
from tests.e2e.slack_harness import option as choose
from tests.e2e.teams_harness import CHANNEL, Teams, start, stop
from tests.support.slack_stand_in import SlackStandIn
from tests.support.smtp_server import Mailbox, smtp_server

# No retry on the backoff within a test: only the platform's "the bot is back", or the operator,
# can make the alert go.
PATIENT = RetryPolicy(base_seconds=600, max_seconds=600)
ALERTING = {"CANDOR_ALERT_STALE_MINUTES": "0.02", "CANDOR_ALERT_EMAIL": "ops@example.com"}


async def get(http: Any, url: str) -> tuple[int, str]:
    async with http.get(url) as response:
        return response.status, await response.text()


def alerts(rows: list[OutboxMessage]) -> list[OutboxMessage]:
    return [r for r in rows if r.key.startswith("alert:")]


def outbox(candor: Any) -> list[OutboxMessage]:
    with candor.db.read() as session:
        return list(session.exec(select(OutboxMessage)).all())


def assert_content_free(mailbox: Mailbox, code: str, *, cause: str) -> None:
    ((to, message),) = mailbox.messages
    assert sorted(to) == ["lee@example.com", "ops@example.com"]
    body = message.get_payload()
    assert "1 notice for the Audit Committee" in body and f"The cause: {cause}" in body
    for secret in (code, "fraud", "Fraud", "CANARY", "Dana", "Revenue"):
        assert secret not in body and secret not in str(message["Subject"])


def nothing_failed(candor: Any) -> None:
    rows = outbox(candor)
    assert not [r for r in rows if r.key.startswith(FAILURE_PREFIX)]
    assert all(r.state is OutboxState.DELIVERED for r in alerts(rows))


# --- Slack ------------------------------------------------------------------------------------


def health_url(slack: SlackHarness) -> str:
    """The detailed /healthz, on the operators' listener."""
    return slack.admin + "/healthz"


async def slack_outage(slack: SlackHarness, mailbox: Mailbox) -> str:
    """The bot is out of the committee channel and a report is filed: until the operators have
    been told, then the report's code."""
    slack.candor.relay.policy = PATIENT
    slack.api.refuse[COMMITTEE] = "not_in_channel"
    await modal_report(slack)
    (report,) = await slack.until(slack.reports)
    assert not report.anonymous  # named: its alert is due at once (an anonymous one waits out a delay)
    status, body = await slack.until(lambda: _blocked(slack))
    assert status == 503 and '"committee_channel_blocked": "not_in_channel"' in body
    # the port Slack reaches (and anyone on the internet) says only that something is wrong
    assert await get(slack.http, slack.url.replace("/slack/events", "/healthz")) == (503, '{"ok": false}')
    status, metrics = await get(slack.http, slack.admin + "/metrics")
    assert 'candor_notices_blocked{code="not_in_channel",platform="slack"} 1.0' in metrics
    assert 'candor_delivery_failures_total{code="not_in_channel",platform="slack"}' in metrics
    await slack.until(lambda: mailbox.messages)
    assert_content_free(mailbox, report.code, cause="not_in_channel")
    assert not [c for c in slack.api.called("chat.postMessage") if c.args.get("channel") == COMMITTEE]
    return report.code


async def modal_report(slack: SlackHarness) -> None:
    """A named report through the /ethics report form: one submission, as an officer files it."""
    assert (await slack.command("U0CFO", "/ethics", "report")).status == 200
    (opened,) = await slack.until(lambda: slack.api.called("views.open"))
    response = await slack.submit("U0CFO", opened.args["view"]["callback_id"], {
        "category": choose("fraud"), "what": text_input("Revenue is booked before delivery CANARY-what"),
        "anonymous": radio("no")})
    assert response.status == 200


async def _blocked(slack: SlackHarness) -> tuple[int, str] | None:
    status, body = await get(slack.http, health_url(slack))
    return (status, body) if "committee_channel_blocked" in body else None


async def slack_delivered_once(slack: SlackHarness, mailbox: Mailbox, code: str) -> None:
    await slack.until(lambda: [c for c in slack.api.called("chat.postMessage")
                               if c.args.get("channel") == COMMITTEE and code in str(c)])
    await slack.until(lambda: all(r.state is OutboxState.DELIVERED for r in alerts(outbox(slack.candor))))
    assert (await get(slack.http, health_url(slack)))[0] == 200
    posts = [c for c in slack.api.called("chat.postMessage") if c.args.get("channel") == COMMITTEE]
    assert len([p for p in posts if code in str(p)]) == 1
    nothing_failed(slack.candor)
    assert len(mailbox.messages) == 1


@pytest.fixture
async def slack_out(tmp_path, monkeypatch) -> AsyncIterator[tuple[SlackHarness, Mailbox, str]]:
    """Candor on Slack, the bot out of the committee channel, a named report filed and the
    operators told by e-mail (`slack_outage`): the harness, the mailbox and the report's code."""
    with smtp_server() as (smtp_url, mailbox):
        async with SlackStandIn() as api, running(tmp_path, api, monkeypatch,
                                                  env={"CANDOR_SMTP_URL": smtp_url, **ALERTING}) as slack:
            yield slack, mailbox, await slack_outage(slack, mailbox)


async def test_slack_alert_waits_out_a_removed_bot_and_goes_when_it_is_invited_back(slack_out):
    slack, mailbox, code = slack_out
    # The bot is invited back: Slack tells it with member_joined_channel, about itself
    slack.api.refuse.clear()
    response = await slack.event({"type": "member_joined_channel", "user": "U0BOT", "channel": COMMITTEE,
                                  "channel_type": "G", "team": "T0TEST", "inviter": "U0LEE"})
    assert response.status == 200
    await slack_delivered_once(slack, mailbox, code)


async def test_someone_else_joining_the_channel_sends_nothing_early(slack_out):
    slack, _mailbox, _code = slack_out
    slack.api.refuse.clear()
    await slack.event({"type": "member_joined_channel", "user": "U0ALEX", "channel": COMMITTEE,
                       "channel_type": "G", "team": "T0TEST"})
    (alert,) = alerts(outbox(slack.candor))
    assert alert.state is OutboxState.PENDING and alert.next_attempt_at > alert.due_at + timedelta(seconds=60)


async def test_slack_alert_goes_after_candor_notify_retry(slack_out):
    slack, mailbox, code = slack_out
    slack.api.refuse.clear()  # the token replaced, the bot invited back by someone Slack did not tell us about
    result = CliRunner().invoke(cli, ["notify", "retry"])
    assert result.exit_code == 0, result.output
    assert "1 blocked notice is due now" in result.output
    await slack_delivered_once(slack, mailbox, code)


async def test_candor_status_says_what_waits_and_what_to_do(slack_out):
    result = CliRunner().invoke(cli, ["status"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    text = result.output
    assert "NOT OK" in text and "committee_channel_blocked: not_in_channel" in text
    assert "Slack channel blocked since" in text and "operators e-mailed" in text
    assert "Slack, channel: 1, for 0 min; not_in_channel (blocked)" in text
    assert "fix: Invite the bot back" in text
    assert f"{migrate.head_revision()} (up to date)" in text and "mode 0600" in text
    assert len(text.splitlines()) < 25  # one screen


async def test_a_delayed_anonymous_alert_changes_neither_metrics_nor_health_before_its_time(tmp_path, monkeypatch):
    async with SlackStandIn() as api, running(tmp_path, api, monkeypatch, env=ALERTING) as slack:
        metrics_url = slack.admin + "/metrics"
        before = await get(slack.http, metrics_url)
        assert before[0] == 200 and 'candor_notices_waiting{kind="channel",platform="slack"} 0.0' in before[1]
        # An anonymous report's alert, due (by its random delay) an hour from now
        candor = slack.candor
        with candor.db.write() as session:
            db_enqueue(session, candor.core.vault, now=candor.core.now(), key="alert:anonymous-delayed",
                       target=TO_CHANNEL, notice=sanitize.reminder("A report", ()), platforms={Platform.SLACK})
            row = session.exec(select(OutboxMessage).where(col(OutboxMessage.key).startswith("alert:"))).one()
            row.next_attempt_at = row.due_at = candor.core.now() + timedelta(hours=1)
            session.add(row)
        slack.candor.relay.policy = PATIENT
        assert await get(slack.http, metrics_url) == before
        assert await get(slack.http, health_url(slack)) == (200, '{"ok": true}')


# --- Teams ------------------------------------------------------------------------------------


@asynccontextmanager
async def teams_refusing_the_channel(tmp_path, monkeypatch) -> AsyncIterator[tuple[Teams, Mailbox]]:
    """Candor on Teams, in the committee's team, whose channel the Connector then refuses with
    403 (the app removed from the team); operators reachable by e-mail."""
    with smtp_server() as (smtp_url, mailbox):
        teams, runner = await start(tmp_path, monkeypatch, CANDOR_SMTP_URL=smtp_url, **ALERTING)
        try:
            teams.candor.relay.policy = PATIENT
            await teams.add_to_team()
            teams.connector.refuse[CHANNEL] = 403
            yield teams, mailbox
        finally:
            await stop(teams, runner)


async def test_teams_alert_waits_out_a_403_and_goes_when_the_bot_is_added_back(tmp_path, monkeypatch):
    async with teams_refusing_the_channel(tmp_path, monkeypatch) as (teams, mailbox):
        report = await card_report(teams)
        status, body = await teams.until(lambda: _teams_blocked(teams))
        assert status == 503 and '"committee_channel_blocked": "http_403"' in body
        await teams.until(lambda: mailbox.messages)
        assert_content_free(mailbox, report.code, cause="http_403")
        assert not teams.connector.posts(CHANNEL)

        # The app is added back: Teams sends conversationUpdate with the bot in membersAdded
        teams.connector.refuse.clear()
        await teams.add_to_team()
        cards = await teams.until(lambda: [c for c in teams.connector.posts(CHANNEL) if report.code in str(c)])
        await teams.until(lambda: all(r.state is OutboxState.DELIVERED for r in alerts(outbox(teams.candor))))
        assert len(cards) == 1 and len([c for c in teams.connector.posts(CHANNEL) if report.code in str(c)]) == 1
        assert (await get(teams.http, teams.admin + "/healthz"))[0] == 200
        nothing_failed(teams.candor)
        assert len(mailbox.messages) == 1


async def card_report(teams: Teams) -> Any:
    """A named report through the report card: one submission, as an officer files it."""
    response = await teams.post(teams.personal("aad-dana", value={
        "candor_form": "intake", "category": "fraud", "what": "Revenue is booked before delivery CANARY-what",
        "anonymous": "no"}))
    assert response.status in (200, 201, 202)
    (report,) = await teams.until(teams.reports)
    assert not report.anonymous  # named: its alert is due at once (an anonymous one waits out a delay)
    return report


async def _teams_blocked(teams: Teams) -> tuple[int, str] | None:
    status, body = await get(teams.http, teams.admin + "/healthz")
    return (status, body) if "committee_channel_blocked" in body else None


async def test_teams_alert_goes_after_candor_notify_retry(tmp_path, monkeypatch):
    async with teams_refusing_the_channel(tmp_path, monkeypatch) as (teams, mailbox):
        report = await card_report(teams)
        await teams.until(lambda: _teams_blocked(teams))
        await teams.until(lambda: mailbox.messages)
        teams.connector.refuse.clear()
        result = CliRunner().invoke(cli, ["notify", "retry"])
        assert result.exit_code == 0, result.output
        await teams.until(lambda: [c for c in teams.connector.posts(CHANNEL) if report.code in str(c)])
        await teams.until(lambda: all(r.state is OutboxState.DELIVERED for r in alerts(outbox(teams.candor))))
        assert len([c for c in teams.connector.posts(CHANNEL) if report.code in str(c)]) == 1
        nothing_failed(teams.candor)
        assert len(mailbox.messages) == 1


def test_status_and_retry_on_a_database_not_yet_upgraded(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = {"CANDOR_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}", "CANDOR_KEY_FILE": str(tmp_path / "none.key"),
           "COLUMNS": "200"}
    status = CliRunner().invoke(cli, ["status"], env=env)
    assert status.exit_code == 0, status.output
    assert "NOT OK" in status.output and "run `candor db upgrade`" in status.output
    assert "none.key: missing" in status.output
    retry = CliRunner().invoke(cli, ["notify", "retry"], env=env)
    assert retry.exit_code == 1 and "run `candor db upgrade`" in retry.output
