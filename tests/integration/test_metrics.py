"""What `GET /metrics` is made of: the outbox's due notices read at scrape time, and this process's
deliveries, failures by error code, in-doubt recoveries and sweeps; filing a report moves none of
them until its alert is delivered."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapters.metrics import Metrics
from adapters.notify import Notifier
from adapters.senders import Posted, Ref, RetryLater
from adapters.sweep_timer import Leadership, start_sweep_timer
from bot.messages import Notice
from bot.sweep import Sweeper
from storage.vocabulary import Platform
from tests.integration.test_relay import channel_notices
from tests.integration.test_service import dm_report
from tests.support.waiting import eventually
from tests.support.world import World, build_world

SLACK = frozenset({Platform.SLACK})


class Flaky:
    """Answers 503 to the first `fail` posts, then takes them."""

    def __init__(self, fail: int) -> None:
        self.fail = fail

    async def post_to_channel(self, notice: Notice, ref: Ref) -> Posted:
        if self.fail:
            self.fail -= 1
            raise RetryLater("service_unavailable", in_doubt=True)
        return Posted("C0COMMITTEE", "ts")

    async def post_to_user(self, user_id: str, notice: Notice, ref: Ref) -> Posted:
        return await self.post_to_channel(notice, ref)

    async def update(self, posted: Posted, notice: Notice) -> None:
        return None


@pytest.fixture
def world(database, vault) -> World:
    return build_world(database, vault, platforms=SLACK)


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_deliveries_failures_and_in_doubt_recoveries_are_counted(world):
    metrics = Metrics(world.db, now=world.core.now, platforms=SLACK)
    channel_notices(world, 2)
    notifier = Notifier(world.relay, {Platform.SLACK: Flaky(fail=1)}, metrics=metrics)
    await notifier.run_once()
    seen = samples(metrics)
    assert seen[("candor_delivery_failures_total", (("code", "service_unavailable"), ("platform", "slack")))] == 1
    assert seen[("candor_deliveries_total", (("platform", "slack"),))] == 1
    assert seen[("candor_notices_waiting", (("kind", "channel"), ("platform", "slack")))] == 1
    world.clock.advance(seconds=10)
    await notifier.run_once()
    seen = samples(metrics)
    assert seen[("candor_deliveries_total", (("platform", "slack"),))] == 2
    assert seen[("candor_in_doubt_recoveries_total", (("platform", "slack"),))] == 1  # the 503'd one
    assert seen[("candor_notices_waiting", (("kind", "channel"), ("platform", "slack")))] == 0
    assert seen[("candor_oldest_notice_age_seconds", (("platform", "slack"),))] == 0


def test_filing_a_report_moves_nothing_but_its_due_alert(world):
    metrics = Metrics(world.db, now=world.core.now, platforms=SLACK)
    before = samples(metrics)
    dm_report(world, "cfo", anonymous=False)
    after = samples(metrics)
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    # No report counter, nothing new: at most the named report's alert, due at once, waits
    # (an anonymous report's alert is not even that until its delay is over: tests/e2e/test_alerts.py)
    assert changed <= {("candor_notices_waiting", (("kind", "channel"), ("platform", "slack")))}
    assert before.keys() == after.keys()


async def test_sweeps_are_counted_and_timed(world):
    metrics = Metrics(world.db, now=world.core.now, platforms=SLACK)
    sweeper = Sweeper(world.db, world.core, world.core.schedule)
    scheduler = start_sweep_timer(sweeper, Leadership(world.db), sweep_seconds=3600, on_swept=metrics.swept)
    try:
        await eventually(lambda: samples(metrics).get(("candor_sweep_runs_total", ())), timeout=30,
                         explain=lambda: "no sweep ran")
    finally:
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)
    seen = samples(metrics)
    assert seen[("candor_sweep_runs_total", ())] == 1
    assert seen[("candor_sweep_duration_seconds_count", ())] == 1
