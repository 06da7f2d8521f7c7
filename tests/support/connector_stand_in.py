"""Real local HTTP servers standing in for the Bot Framework: the Connector service (the
activities' `serviceUrl`), which records what the bot sends, answers as the Connector does
(member lookups included) and fails on demand; and the channel's token signing keys, which sign
inbound tokens as the Bot Connector does and publish the public key as OpenID metadata."""

from __future__ import annotations

import itertools
import json
import random
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

_MEMBER = re.compile(r"^/v3/conversations/(?P<conversation>[^/]+)/members/(?P<member>[^/]+)$")


@dataclass
class Sent:
    method: str
    path: str
    body: dict[str, Any]
    answer_id: str = ""  # the id the Connector gave the activity
    authorization: str = ""  # the bot's bearer token, as it reached the Connector
    at: float = field(default_factory=time.time)  # when the Connector received it (a chat item's time)

    def __str__(self) -> str:
        return f"{self.method} {self.path} {json.dumps(self.body, sort_keys=True)}"


@dataclass
class ConnectorStandIn:
    sent: list[Sent] = field(default_factory=list)
    failed: list[Sent] = field(default_factory=list)  # what was refused, for searches of all that left
    failure_rate: float = 0.0  # a share of calls refused (429 with Retry-After, or 503), seeded
    seed: int = 7
    # The people Teams knows, by their Teams id ("29:..."), as GET .../members/{id} answers them.
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    _fail: list[tuple[int, int | None]] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    # Conversations whose activities are refused, with the status (the bot removed from the team: 403).
    refuse: dict[str, int] = field(default_factory=dict)
    port: int = 0  # 0: any free port
    _runner: web.AppRunner | None = None
    service_url: str = ""

    def fail_next(self, status: int = 429, retry_after: int | None = 1, times: int = 1) -> None:
        self._fail += [(status, retry_after)] * times

    def add_member(self, teams_id: str, *, aad_id: str, name: str, email: str, upn: str | None = None) -> None:
        """A person as Teams' roster has them (what GET /v3/conversations/{id}/members/{id} returns)."""
        given, _, surname = name.partition(" ")
        self.members[teams_id] = {"id": teams_id, "name": name, "aadObjectId": aad_id, "givenName": given,
                                  "surname": surname, "email": email, "userPrincipalName": upn or email,
                                  "tenantId": "tenant-0001", "userRole": "user"}

    def posts(self, conversation: str | None = None) -> list[Sent]:
        return [s for s in self.sent if s.method == "POST" and "/activities" in s.path
                and (conversation is None or f"/conversations/{conversation}/" in s.path)]

    def updates(self) -> list[Sent]:
        return [s for s in self.sent if s.method == "PUT"]

    def created(self) -> list[Sent]:
        return [s for s in self.sent if s.method == "POST" and s.path.rstrip("/").endswith("/v3/conversations")]

    def lookups(self) -> list[Sent]:
        return [s for s in self.sent if s.method == "GET" and _MEMBER.match(s.path)]

    def everything_sent(self) -> str:
        return "\n".join(str(s) for s in self.sent + self.failed)

    async def __aenter__(self) -> ConnectorStandIn:
        self._random = random.Random(self.seed)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._any)
        self._runner = web.AppRunner(app, access_log=None)  # it stands in for the platform: its log is not Candor's
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.service_url = f"http://127.0.0.1:{self.port}/"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _any(self, request: web.Request) -> web.Response:
        raw = await request.read()
        body = json.loads(raw) if raw else {}
        path = unquote("/" + request.match_info["tail"])
        refused = next((status for conversation, status in self.refuse.items()
                        if f"/conversations/{conversation}/activities" in path), None)
        if refused:
            self.failed.append(Sent(request.method, path, body))
            return web.json_response({"error": {"code": "BotNotInConversationRoster",
                                                "message": "The bot is not part of the conversation roster."}},
                                     status=refused)
        failure = self._fail.pop(0) if self._fail else None
        if failure is None and self.failure_rate and self._random.random() < self.failure_rate:
            failure = (429, 1) if self._random.random() < 0.5 else (503, None)
        if failure is not None:
            status, retry_after = failure
            self.failed.append(Sent(request.method, path, body))
            headers = {"Retry-After": str(retry_after)} if retry_after else {}
            return web.json_response({"error": {"code": "Throttled", "message": "slow down"}},
                                     status=status, headers=headers)
        sent = Sent(request.method, path, body, authorization=request.headers.get("Authorization", ""))
        self.sent.append(sent)
        member = _MEMBER.match(path)
        if request.method == "GET" and member:
            found = self.members.get(member["member"])
            if found is None:
                return web.json_response({"error": {"code": "MemberNotFoundInConversation",
                                                    "message": "The member is not in the conversation."}},
                                         status=404)
            return web.json_response(found)
        if request.method == "POST" and path.rstrip("/").endswith("/v3/conversations"):
            return web.json_response({"id": f"a:1on1-{next(self._ids)}", "activityId": f"act-{next(self._ids)}"})
        if "/activities" in path:
            sent.answer_id = body.get("id") if request.method == "PUT" else f"act-{next(self._ids)}"
            return web.json_response({"id": sent.answer_id})
        return web.json_response({})


ISSUER = "https://api.botframework.com"  # the issuer of the tokens the Bot Connector sends a bot


class ChannelKeys:
    """The Bot Connector's token issuer, standing in on loopback: an RSA key whose public half is
    published as OpenID metadata and a JWKS, and tokens signed with it as the Connector signs the
    tokens it sends a bot. Served from a thread: the SDK fetches the keys with blocking urllib
    (PyJWT's PyJWKClient), off the event loop."""

    KID = "stand-in-key"

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        jwk.update(kid=self.KID, use="sig", endorsements=["msteams"])
        self._jwks = {"keys": [jwk]}
        keys = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  (http.server's naming)
                if self.path.endswith("/openidconfiguration"):
                    document: dict[str, Any] = {"issuer": ISSUER, "jwks_uri": keys.url + "/keys",
                                                "id_token_signing_alg_values_supported": ["RS256"]}
                elif self.path.endswith("/keys"):
                    document = keys._jwks
                else:
                    self.send_error(404)
                    return
                data = json.dumps(document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.metadata_url = self.url + "/openidconfiguration"
        self.jwks_url = self.url + "/keys"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def route(self, monkeypatch: Any) -> None:
        """Make the SDK fetch its signing keys here, whatever a token's issuer (the one thing a test
        replaces: where the public keys come from; every check on the token stays the SDK's)."""
        jwks_url = self.jwks_url

        class Everywhere(dict[str, str]):
            def get(self, key: object, default: object = None) -> str:  # type: ignore[override]
                return jwks_url

        monkeypatch.setattr("microsoft_agents.hosting.core.authorization.jwt.jwt_token_validator."
                            "BOTFRAMEWORK_JWKS_URIS", Everywhere())

    def token(self, *, app_id: str, service_url: str, key: rsa.RSAPrivateKey | None = None,
              kid: str | None = None, issuer: str = ISSUER, expires_in: int = 3600) -> str:
        """A token as the Connector sends it with each activity; another `key` or `kid` forges one,
        another `issuer` claims another sender, a negative `expires_in` has expired."""
        now = int(time.time())
        claims = {"iss": issuer, "aud": app_id, "serviceurl": service_url, "nbf": now - 7200,
                  "exp": now + expires_in}
        return jwt.encode(claims, key or self._key, algorithm="RS256", headers={"kid": kid or self.KID})
