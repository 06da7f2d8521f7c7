"""The floors: a bare Bolt app, in its own process as `candor serve` is, doing the least a product
could do for the same request.

- A form (`view_submission`): seal the submitted values with AES-GCM under a fresh data key (the
  data key wrapped under a master key, as Candor's vault does), insert one row in its own
  transaction (SQLite in WAL mode with `synchronous=FULL`, or PostgreSQL), answer with a receipt
  in the modal.
- A direct message: post one reply with the Web API (over one kept-alive session, as Candor does).

`python -m bench.floor_app --port P --api URL --database URL` (run by bench/serve_bench.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import sqlite3
import threading
from typing import Any

import aiohttp
from aiohttp import web
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.app import mount


class Store:
    """One sealed row per form, one transaction each; a connection per thread."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.master = AESGCM(AESGCM.generate_key(bit_length=256))
        self.local = threading.local()
        connection = self._connection()
        if self.url.startswith("sqlite"):
            connection.execute("CREATE TABLE IF NOT EXISTS floor (id TEXT PRIMARY KEY, "
                               "wrapped BLOB NOT NULL, body BLOB NOT NULL)")
        else:
            with connection.cursor() as cursor:
                cursor.execute("CREATE TABLE IF NOT EXISTS floor (id TEXT PRIMARY KEY, "
                               "wrapped BYTEA NOT NULL, body BYTEA NOT NULL)")
            connection.commit()

    def _connection(self) -> Any:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            if self.url.startswith("sqlite"):
                connection = sqlite3.connect(self.url.removeprefix("sqlite:///"),
                                             isolation_level=None, check_same_thread=False,
                                             timeout=30)
                for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000"):
                    connection.execute(f"PRAGMA {pragma}")
            else:
                import psycopg

                connection = psycopg.connect(self.url.replace("postgresql+psycopg", "postgresql"))
            self.local.connection = connection
        return connection

    def save(self, plain: bytes) -> str:
        data_key = AESGCM.generate_key(bit_length=256)
        nonce, key_nonce = os.urandom(12), os.urandom(12)
        body = nonce + AESGCM(data_key).encrypt(nonce, plain, None)
        wrapped = key_nonce + self.master.encrypt(key_nonce, data_key, None)
        row = secrets.token_hex(12)
        connection = self._connection()
        if self.url.startswith("sqlite"):
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO floor VALUES (?, ?, ?)", (row, wrapped, body))
            connection.execute("COMMIT")
        else:
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO floor VALUES (%s, %s, %s)", (row, wrapped, body))
            connection.commit()
        return row


def build(api_url: str, database_url: str, signing_secret: str) -> tuple[web.Application,
                                                                          AsyncWebClient]:
    store = Store(database_url)
    client = AsyncWebClient(token="xoxb-floor", base_url=api_url)
    bolt = AsyncApp(signing_secret=signing_secret, client=client)

    @bolt.view(re.compile(".*"))
    async def submitted(ack: AsyncAck, view: dict[str, Any]) -> None:
        values = json.dumps((view.get("state") or {}).get("values") or {}).encode()
        receipt = await asyncio.to_thread(store.save, values)
        await ack(response_action="update", view={
            "type": "modal", "title": {"type": "plain_text", "text": "Received"},
            "blocks": [{"type": "section",
                        "text": {"type": "mrkdwn", "text": f"Receipt {receipt}"}}]})

    @bolt.event("message")
    async def reply(event: dict[str, Any]) -> None:
        await client.chat_postMessage(channel=str(event.get("channel")), text="Received.")

    app = web.Application()
    mount(app, bolt)

    async def session(_app: web.Application) -> Any:
        async with aiohttp.ClientSession() as shared:
            client.session = shared
            yield

    app.cleanup_ctx.append(session)
    app.router.add_get("/healthz", lambda _request: _ok())
    return app, client


async def _ok() -> web.Response:
    return web.json_response({"ok": True})


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.floor_app")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()
    app, _client = build(args.api, args.database, args.secret)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
