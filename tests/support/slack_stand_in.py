"""A real local HTTP server standing in for the Slack Web API (and slash commands'
response_url): it records each call and answers as Slack does, and fails on demand."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float = field(default_factory=time.time)  # when Slack received it (a message's time in history)

    def __str__(self) -> str:
        return f"{self.method} {json.dumps(self.args, sort_keys=True)}"


@dataclass
class Failure:
    status: int
    error: str
    retry_after: int | None
    times: int


@dataclass
class SlackStandIn:
    emails: dict[str, str] = field(default_factory=dict)  # user id -> e-mail for users.info
    failure_rate: float = 0.0  # a share of calls that fail with a 500, seeded
    rate_per_second: float = 0.0  # calls of a method allowed per second before a 429 (0: no limit)
    rate_limited: int = 0  # how many calls were answered 429 for going over the rate
    _recent: dict[str, list[float]] = field(default_factory=dict)
    latency: float = 0.0  # seconds between accepting a post and answering (a window to die in)
    seed: int = 7
    calls: list[Call] = field(default_factory=list)
    failed: list[Call] = field(default_factory=list)
    _failures: dict[str, list[Failure]] = field(default_factory=dict)
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))
    # What each conversation holds, as conversations.history returns it (oldest first here).
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    base_url: str = ""
    # Calls Slack would refuse (a Block Kit limit broken, a push outside a modal), with why.
    invalid: list[tuple[Call, str]] = field(default_factory=list)
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    app_token: str = "xapp-test-token"  # apps.connections.open answers invalid_auth for any other
    # Where each trigger_id came from ("modal", "home", "message"): Slack lets `views.push`
    # stack a view only from an interaction inside an open modal.
    trigger_contexts: dict[str, str] = field(default_factory=dict)
    # Channels that refuse posts and edits, with Slack's error (the bot removed: not_in_channel).
    refuse: dict[str, str] = field(default_factory=dict)
    # The client ends (address, port) the Web API calls came from: one per TCP connection.
    connections: set[tuple[str, int]] = field(default_factory=set)

    def fail_next(self, method: str, *, status: int = 429, error: str = "ratelimited",
                  retry_after: int | None = 1, times: int = 1) -> None:
        self._failures.setdefault(method, []).append(Failure(status, error, retry_after, times))

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def everything_sent(self) -> str:
        return "\n".join(str(c) for c in self.calls + self.failed)

    async def __aenter__(self) -> SlackStandIn:
        self._random = random.Random(self.seed)
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/respond/{token}", self._respond)
        app.router.add_get("/link", self._socket)
        self._runner = web.AppRunner(app, access_log=None)  # it stands in for the platform: its log is not Candor's
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/api/"
        self.response_url = f"http://127.0.0.1:{port}/respond/"
        self.socket_url = f"ws://127.0.0.1:{port}/link"
        return self

    # --- Socket Mode: apps.connections.open hands out this WebSocket ---------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self.sockets.append(socket)
        await socket.send_json({"type": "hello", "num_connections": 1,
                                "debug_info": {"host": "stand-in"}, "connection_info": {"app_id": "A0CANDOR"}})
        async for message in socket:
            if message.type == web.WSMsgType.TEXT:
                self.socket_acks.append(json.loads(message.data))
        return socket

    async def envelope(self, kind: str, payload: dict[str, Any]) -> str:
        """Send an event to the connected app as Slack does over Socket Mode; its envelope id."""
        envelope_id = f"env-{next(self._ts)}"
        await self.sockets[-1].send_json({"envelope_id": envelope_id, "type": kind, "payload": payload,
                                          "accepts_response_payload": kind != "events_api",
                                          "retry_attempt": 0, "retry_reason": ""})
        return envelope_id

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _args(self, request: web.Request) -> dict[str, Any]:
        if request.method == "GET":
            return dict(request.query)
        raw = await request.read()
        if request.content_type == "application/json":
            return {**dict(request.query), **json.loads(raw or b"{}")}
        parsed = {**dict(request.query), **{k: v[0] for k, v in parse_qs(raw.decode()).items()}}
        for key in ("blocks", "view", "metadata"):
            if isinstance(parsed.get(key), str):
                parsed[key] = json.loads(parsed[key])
        return parsed

    async def _respond(self, request: web.Request) -> web.Response:
        call = Call("response_url", await self._args(request))
        self.calls.append(call)
        problem = block_kit_problem(call.method, call.args, self.trigger_contexts)
        if problem:
            self.invalid.append((call, problem))
            return web.Response(status=400, text="invalid_blocks")
        return web.Response(text="ok")

    def _failure(self, method: str) -> Failure | None:
        queue = self._failures.get(method) or []
        if queue:
            failure = queue[0]
            failure.times -= 1
            if failure.times <= 0:
                queue.pop(0)
            return failure
        if method == "auth.test":
            return None
        if self.rate_per_second and self._over_rate(method):
            self.rate_limited += 1
            return Failure(429, "ratelimited", 1, 1)
        if self.failure_rate and self._random.random() < self.failure_rate:
            return Failure(500, "internal_error", None, 1)
        return None

    def _over_rate(self, method: str) -> bool:
        """Slack's rate limits: a method called more than `rate_per_second` times in the last
        second is answered 429 with Retry-After (and a refused call does not count)."""
        now = time.monotonic()
        recent = [t for t in self._recent.get(method, []) if now - t < 1.0]
        self._recent[method] = recent
        if len(recent) >= self.rate_per_second:
            return True
        recent.append(now)
        return False

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        peer = request.transport.get_extra_info("peername") if request.transport else None
        if peer:
            self.connections.add((str(peer[0]), int(peer[1])))
        args = await self._args(request)
        refused = self.refuse.get(str(args.get("channel"))) if method in {"chat.postMessage", "chat.update"} else None
        if refused:
            self.failed.append(Call(method, args))
            return web.json_response({"ok": False, "error": refused})
        failure = self._failure(method)
        if failure is not None:
            self.failed.append(Call(method, args))
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            if failure.status == 200:
                return web.json_response({"ok": False, "error": failure.error})
            return web.json_response({"ok": False, "error": failure.error}, status=failure.status,
                                     headers=headers)
        problem = block_kit_problem(method, args, self.trigger_contexts)
        if problem:
            self.invalid.append((Call(method, args), problem))
            return web.json_response({"ok": False, "error": "invalid_blocks" if "block" in problem
                                      else "invalid_arguments", "response_metadata": {"messages": [problem]}})
        self.calls.append(Call(method, args))
        if method == "apps.connections.open":  # called with the app-level token, not the bot's
            good = request.headers.get("Authorization") == f"Bearer {self.app_token}"
            return web.json_response({"ok": True, "url": self.socket_url} if good
                                     else {"ok": False, "error": "invalid_auth"})
        answer = self._answer(method, args)
        await asyncio.sleep(self.latency if method == "chat.postMessage" else 0)
        return web.json_response(answer)

    def _history(self, args: dict[str, Any]) -> dict[str, Any]:
        oldest = float(args.get("oldest") or 0)
        with_metadata = str(args.get("include_all_metadata", "")).lower() in {"1", "true"}
        messages = [m for m in reversed(self.history.get(str(args.get("channel")), []))
                    if float(m["ts"]) > oldest]
        start, limit = int(args.get("cursor") or 0), int(args.get("limit") or 100)
        page = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"}
                for m in messages[start:start + limit]]
        more = start + limit < len(messages)
        return {"ok": True, "messages": page, "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "url": "https://candor-test.slack.com/", "team": "Test", "user": "candor",
                    "team_id": "T0TEST", "user_id": "U0BOT", "bot_id": "B0BOT"}
        if method in {"chat.postMessage", "chat.update", "chat.postEphemeral"}:
            ts = f"{time.time():.0f}.{next(self._ts):06d}" if method != "chat.update" else args.get("ts")
            if method == "chat.postMessage":
                message = {"type": "message", "ts": ts, "text": args.get("text", "")}
                if args.get("metadata"):
                    message["metadata"] = args["metadata"]
                self.history.setdefault(str(args.get("channel")), []).append(message)
            return {"ok": True, "channel": args.get("channel"), "ts": ts, "message_ts": ts}
        if method == "conversations.history":
            return self._history(args)
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(args.get("users", "X"))[:10]}}
        if method == "users.info":
            user = args.get("user", "")
            email = self.emails.get(user)
            if email is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": user, "profile": {"email": email}}}
        if method in {"views.open", "views.update", "views.push", "views.publish"}:
            return {"ok": True, "view": {"id": f"V{next(self._ts)}", **(args.get("view") or {})}}
        return {"ok": True}


# --- what Slack refuses ------------------------------------------------------------------------
# Block Kit's documented limits (https://api.slack.com/reference/block-kit): Slack answers
# `invalid_blocks` for a message or view that breaks one, and nothing is shown.

_MESSAGE_METHODS = {"chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"}
_VIEW_METHODS = {"views.open", "views.update", "views.push", "views.publish"}


def block_kit_problem(method: str, args: dict[str, Any], triggers: dict[str, str]) -> str | None:
    """Why Slack would refuse this call, or None."""
    if method == "views.push" and triggers.get(str(args.get("trigger_id"))) not in {None, "modal"}:
        return "views.push outside a modal"
    if method in _MESSAGE_METHODS:
        blocks = args.get("blocks") or []
        if len(blocks) > 50:
            return f"{len(blocks)} blocks in a message (limit 50)"
        return _blocks_problem(blocks)
    if method in _VIEW_METHODS:
        view = args.get("view") or {}
        blocks = view.get("blocks") or []
        if len(blocks) > 100:
            return f"{len(blocks)} blocks in a view (limit 100)"
        if view.get("type") == "modal":
            for key in ("title", "submit", "close"):
                if key in view and not 0 < len(view[key].get("text", "")) <= 24:
                    return f"modal {key} of {len(view[key].get('text', ''))} characters (limit 24)"
        if len(view.get("private_metadata") or "") > 3000 or len(view.get("callback_id") or "") > 255:
            return "private_metadata or callback_id too long"
        return _blocks_problem(blocks)
    return None


def _text_problem(obj: Any, limit: int, where: str) -> str | None:
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str) or not obj["text"]:
        return f"{where}: a text object must have text"
    if len(obj["text"]) > limit:
        return f"{where}: {len(obj['text'])} characters in a text (limit {limit})"
    return None


def _element_problem(element: dict[str, Any], where: str) -> str | None:
    kind = element.get("type")
    if kind == "button":
        if len(str(element.get("value", ""))) > 2000:
            return f"{where}: button value over 2000 characters"
        return _text_problem(element.get("text"), 75, f"{where} button")
    if kind in {"static_select", "multi_static_select", "radio_buttons"}:
        options = element.get("options") or []
        if not 0 < len(options) <= 100:
            return f"{where}: {len(options)} options (1 to 100)"
        for option in options:
            if len(str(option.get("value", ""))) > 150:
                return f"{where}: option value over 150 characters"
            problem = _text_problem(option.get("text"), 75, f"{where} option")
            if problem:
                return problem
    if kind == "plain_text_input":
        limit = element.get("max_length", 3000)
        if limit > 3000 or len(element.get("initial_value") or "") > limit:
            return f"{where}: plain_text_input max_length {limit} or its initial value too long"
    return None


def _blocks_problem(blocks: list[dict[str, Any]]) -> str | None:
    for index, block in enumerate(blocks):
        where, kind = f"block {index}", block.get("type")
        problem: str | None = None
        if kind == "section":
            if "text" in block:
                problem = _text_problem(block["text"], 3000, where)
            fields = block.get("fields") or []
            if len(fields) > 10:
                problem = f"{where}: {len(fields)} fields (limit 10)"
            for text in fields:
                problem = problem or _text_problem(text, 2000, f"{where} field")
        elif kind == "header":
            problem = _text_problem(block.get("text"), 150, where)
        elif kind == "actions":
            elements = block.get("elements") or []
            if not 0 < len(elements) <= 25:
                problem = f"{where}: {len(elements)} elements in actions (1 to 25)"
            for element in elements:
                problem = problem or _element_problem(element, where)
        elif kind == "context":
            for element in block.get("elements") or []:
                problem = problem or _text_problem(element, 3000, f"{where} context")
        elif kind == "input":
            problem = (_text_problem(block.get("label"), 2000, f"{where} label")
                       or (_text_problem(block["hint"], 2000, f"{where} hint") if "hint" in block else None)
                       or _element_problem(block.get("element") or {}, where))
        if problem:
            return problem
    return None
