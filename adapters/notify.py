"""The notifier: the only way anything leaves Candor. It relays outbox rows to their platform's
sender, retries with backoff, and records where each notice landed.

Each row is held (its lease renewed, if still this relay's) just before it is sent, so a slow
relay never posts a row another has taken over. When a platform asks to wait (`Retry-After`),
the whole platform waits: the rest of the batch is handed back unsent, attempts untouched, and
nothing more is claimed for it until the time has passed. A refusal a person must fix (`Blocked`)
keeps the notice and retries it on the backoff; the next post that gets through on that platform
makes the rest due at once. A pass first records the anonymous reports held for their delay that
are due (`bot.pending`), so their alerts go in the same pass; it looks for them once a tick.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from functools import partial

from adapters.metrics import Metrics
from adapters.senders import Blocked, Posted, Ref, RetryLater, Sender, Undeliverable
from bot.delivery.relay import Item, Relay
from bot.messages import CHANNEL
from bot.pending import Recorder
from storage.vocabulary import Platform

log = logging.getLogger("candor.notify")


class Notifier:
    def __init__(self, relay: Relay, senders: Mapping[Platform, Sender], *,
                 idle_seconds: float = 1.0, metrics: Metrics | None = None,
                 recorder: Recorder | None = None) -> None:
        self._relay = relay
        self._recorder = recorder
        self._metrics = metrics
        self._senders = dict(senders)
        self._idle = idle_seconds
        self._wake = asyncio.Event()
        self._paused_until: dict[Platform, datetime] = {}  # on the relay's clock
        self._recorded_at: float | None = None  # the recorder's last turn (time.monotonic)
        # platforms a channel notice of this pass got through on (Relay.delivered's `recovered`)
        self._recovered: set[Platform] = set()

    def wake(self) -> None:
        """Deliver now rather than at the next tick (called after the core wrote notices)."""
        self._wake.set()

    async def run_once(self) -> int:
        """Record the anonymous reports whose delay is over (their alerts are due at once), then
        claim and deliver what is due on every platform; returns how many were attempted."""
        if self._recorder is not None and self._recorder_due():
            try:
                await asyncio.to_thread(self._recorder.run)
            # the database may be briefly unreachable; notices still go
            except Exception as exc:  # noqa: BLE001
                log.error("recording pending reports failed: %s", type(exc).__name__)
        attempted = 0
        self._recovered.clear()
        for platform, sender in self._senders.items():
            if self._paused(platform):
                continue
            items = await asyncio.to_thread(self._relay.claim, platform)
            for n, item in enumerate(items):
                if self._paused(platform):
                    await asyncio.to_thread(self._relay.release, items[n:],
                                            until=self._paused_until[platform])
                    break
                held = await asyncio.to_thread(self._relay.hold, item)
                if held is None:  # another relay took it over after this one's lease ran out
                    continue
                await self._deliver(platform, sender, held)
                attempted += 1
        return attempted

    def _recorder_due(self) -> bool:
        """Whether the recorder's turn has come: once a tick (`idle_seconds`) at most. A held
        report is due minutes or hours after it was made, at a random time, so looking for one
        once a second is soon enough, and the passes that an event's notices wake read nothing
        more than those notices."""
        now = time.monotonic()  # not the wall clock, which may step back
        if self._recorded_at is not None and now - self._recorded_at < self._idle:
            return False
        self._recorded_at = now
        return True

    def _paused(self, platform: Platform) -> bool:
        until = self._paused_until.get(platform)
        if until is None:
            return False
        if self._relay.core.now() >= until:
            del self._paused_until[platform]
            return False
        return True

    def _pause(self, platform: Platform, seconds: float) -> None:
        until = self._relay.core.now() + timedelta(seconds=seconds)
        self._paused_until[platform] = max(until, self._paused_until.get(platform, until))
        log.info("%s asked to wait %.1f s; its notices wait too", platform.value, seconds)

    async def _deliver(self, platform: Platform, sender: Sender, item: Item) -> None:
        notice = item.delivery.notice
        if item.addressees is not None:
            await self._deliver_to_each(platform, sender, item)
            return
        if item.edits is not None:
            edits = Posted(*item.edits)

            async def edit() -> Posted:
                await sender.update(edits, notice)
                return edits
            posted = await self._attempt(platform, item, edit)
        elif item.delivery.target == CHANNEL:
            posted = await self._attempt(platform, item,
                                         lambda: sender.post_to_channel(notice, _ref(item)))
        else:
            posted = await self._attempt(platform, item, lambda: sender.post_to_user(
                item.user_id or "", notice, _ref(item)))
        if posted is not None:
            await self._delivered(platform, item, posted)

    async def _deliver_to_each(self, platform: Platform, sender: Sender, item: Item) -> None:
        """A row to several people: each in turn, each recorded as reached before the next, so a
        failure or a crash midway leaves the rest for the next try and resends to no one."""
        notice = item.delivery.notice
        for addressee in item.addressees or ():
            ref = Ref(id=addressee.ref, since=item.created_at, maybe_sent=item.maybe_sent)
            failed: list[str] = []
            post = partial(sender.post_to_user, addressee.user_id, notice, ref)
            posted = await self._attempt(platform, item, post, undeliverable=failed)
            if posted is None and not failed:
                return  # retried later, or blocked: the row says so
            held = await asyncio.to_thread(self._relay.reached, item, addressee,
                                           failed=failed[0] if failed else None)
            if held is None:
                return  # another relay has the row now
            item = held
        await self._delivered(platform, item, Posted("", ""))

    async def _attempt(self, platform: Platform, item: Item,
                       send: Callable[[], Awaitable[Posted]],
                       undeliverable: list[str] | None = None) -> Posted | None:
        """One post or edit; what the platform answered, recorded on the row unless it got
        through (the post) or, when `undeliverable` is given, refused for good (its code is put
        there: one of several people cannot be reached, the row goes on to the others)."""
        try:
            return await send()
        except RetryLater as exc:
            self._count_failure(platform, exc.code)
            if exc.retry_after:
                self._pause(platform, exc.retry_after)
            await asyncio.to_thread(self._relay.retry, item, code=exc.code,
                                    retry_after=exc.retry_after, in_doubt=exc.in_doubt)
        except Blocked as exc:
            self._count_failure(platform, exc.code)
            await asyncio.to_thread(self._relay.blocked, item, code=exc.code)
        except Undeliverable as exc:
            self._count_failure(platform, exc.code)
            if undeliverable is not None:
                undeliverable.append(exc.code)
            else:
                await asyncio.to_thread(self._relay.failed, item, code=exc.code)
        # a sender bug must not stop the relay; the row is retried
        except Exception as exc:  # noqa: BLE001
            log.error("sender raised %s for outbox %s", type(exc).__name__, item.id)
            self._count_failure(platform, type(exc).__name__)
            await asyncio.to_thread(self._relay.retry, item, code=type(exc).__name__,
                                    retry_after=None, in_doubt=True)
        return None

    async def _delivered(self, platform: Platform, item: Item, posted: Posted) -> None:
        # The platform works again: the first channel notice of the pass that gets through says
        # so (what it refused is due now, its outage over); the rest of the pass need not.
        await asyncio.to_thread(self._relay.delivered, item, channel=posted.channel or None,
                                message_id=posted.message_id or None,
                                recovered=platform not in self._recovered)
        if item.delivery.target == CHANNEL:
            self._recovered.add(platform)
        if self._metrics is not None:
            self._metrics.delivered(platform, recovered=item.maybe_sent)

    def _count_failure(self, platform: Platform, code: str) -> None:
        if self._metrics is not None:
            self._metrics.failed(platform, code)

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                busy = await self.run_once()
            except Exception as exc:  # noqa: BLE001  the database may be briefly unreachable
                log.error("relay pass failed: %s", type(exc).__name__)
                busy = 0
            if busy:
                continue
            self._wake.clear()
            waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waiters, timeout=self._idle, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()


def _ref(item: Item) -> Ref:
    return Ref(id=item.ref or item.id, since=item.created_at, maybe_sent=item.maybe_sent)
