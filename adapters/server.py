"""Two aiohttp applications on one event loop: the public one (the Slack endpoint, the Teams
endpoint and a bare /healthz), with the notifier, the keyring's watcher, the scheduler and the
operators' outage e-mail; and the admin listener (CANDOR_ADMIN_HOST:CANDOR_ADMIN_PORT, loopback by
default) with /metrics and the detailed /healthz.

The public port must be reachable from the internet (Slack and Teams post to it), so it tells
nothing: its /healthz is 200 or 503 with no reason. The reasons, and /metrics, are for the
operators alone: `candor_deliveries_total` moves within a second of a named report, and a blocked
channel's error says what the committee's set-up is.

The detailed /healthz answers 503 with the reasons when the database is unreachable, a connection
the process needs is down, a committee channel refuses Candor's posts (`committee_channel_blocked`),
a committee notice has been due longer than CANDOR_ALERT_STALE_MINUTES (`oldest_notice_minutes`),
or anonymous reports held for their delay are past it unrecorded (`anonymous_reports_unrecorded`:
how many; the notifier's loop records them, so none of them has reached the committee yet)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web

from adapters.bootstrap import Candor
from adapters.collector import settle
from adapters.key_watch import KeyringWatcher
from adapters.mail import Mailer, OutageMail
from adapters.metrics import Metrics
from adapters.notify import Notifier
from adapters.senders import Sender
from bot import admin
from bot.pending import Recorder
from storage.vocabulary import Platform

log = logging.getLogger("candor.server")

SHUTDOWN_GRACE_SECONDS = 5
CANDOR_KEY = web.AppKey("candor", Candor)
NOTIFIER_KEY = web.AppKey("notifier", Notifier)
METRICS_KEY = web.AppKey("metrics", Metrics)
# Connections the process needs besides the database, by name: each answers "is it up?"
# (Slack's Socket Mode: without its WebSocket the bot hears nothing, though the process runs).
PROBES_KEY = web.AppKey("probes", dict[str, Callable[[], Awaitable[bool]]])


@dataclass
class AdminListener:
    """The operators' listener: its application, where it is asked to listen, and (once started)
    the port it listens on (port 0 takes a free one)."""

    app: web.Application
    host: str
    port: int
    bound: int | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.bound if self.bound is not None else self.port}"


ADMIN_KEY = web.AppKey("admin", AdminListener)


async def _problems(app: web.Application) -> dict[str, object]:
    """What is wrong, by name (empty when healthy): the committee's notices, the connections."""
    candor = app[CANDOR_KEY]

    def committee() -> dict[str, object]:
        return admin.health(candor.db, candor.core.vault, now=candor.core.now(),
                            stale_minutes=candor.settings.alert_stale_minutes)

    try:
        problems = await asyncio.to_thread(committee)
    except Exception as exc:  # noqa: BLE001  any database failure means "not healthy"
        log.error("health check failed: %s", type(exc).__name__)
        return {"database": "unreachable"}
    down = [name for name, probe in app[PROBES_KEY].items() if not await probe()]
    problems.update({name: "disconnected" for name in down})
    return problems


async def healthz(request: web.Request) -> web.Response:
    """The admin listener's /healthz: 503 with the reasons."""
    if problems := await _problems(request.app):
        return web.json_response({"ok": False, **problems}, status=503)
    return web.json_response({"ok": True})


async def public_healthz(request: web.Request) -> web.Response:
    """The public port's /healthz, for a load balancer: up or not, and nothing of why (the
    reasons are on the admin listener)."""
    if await _problems(request.app):
        return web.json_response({"ok": False}, status=503)
    return web.json_response({"ok": True})


async def metrics(request: web.Request) -> web.Response:
    body = await asyncio.to_thread(request.app[METRICS_KEY].exposition)
    return web.Response(body=body,
                        headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})


