"""The Slack Web API stand-in fails 30% of calls (500) and rate-limits the rest (429 with
Retry-After past five calls a second): every notice still arrives, exactly once, and the server
stays up."""

from __future__ import annotations

import pytest
from sqlmodel import select

from storage.models import OutboxMessage
from storage.vocabulary import OutboxState
from tests.e2e.slack_harness import COMMITTEE, radio, running, text_input
from tests.e2e.slack_harness import option as choose
from tests.support.slack_stand_in import SlackStandIn

CANARY = "CANARY-fau1t"


@pytest.fixture
async def slack(tmp_path, monkeypatch):
    async with SlackStandIn(failure_rate=0.3, rate_per_second=5, seed=11) as api:
        async with running(tmp_path, api, monkeypatch) as harness:
            yield harness


async def test_with_30_percent_failures_nothing_is_lost_or_duplicated(slack):
    # Given ten reports through the modal (the receipt travels in the HTTP answer, not the Web API)
    for n in range(10):
        response = await slack.submit("U0CFO", "intake", {
            "category": choose("fraud"), "what": text_input(f"Report {n}: invoices split to dodge approval {CANARY}"),
            "anonymous": radio("yes" if n % 2 else "no")})
        assert response.status == 200 and "recorded, encrypted" in await response.text()
    reports = slack.reports()
    assert len(reports) == 10
    # When the chair acknowledges each from the channel
    for report in reports:
        assert (await slack.click("U0LEE", f"case:ack:{report.id}")).status == 200

    # Then every outbox notice is delivered, each exactly once among the calls that succeeded
    def drained() -> bool:
        with slack.candor.db.read() as session:
            states = session.exec(select(OutboxMessage.state)).all()
        return bool(states) and all(s is OutboxState.DELIVERED for s in states)

    await slack.until(drained, timeout=120)
    posts = [c for c in slack.api.called("chat.postMessage") if c.args.get("channel") == COMMITTEE]
    for report in reports:
        assert len([p for p in posts if report.code in str(p)]) == 1, report.code
        updates = [u for u in slack.api.called("chat.update") if report.code in str(u)]
        assert len(updates) == 1 and "Lee Park" in str(updates[0])
    named = [r for r in reports if not r.anonymous]
    dms = [c for c in slack.api.called("chat.postMessage") if "There is news on a report you made" in str(c)]
    assert len(dms) == len(named)
    assert slack.api.failed, "the stand-in should have failed some calls"
    assert slack.api.rate_limited, "the stand-in should have rate-limited some calls"
    assert CANARY not in "\n".join(str(c) for c in slack.api.calls if c.args.get("channel") == COMMITTEE)
    # And the server is still up
    health = await slack.http.get(slack.url.replace("/slack/events", "/healthz"))
    assert health.status == 200
