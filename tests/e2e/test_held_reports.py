"""An anonymous report through the real `candor serve` (Bolt over signed HTTP, the Slack stand-in)
with `CANDOR_ANONYMOUS_DELAY_MINUTES=1`: the reporter has the receipt at once, the case is held
sealed (no report, no alert) and its status shows it received; the server's own notifier loop
records it once the delay is over, and the committee's alert follows. When nothing records it,
/healthz, /metrics and `candor status` count it.

The server's clock (the core's `now`, which the recorder and the relay read) is moved past the
delay rather than waited for: the delay is a uniform draw of up to a minute, and the test stays
a few seconds long. Everything else is the running server."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import select
from typer.testing import CliRunner

from adapters.cli import app as cli
from bot import pending
from storage.clock import utcnow
from storage.models import PendingReport
from tests.e2e.slack_harness import COMMITTEE, running
from tests.e2e.test_no_trace import CANARY, anonymous_report_by_the_form
from tests.support.slack_stand_in import SlackStandIn

HELD = {"CANDOR_ANONYMOUS_DELAY_MINUTES": "1"}


def to_committee(slack) -> list[str]:
    return [json.dumps(c.args) for c in slack.api.called("chat.postMessage") if c.args.get("channel") == COMMITTEE]


def held(slack) -> list[PendingReport]:
    with slack.candor.db.read() as session:
        return list(session.exec(select(PendingReport)).all())


async def get(slack, path: str) -> tuple[int, str]:
    """`path` on the operators' listener (/metrics, the detailed /healthz)."""
    async with slack.http.get(slack.admin + path) as response:
        return response.status, await response.text()


async def test_an_anonymous_report_is_held_then_recorded_and_alerted_by_the_server(tmp_path, monkeypatch,
                                                                                 database_url):
    async with SlackStandIn() as api, running(tmp_path, api, monkeypatch, database_url=database_url,
                                               env=HELD) as slack:
        # Given an anonymous report made the recommended way: the receipt comes at once
        code, secret = await anonymous_report_by_the_form(slack)

        # Then it is held: no report and no alert yet, one sealed pending row
        assert slack.reports() == [] and len(held(slack)) == 1
        assert to_committee(slack) == []
        # and its reporter sees it received, with the day, through /ethics status
        await slack.command("U0CFO", "/ethics", f"status {code} {secret}")
        shown = await slack.until(lambda: [v for v in slack.api.called("views.open") if f"Case {code}" in str(v)])
        assert "has not asked anything yet" in str(shown[0]) and utcnow().strftime("%Y-%m-%d") in str(shown[0])
        assert to_committee(slack) == []

        # When the delay is over, the running server's notifier loop records it and alerts
        slack.candor.core.now = lambda: utcnow() + timedelta(minutes=2)
        alerts = await slack.until(lambda: [m for m in to_committee(slack) if code in m])
        [report] = slack.reports()
        assert report.code == code and report.anonymous and held(slack) == []
        assert "Received" in alerts[0] and all(canary not in alerts[0] for canary in CANARY.values())
        # and the same code and secret now open the recorded case
        await slack.command("U0CFO", "/ethics", f"status {code} {secret}")
        await slack.until(lambda: [v for v in slack.api.called("views.open")
                                   if f"Case {code}" in str(v) and "Answer the committee" in str(v)])


async def test_a_held_report_no_recorder_takes_is_counted_in_health_metrics_and_status(tmp_path, monkeypatch):
    # Given a server whose recorder does not run
    monkeypatch.setattr(pending.Recorder, "run", lambda self, now=None: 0)
    async with SlackStandIn() as api, running(tmp_path, api, monkeypatch, env=HELD) as slack:
        await anonymous_report_by_the_form(slack)
        # Within its delay nothing shows it
        assert await get(slack, "/healthz") == (200, '{"ok": true}')
        assert "candor_anonymous_reports_unrecorded 0.0" in (await get(slack, "/metrics"))[1]

        # Past its delay by more than a few minutes
        later = utcnow() + timedelta(minutes=1) + pending.OVERDUE_AFTER + timedelta(seconds=5)
        slack.candor.core.now = lambda: later
        status, body = await get(slack, "/healthz")
        assert status == 503 and json.loads(body)["anonymous_reports_unrecorded"] == 1
        assert "candor_anonymous_reports_unrecorded 1.0" in (await get(slack, "/metrics"))[1]
        monkeypatch.setattr("adapters.cli.status.utcnow", lambda: later)
        result = CliRunner().invoke(cli, ["status"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "NOT OK" in result.output and "anonymous_reports_unrecorded: 1" in result.output
    assert "1 held past their delay, not recorded" in result.output
    assert slack.reports() == []
