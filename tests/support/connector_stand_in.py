"""A real local HTTP server standing in for the Bot Framework Connector service (the activities'
`serviceUrl`): records what the bot sends, answers as the Connector does, fails on demand."""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Sent:
    method: str
    path: str
    body: dict[str, Any]
    answer_id: str = ""  # the id the Connector gave the activity

    def __str__(self) -> str:
        return f"{self.method} {self.path} {json.dumps(self.body, sort_keys=True)}"


@dataclass
class ConnectorStandIn:
    sent: list[Sent] = field(default_factory=list)
    failed: list[Sent] = field(default_factory=list)  # what was refused, for searches of all that left
    failure_rate: float = 0.0  # a share of calls refused (429 with Retry-After, or 503), seeded
    seed: int = 7
    _fail: list[tuple[int, int | None]] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    service_url: str = ""

    def fail_next(self, status: int = 429, retry_after: int | None = 1, times: int = 1) -> None:
        self._fail += [(status, retry_after)] * times

    def posts(self, conversation: str | None = None) -> list[Sent]:
        return [s for s in self.sent if s.method == "POST" and "/activities" in s.path
                and (conversation is None or f"/conversations/{conversation}/" in s.path)]

    def updates(self) -> list[Sent]:
        return [s for s in self.sent if s.method == "PUT"]

    def created(self) -> list[Sent]:
        return [s for s in self.sent if s.method == "POST" and s.path.rstrip("/").endswith("/v3/conversations")]

    def everything_sent(self) -> str:
        return "\n".join(str(s) for s in self.sent + self.failed)

    async def __aenter__(self) -> ConnectorStandIn:
        self._random = random.Random(self.seed)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._any)
        self._runner = web.AppRunner(app, access_log=None)  # it stands in for the platform: its log is not Candor's
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.service_url = f"http://127.0.0.1:{port}/"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _any(self, request: web.Request) -> web.Response:
        raw = await request.read()
        body = json.loads(raw) if raw else {}
        path = "/" + request.match_info["tail"]
        failure = self._fail.pop(0) if self._fail else None
        if failure is None and self.failure_rate and self._random.random() < self.failure_rate:
            failure = (429, 1) if self._random.random() < 0.5 else (503, None)
        if failure is not None:
            status, retry_after = failure
            self.failed.append(Sent(request.method, path, body))
            headers = {"Retry-After": str(retry_after)} if retry_after else {}
            return web.json_response({"error": {"code": "Throttled", "message": "slow down"}},
                                     status=status, headers=headers)
        sent = Sent(request.method, path, body)
        self.sent.append(sent)
        if request.method == "POST" and path.rstrip("/").endswith("/v3/conversations"):
            return web.json_response({"id": f"a:1on1-{next(self._ids)}", "activityId": f"act-{next(self._ids)}"})
        if "/activities" in path:
            sent.answer_id = body.get("id") if request.method == "PUT" else f"act-{next(self._ids)}"
            return web.json_response({"id": sent.answer_id})
        return web.json_response({})