def make_app(candor: Candor, senders: dict[Platform, Sender], *,
             mounts: list[Callable[[web.Application], None]] | None = None,
             background: list[Callable[[asyncio.Event], Awaitable[None]]] | None = None,
             probes: dict[str, Callable[[], Awaitable[bool]]] | None = None) -> web.Application:
    """The web application. `mounts` add platform routes; `background` are coroutines started
    with the app and stopped with it (the scheduler, Socket Mode)."""
    app = web.Application(client_max_size=1024 * 1024)
    app[CANDOR_KEY] = candor
    app[PROBES_KEY] = probes if probes is not None else {}
    app[METRICS_KEY] = Metrics(candor.db, now=candor.core.now, platforms=senders,
                               unopened=lambda: candor.relay.unopened,
                               overdue=lambda: admin.unrecorded(candor.db, candor.core.vault,
                                                                now=candor.core.now()))
    notifier = Notifier(candor.relay, senders, metrics=app[METRICS_KEY],
                        recorder=Recorder(candor.db, candor.core))
    app[NOTIFIER_KEY] = notifier
    app.router.add_get("/healthz", public_healthz)
    for mount in mounts or []:
        mount(app)
    operators = web.Application()
    operators[CANDOR_KEY] = app[CANDOR_KEY]
    operators[PROBES_KEY] = app[PROBES_KEY]
    operators[METRICS_KEY] = app[METRICS_KEY]
    operators.router.add_get("/healthz", healthz)
    operators.router.add_get("/metrics", metrics)
    app[ADMIN_KEY] = AdminListener(operators, candor.settings.admin_host,
                                   candor.settings.admin_port)

    async def admin_listener(app: web.Application) -> AsyncIterator[None]:
        # Started and stopped with the public app, so every way of running it (`candor serve`,
        # a test's runner) has both listeners; a port already taken stops the start.
        listener = app[ADMIN_KEY]
        runner = web.AppRunner(listener.app, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, listener.host, listener.port)
            await site.start()
            listener.bound = int(runner.addresses[0][1])
            log.info("Candor's admin listener (/metrics, detailed /healthz) on %s:%s",
                     listener.host, listener.bound)
            yield
        finally:
            await runner.cleanup()

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        tasks = [asyncio.create_task(notifier.run_forever(stop))]
        tasks += [asyncio.ensure_future(job(stop)) for job in background or []]
        yield
        # Shutdown: each job is asked to stop and given a moment to close what it holds (the
        # Socket Mode WebSocket, a send in flight); only a job that does not is cancelled.
        stop.set()
        _done, pending = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE_SECONDS)
        for task in pending:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    app.cleanup_ctx.append(admin_listener)  # listening before the jobs start, stopped after them
    app.cleanup_ctx.append(lifecycle)
    return app


