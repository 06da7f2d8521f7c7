"""Work acknowledged to Slack runs after the answer (`SlackBridge.later`); a stopping server
waits for it, and cancels, saying how many, what outlasts its wait."""

from __future__ import annotations

import asyncio
import logging

from adapters.slack.app import SlackBridge


async def test_work_that_outlasts_the_stopping_servers_wait_is_cancelled_and_counted(caplog):
    slack = SlackBridge(bridge=None, client=None)  # type: ignore[arg-type]  # neither is used
    finished: list[str] = []
    started = asyncio.Event()

    async def quick() -> None:
        finished.append("quick")

    async def stuck() -> None:
        started.set()
        await asyncio.sleep(60)
        finished.append("stuck")

    slack.later(quick(), {})
    slack.later(stuck(), {})
    await started.wait()
    caplog.set_level(logging.WARNING)
    await asyncio.wait_for(slack.settle(timeout=0.2), timeout=5)
    assert finished == ["quick"] and not slack.pending
    assert "1 Slack answers not finished in 0.2 s, cancelled" in caplog.text
