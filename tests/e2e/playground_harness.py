"""The Microsoft 365 Agents Playground (npm `@microsoft/m365agentsplayground`, pinned in
tests/e2e/playground/package-lock.json), Microsoft's local Teams emulator, as a process, and
headless Chromium (Debian's, driven by Playwright) to use it as a person would.

One Playground is one person's Teams: its config's `currentUser` is who types, and its UI cannot
switch to anyone else. People who both use Candor (an officer, a committee member) each get their
own Playground, both pointed at the same `candor serve`. Nothing leaves loopback: telemetry is
off (--dt), the Playground's connector is given a 127.0.0.1 service URL, its Node process is
given proxy variables that lead nowhere for anything off loopback (for whatever in it heeds them),
and the browser aborts every request that is not for 127.0.0.1 (the client is served by the
Playground itself; only web fonts and an animation script would come from Microsoft's CDN, and the
page works without them).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent / "playground"
CLI = HERE / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"
TENANT = "00000000-0000-0000-0000-0000000000001"  # the Playground's default tenant
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
NOWHERE = "http://127.0.0.1:9"  # the discard port: a proxy that answers nothing


@dataclass(frozen=True)
class Person:
    id: str  # the Teams user id the Playground sends as `from.id`
    name: str
    aad: str  # the AAD object id: the roster's teams_id
    email: str

    def account(self) -> dict[str, str]:
        given, surname = self.name.split(" ", 1)
        return {"id": self.id, "name": self.name, "userPrincipleName": self.email,
                "aadObjectId": self.aad, "givenName": given, "surname": surname,
                "email": self.email}


# The people of the Playground's built-in config (dist/index.js, `defaultConfigFileContent`):
# Alex Wilber is its default current user; the config wants exactly five others.
PEOPLE = [Person(f"user-id-{n}", name, f"00000000-0000-0000-0000-00000000000{20 + n}", email)
          for n, (name, email) in enumerate([
              ("Alex Wilber", "alexw@example.com"), ("Megan Bowen", "meganb@example.com"),
              ("Adele Vance", "adelev@example.com"), ("Isaiah Langer", "isaiahl@example.com"),
              ("Patti Fernandez", "pattif@example.com"), ("Lynne Robbins", "lynner@example.com")])]
ALEX, MEGAN, ADELE = PEOPLE[0], PEOPLE[1], PEOPLE[2]


def missing() -> str | None:
    """Why the Playground tests cannot run here, or None."""
    if shutil.which("node") is None:
        return "Node.js is not installed (the Playground is a Node program)"
    if not CLI.exists():
        return f"the Playground is not installed: run `npm ci --prefix {HERE}` (make test does)"
    if shutil.which("chromium") is None:
        return "Chromium is not installed (`apt-get install chromium`)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (the `test` extras)"
    return None


def config(me: Person, *, team: str, team_name: str) -> str:
    """The Playground's config file: who `me` is, the five others, and the one team (its General
    channel's id is the team's id)."""
    others = [p.account() for p in PEOPLE if p != me]
    return yaml.safe_dump({
        "version": "0.1.1", "tenantId": TENANT,
        "bot": {"id": "00000000-0000-0000-0000-00000000000011", "name": "Candor"},
        "currentUser": me.account(), "users": others,
        "personalChat": {"id": f"a:personal-{me.id}"},
        "groupChat": {"id": "19:group@thread.v2", "name": "Group Chat"},
        "team": {"id": team, "name": team_name, "aadGroupId": "00000000-0000-0000-0000-000000000031",
                 "channels": [{"id": team.replace("19:", "19:announcements-"), "name": "Announcements"}]},
    }, sort_keys=False)


@contextlib.asynccontextmanager
async def playground(folder: Path, *, me: Person, team: str, team_name: str, endpoint: str,
                     port: int) -> AsyncIterator[str]:
    """A Playground for `me`, talking to Candor at `endpoint`; yields the URL its page is at. Its
    output and log are in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "playground.yml").write_text(config(me, team=team, team_name=team_name))
    env = {**os.environ, "TEAMSAPPTESTER_BROWSER": "none",  # it opens no browser of its own
           "M365_AGENTS_PLAYGROUND_CONFIG_PATH": str(folder / "playground.yml"),
           "M365_AGENTS_PLAYGROUND_LOGFILE": str(folder / "playground.log"),
           "HTTP_PROXY": NOWHERE, "HTTPS_PROXY": NOWHERE, "NO_PROXY": "127.0.0.1,localhost"}
    output = folder / "output.log"
    with output.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            "node", str(CLI), "--app-endpoint", endpoint, "--channel-id", "msteams",
            "--port", str(port), "--service-url", f"http://127.0.0.1:{port}/_connector",
            "--disable-telemetry", cwd=folder, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=out, stderr=asyncio.subprocess.STDOUT, start_new_session=True)
    try:
        yield f"http://127.0.0.1:{await _listening(process, output)}/"
    finally:
        await _stop(process)


async def _listening(process: asyncio.subprocess.Process, output: Path, timeout: float = 30) -> int:
    """The port the Playground says it listens on (it takes another when the one asked for is
    busy)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        assert process.returncode is None, f"the Playground stopped: {output.read_text()[-2000:]}"
        if found := re.search(r"Listening on (\d+)", output.read_text()):
            return int(found.group(1))
        await asyncio.sleep(0.1)
    raise AssertionError(f"the Playground did not start in {timeout}s: {output.read_text()[-2000:]}")


async def _stop(process: asyncio.subprocess.Process) -> None:
    """The Playground's process group (it runs in a session of its own), ended."""
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), timeout=10)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """Headless Chromium (the machine's, not a Playwright download)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=shutil.which("chromium"),
                                               args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def open_page(browser: Any, url: str, blocked: list[str]) -> Any:
    """The Playground's page, with every request off loopback aborted (and noted in `blocked`)."""
    page = await browser.new_page(viewport={"width": 1400, "height": 900})

    async def offline(route: Any) -> None:
        blocked.append(route.request.url)
        await route.abort()

    await page.route(lambda address: not address.startswith("http://127.0.0.1:"), offline)
    await page.goto(url)
    return page