def build_web(candor: Candor, *, with_scheduler: bool = True,
              sighup: bool = False) -> web.Application:
    """The whole server from settings: each configured platform's endpoint and sender, the
    notifier, the scheduler, and the keyring's watcher (reloading on SIGHUP too with `sighup`)."""
    settings = candor.settings
    senders: dict[Platform, Sender] = {}
    mounts: list[Callable[[web.Application], None]] = []
    background: list[Callable[[asyncio.Event], Awaitable[None]]] = []
    probes: dict[str, Callable[[], Awaitable[bool]]] = {}
    wake_box: list[Callable[[], None]] = []

    def wake() -> None:
        for fn in wake_box:
            fn()

    if Platform.SLACK in candor.core.platforms:
        from adapters.slack.app import build_app, keep_alive, mount
        from adapters.slack.sender import SlackSender

        assert settings.slack_bot_token is not None
        token = settings.slack_bot_token.get_secret_value()
        slack_sender = SlackSender.create(token=token, api_url=settings.slack_api_url,
                                          committee_channel=settings.committee_channel)
        senders[Platform.SLACK] = slack_sender
        secret = (settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret
                  else "")
        bolt, listeners = build_app(service=candor.service, token=token, signing_secret=secret,
                                    api_url=settings.slack_api_url, wake=wake)
        mounts.append(lambda app: keep_alive(app, [bolt.client, slack_sender.client],
                                             settle=listeners.settle))
        if settings.slack_signing_secret is not None:
            mounts.append(lambda app: mount(app, bolt))
        if settings.slack_app_token is not None:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            app_token = settings.slack_app_token.get_secret_value()
            # made on the running loop (it opens a session)
            sockets: list[AsyncSocketModeHandler] = []

            async def socket_mode(stop: asyncio.Event) -> None:
                # Connecting retries until it succeeds (a wrong app token: forever, logged by
                # slack_sdk); meanwhile /healthz answers 503 and the rest of Candor runs.
                handler = AsyncSocketModeHandler(bolt, app_token)
                sockets.append(handler)
                # slack_bolt leaves connect_async and close_async unannotated.
                try:
                    await handler.connect_async()  # type: ignore[no-untyped-call]
                    await stop.wait()
                finally:  # also when the server's shutdown cancels this task
                    await handler.close_async()  # type: ignore[no-untyped-call]

            async def socket_up() -> bool:
                return bool(sockets) and await sockets[0].client.is_connected()

            background.append(socket_mode)
            probes["slack_socket_mode"] = socket_up
    if Platform.TEAMS in candor.core.platforms:
        from adapters.teams.app import CandorTeamsBot, build_adapter
        from adapters.teams.app import build_app as build_teams_app
        from adapters.teams.app import mount as mount_teams
        from adapters.teams.refs import References
        from adapters.teams.sender import TeamsSender

        password = (settings.microsoft_app_password.get_secret_value()
                    if settings.microsoft_app_password else None)
        adapter, authenticator = build_adapter(app_id=settings.microsoft_app_id, password=password,
                                               tenant_id=settings.microsoft_app_tenant_id)
        refs = References(candor.db, candor.core.vault,
                          tenant=settings.microsoft_app_tenant_id or None)
        teams_app = build_teams_app(CandorTeamsBot(candor.service, refs, wake,
                                                   tenant_id=settings.microsoft_app_tenant_id,
                                                   local=not settings.microsoft_app_id,
                                                   committee=settings.teams_channel), adapter)
        senders[Platform.TEAMS] = TeamsSender(adapter, refs, channel=settings.teams_channel)
        mounts.append(lambda app: mount_teams(app, adapter, teams_app, authenticator))
    if settings.public_url is not None:  # evidence files (issue 23): the upload and download pages
        from adapters import evidence_pages
        from bot.evidence.desk import Desk

        mounts.append(lambda app: evidence_pages.mount(app, Desk(candor.db, candor.core)))
    if settings.smtp_url is not None:
        background.append(_outage_mail(candor).run)
    metrics_box: list[Metrics] = []
    if with_scheduler:
        background.append(lambda stop: _run_scheduler(candor, wake, stop, metrics_box[0]))
    watcher = watch_keyring(candor)
    background.append(lambda stop: watcher.run(stop, sighup=sighup))
    app = make_app(candor, senders, mounts=mounts, background=background, probes=probes)
    wake_box.append(app[NOTIFIER_KEY].wake)
    metrics_box.append(app[METRICS_KEY])

    async def first_report(_app: web.Application) -> None:
        # Before the server takes its first request: `candor keys rotate` must know it is here.
        await asyncio.to_thread(watcher.report)

    app.on_startup.append(first_report)
    return app


def watch_keyring(candor: Candor) -> KeyringWatcher:
    """The keyring's watcher, hooked into the vault: data keys are wrapped and opened with the
    keyring the key file holds now."""
    settings = candor.settings
    watcher = KeyringWatcher(db=candor.db, vault=candor.core.vault, key_file=settings.key_file,
                             from_environment=bool(settings.master_key),
                             poll_seconds=settings.key_poll_seconds,
                             heartbeat_seconds=settings.key_heartbeat_seconds)
    candor.core.vault.refresh = watcher.refresh
    return watcher


def _outage_mail(candor: Candor) -> OutageMail:
    settings = candor.settings
    assert settings.smtp_url is not None
    return OutageMail(candor.db, candor.core, Mailer.from_url(settings.smtp_url.get_secret_value()),
                      timedelta(minutes=settings.alert_stale_minutes), extra=settings.alert_email)


async def _run_scheduler(candor: Candor, wake: Callable[[], None], stop: asyncio.Event,
                         metrics: Metrics | None = None) -> None:
    from adapters.sweep_timer import Leadership, start_sweep_timer
    from bot.sweep import Sweeper

    leadership = Leadership(candor.db)
    sweeper = Sweeper(candor.db, candor.core, candor.core.schedule,
                      retention_years=candor.settings.retention_years)
    scheduler = start_sweep_timer(sweeper, leadership, on_written=wake,
                                  sweep_seconds=candor.settings.sweep_seconds,
                                  on_swept=metrics.swept if metrics is not None else None)
    try:
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)
        await asyncio.to_thread(leadership.release)


def run_server(candor: Candor) -> None:
    settings = candor.settings
    app = build_web(candor, sighup=True)
    settle()  # the start's objects frozen, the collector `candor serve` paused back on
    log.info("Candor listening on %s:%s", settings.host, settings.port)
    web.run_app(app, host=settings.host, port=settings.port, print=None)
