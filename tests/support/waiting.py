"""Waiting for work the server does after it has answered (the notifier, listeners' follow-ups)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any


async def eventually(check: Callable[[], Any], *, timeout: float, explain: Callable[[], str],
                     every: float = 0.05) -> Any:
    """`check()`'s first truthy value (awaited when it is a coroutine); after `timeout` seconds, an AssertionError with `explain()`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        await asyncio.sleep(every)
    raise AssertionError(f"timed out after {timeout}s; {explain()}")
