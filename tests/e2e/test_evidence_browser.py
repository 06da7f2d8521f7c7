"""Evidence files end to end on the real `candor serve`, with a real browser (Debian's Chromium,
driven by Playwright): an anonymous officer's receipt in a Slack modal carries the upload link;
the browser uploads a Word file whose author is the reporter and a JPEG with a GPS position; a
committee member downloads both through single-use links taken from their own modal (the link's
page, which a URL scanner may fetch first, then its Download button): no author
name, no GPS, the hashes those of the audit; a canary inside a file is in no plain column, log or
WAL; a link used twice is refused; an excluded member gets no link; an oversized and a wrong-type
upload keep nothing; after retention's shred the file no longer opens. The same on Teams (the
links in dialogs), without the browser. The screenshots in the README are taken here."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import inspect, text
from sqlmodel import select

from bot.evidence import store
from storage.crypto import ShreddedError
from storage.db import Database
from storage.models import AuditEvent, EvidenceFile, Report
from tests.e2e.serve_harness import Served, serve
from tests.e2e.slack_harness import option as choose
from tests.e2e.slack_harness import radio, text_input
from tests.support.evidence_files import (
    AUTHOR,
    jpeg_gps,
    jpeg_with_gps,
    program,
    word_author,
    word_file,
    word_text,
)

CANARY = "CANARY-evidence-e2e-51f0"
# The README's screenshots are refreshed with `make screenshots` (which sets the folder); an
# ordinary run writes them to a temporary folder, so a test run leaves the tree as it was.
SCREENSHOTS = Path(os.environ.get("CANDOR_SCREENSHOTS_DIR") or tempfile.mkdtemp(prefix="candor-shots-"))
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/files/(?:add|get)/[A-Za-z0-9_-]{43})")
ROSTER = """\
officers:
  - {name: Dana Reyes, email: dana@example.com, role: CFO, slack_id: U0DANA, teams_id: aad-dana, attestation_due: 2027-03-31}
committee:
  - {name: Lee Park, email: lee@example.com, chair: true, slack_id: U0LEE, teams_id: aad-lee}
  - {name: Alex Kim, email: alex@example.com, slack_id: U0ALEX, teams_id: aad-alex}
"""
PEOPLE = {"Dana Reyes": ("dana@example.com", "U0DANA", "aad-dana"),
          "Lee Park": ("lee@example.com", "U0LEE", "aad-lee"),
          "Alex Kim": ("alex@example.com", "U0ALEX", "aad-alex")}

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None,
                                reason="no chromium (`.ci/run` installs Debian's)")


async def start(tmp: Path, database_url: str) -> Served:
    return await serve(tmp, database_url, roster=ROSTER,
                       emails={n: p[0] for n, p in PEOPLE.items()},
                       slack_ids={n: p[1] for n, p in PEOPLE.items()},
                       teams_ids={n: p[2] for n, p in PEOPLE.items()},
                       env={"CANDOR_ANONYMOUS_DELAY_MINUTES": "0", "CANDOR_LOG_LEVEL": "DEBUG",
                            "CANDOR_PUBLIC_URL": "http://127.0.0.1:{port}", "CANDOR_FILE_MAX_MB": "1",
                            "CANDOR_TEAMS_LOCAL": "true"})


def link_in(shown: Any) -> str:
    [url] = LINK.findall(shown if isinstance(shown, str) else json.dumps(shown))
    return url


async def slack_window_after(day: Served, name: str, value: str) -> str:
    """A button clicked in an open modal; what the modal shows next (pushed or updated)."""
    before = {m: len(day.api.called(m)) for m in ("views.push", "views.update", "views.open")}
    assert (await day.slack.click(day.slack_ids[name], value, view="modal")).status == 200

    def shown() -> str | None:
        calls = [c for m, n in before.items() for c in day.api.called(m)[n:]]
        return json.dumps([c.args for c in calls]) if calls else None

    return str(await day.until(shown))


async def case_window(day: Served, name: str, report_id: str) -> str:
    before = len(day.api.called("views.open"))
    assert (await day.slack.click(day.slack_ids[name], f"case:view:{report_id}")).status == 200
    opened = await day.until(lambda: day.api.called("views.open")[before:])
    return json.dumps(opened[0].args["view"])


def read_store(day: Served) -> Database:
    return Database.from_url(day.env["CANDOR_DATABASE_URL"])


def audit_rows(db: Database, action: str) -> list[AuditEvent]:
    with db.read() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def plain_text_anywhere(db: Database, needle: bytes) -> list[str]:
    """Every table and column whose stored value holds `needle` (bytes as stored, text as text)."""
    found = []
    with db.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')).mappings():
                for column, value in row.items():
                    raw = value if isinstance(value, bytes | memoryview) else str(value).encode()
                    if needle in bytes(raw):
                        found.append(f"{table}.{column}")
    return found


async def fetch(day: Served, url: str) -> tuple[int, bytes, Any]:
    async with day.slack.http.get(url) as response:
        return response.status, await response.read(), response.headers


async def claim(day: Served, url: str) -> tuple[int, bytes, Any]:
    """The download page's button, without a browser: a POST to the link."""
    async with day.slack.http.post(url) as response:
        return response.status, await response.read(), response.headers


async def browser_downloads(urls: list[str]) -> dict[str, bytes]:
    """Each link opened in the browser: its page names the file; its Download button saves it."""
    from playwright.async_api import async_playwright

    downloads: dict[str, bytes] = {}
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=shutil.which("chromium"),
                                               args=["--no-sandbox", "--disable-gpu"])
        try:
            page = await browser.new_page(accept_downloads=True)
            blocked: list[str] = []
            page.on("console", lambda message: blocked.append(message.text))
            for url in urls:
                await page.goto(url)
                heading = await page.inner_text("h1")
                async with page.expect_download() as started:
                    await page.click("button[type=submit]")
                download = await started.value
                path = await download.path()
                assert download.suggested_filename in heading
                downloads[download.suggested_filename] = Path(path).read_bytes()
            assert not [m for m in blocked if "Content Security Policy" in m]
        finally:
            await browser.close()
    return downloads


async def post_files(day: Served, url: str, *files: tuple[str, bytes]) -> tuple[int, str]:
    form = aiohttp.FormData()
    for name, data in files:
        form.add_field("files", data, filename=name, content_type="application/octet-stream")
    async with day.slack.http.post(url, data=form) as response:
        return response.status, await response.text()


async def test_slack_a_browser_uploads_and_members_download(tmp_path, database_url):
    from playwright.async_api import async_playwright

    day = await start(tmp_path, database_url)
    db = read_store(day)
    try:
        # Given Dana's anonymous report in a Slack modal: the receipt (the modal) holds the link
        form = await day.slash("Dana Reyes", "/ethics", "report")
        receipt = await day.slack_submit("Dana Reyes", form, {
            "category": choose("fraud"), "what": text_input("The count sheets are overridden"),
            "anonymous": radio("yes")})
        upload_url = link_in(receipt)
        assert "personal device" in receipt
        assert not LINK.findall(json.dumps([c.args for c in day.api.called("chat.postMessage")]))
        report = await day.until(lambda: _report(db))

        # When a browser opens it and uploads a Word file by Dana, a photo with GPS, a note
        docx, photo = tmp_path / "counts.docx", tmp_path / "shelf.jpg"
        note = tmp_path / "note.txt"
        docx.write_bytes(word_file(f"The counts were changed {CANARY}"))
        photo.write_bytes(jpeg_with_gps())
        note.write_text(f"Shelf 4 was empty on the count day {CANARY}\n")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        async with async_playwright() as driver:
            browser = await driver.chromium.launch(executable_path=shutil.which("chromium"),
                                                   args=["--no-sandbox", "--disable-gpu"])
            try:
                page = await browser.new_page(viewport={"width": 900, "height": 900})
                blocked: list[str] = []
                page.on("console", lambda message: blocked.append(message.text))
                await page.goto(upload_url)
                assert report.code in await page.content()
                assert "personal device on a personal network" in await page.inner_text("body")
                await page.screenshot(path=str(SCREENSHOTS / "evidence-upload.png"), full_page=True)
                await page.set_input_files("input[type=file]", [str(docx), str(photo), str(note)])
                async with page.expect_navigation():
                    await page.click("button[type=submit]")
                result = await page.inner_text("body")
                await page.screenshot(path=str(SCREENSHOTS / "evidence-result.png"), full_page=True)
                assert not [m for m in blocked if "Content Security Policy" in m]
            finally:
                await browser.close()
        assert "counts.docx" in result and "shelf.jpg" in result and "note.txt" in result
        assert "GPS position" in result

        # Then a member downloads both through their own single-use links
        window = await case_window(day, "Lee Park", report.id)
        assert "counts.docx" in window and "the reporter" in window
        values = re.findall(r'"value": "(file:get:[0-9a-f]+)"', window)
        assert len(values) == 3
        urls = [link_in(await slack_window_after(day, "Lee Park", value)) for value in values]
        # (a URL scanner or an inspecting proxy fetches each link first: it gets only the page)
        for url in urls:
            status, body, headers = await fetch(day, url)
            assert status == 200 and headers["Content-Type"].startswith("text/html")
            assert b'<form method="post">' in body and "Content-Disposition" not in headers
        downloads = await browser_downloads(urls)
        for url in urls:  # each link is used: the same link again, by GET or by the button
            status, body, _ = await fetch(day, url)
            assert status == 410 and b"does not work any more" in body
            status, body, _ = await claim(day, url)
            assert status == 410 and b"does not work any more" in body
        word, jpeg = downloads["counts.docx"], downloads["shelf.jpg"]
        assert AUTHOR not in word_author(word) and CANARY in word_text(word)
        assert jpeg_gps(jpeg) == {} and AUTHOR.encode() not in jpeg
        # the hashes are the audit's
        audited = {json.loads(a.detail)["sha256"] for a in audit_rows(db, "file.added")}
        assert audited == {hashlib.sha256(b).hexdigest() for b in downloads.values()}
        assert all(a.actor == "reporter" for a in audit_rows(db, "file.added"))

        # And the canary is in no plain column, no log, no WAL
        assert plain_text_anywhere(db, CANARY.encode()) == []
        assert CANARY not in day.log.read_text()
        if database_url.startswith("sqlite"):
            path = Path(database_url.removeprefix("sqlite:///"))
            for part in (path, path.with_name(path.name + "-wal")):
                if part.exists():
                    assert CANARY.encode() not in part.read_bytes()

        # An excluded member sees no files and gets no link
        await day.slack.click(day.slack_ids["Lee Park"], f"case:exclude:{report.id}")
        await day.until(lambda: day.api.called("views.open"))
        response = await day.slack.submit(day.slack_ids["Lee Park"], f"exclude:{report.id}",
                                          {"member": {"value": {"type": "static_select", "selected_option": {
                                              "value": str(_person_id(db, "alex@example.com")),
                                              "text": {"type": "plain_text", "text": "Alex"}}}}})
        assert response.status == 200
        await day.until(lambda: any("exclusion" in a.action for a in audit_rows(db, "case.exclusion_added")))
        before = {m: len(day.api.called(m)) for m in ("views.open", "chat.postEphemeral", "chat.postMessage")}
        await day.slack.click(day.slack_ids["Alex Kim"], values[0])
        await asyncio.sleep(1.5)
        answered = json.dumps([c.args for m, n in before.items() for c in day.api.called(m)[n:]])
        assert not LINK.findall(answered)
        assert any(json.loads(a.detail).get("attempt") == "files.download"
                   for a in audit_rows(db, "case.refused"))

        # An oversized and a wrong-type upload keep nothing (the member's Add documents link)
        count = _count_files(db)
        add_url = link_in(await slack_window_after(day, "Lee Park", f"case:addfiles:{report.id}"))
        status, _ = await post_files(day, add_url, ("big.csv", b"a,b\n" + b"1,2\n" * 400_000))
        assert status == 413 and _count_files(db) == count
        add_url = link_in(await slack_window_after(day, "Lee Park", f"case:addfiles:{report.id}"))
        status, page = await post_files(day, add_url, ("tool.pdf", program()))
        assert status == 200 and "tool.pdf" in page and _count_files(db) == count

        # After retention's shred the file no longer opens
        url = link_in(await slack_window_after(day, "Lee Park", values[0]))
        _shred(day, report.id)
        status, body, _ = await fetch(day, url)
        assert status == 410
        assert _count_files(db) == 0
    finally:
        db.dispose()
        await day.close()


def _report(db: Database) -> Report | None:
    with db.read() as session:
        return session.exec(select(Report)).first()


def _person_id(db: Database, email: str) -> int:
    from storage.models import Person

    with db.read() as session:
        person = session.exec(select(Person).where(Person.email == email)).one()
        assert person.id is not None
        return person.id


def _count_files(db: Database) -> int:
    with db.read() as session:
        return len(session.exec(select(EvidenceFile)).all())


def _shred(day: Served, report_id: str) -> None:
    """Retention's shred, as `candor retention` and the sweep run it, in this process."""
    from adapters.bootstrap import build
    from adapters.settings import Settings
    from bot import retention

    settings = Settings(database_url=day.env["CANDOR_DATABASE_URL"], key_file=day.tmp / "candor.key",
                        scrypt_log2_n=4)
    candor = build(settings, platforms=frozenset())
    try:
        with candor.db.write() as session:
            files = store.db_files(session, candor.core, report_id)
            retention.db_shred(session, candor.core, session.get(Report, report_id))
        with candor.db.read() as session:
            for stored in files:
                with pytest.raises(ShreddedError):
                    store.db_read_all(session, candor.core, stored)
    finally:
        candor.close()


async def test_teams_links_come_in_dialogs(tmp_path, database_url):
    day = await start(tmp_path, database_url)
    db = read_store(day)
    try:
        await day.add_to_team()
        # Given Dana's named report sent from a Teams dialog: the receipt (the dialog) has the link
        opener = {"msteams": {"type": "task/fetch"}, "verb": "candor", "candor": "cmd:ethics:report"}
        form = (await day.teams_invoke("Dana Reyes", "task/fetch", opener))["task"]["value"]["card"]["content"]
        receipt = await day.teams_invoke("Dana Reyes", "task/submit", {
            **form["actions"][0]["data"], "category": "fraud", "what": "Invoices split", "anonymous": "no"})
        url = link_in(receipt)
        assert not LINK.findall(json.dumps([p.body for p in day.connector.posts()]))  # never in a chat message
        status, page = await post_files(day, url, ("invoices.docx", word_file(f"Split {CANARY}")))
        assert status == 200 and "invoices.docx" in page
        with db.read() as session:
            report = session.exec(select(Report)).one()
            [file_id] = session.exec(select(EvidenceFile.id)).all()
        # When the chair asks for the download in a dialog
        get = {"msteams": {"type": "task/fetch"}, "verb": "candor", "candor": f"file:get:{file_id}"}
        dialog = await day.teams_invoke("Lee Park", "task/fetch", get)
        assert (await fetch(day, link_in(dialog)))[0] == 200  # the page: nothing used up
        status, body, headers = await claim(day, link_in(dialog))
        assert status == 200 and headers["Content-Disposition"].startswith("attachment;")
        assert CANARY in word_text(body)
        assert word_author(body)[0] == AUTHOR  # a named reporter's file kept as it was
        assert (await claim(day, link_in(dialog)))[0] == 410
        assert (await fetch(day, link_in(dialog)))[0] == 410
        [added] = audit_rows(db, "file.added")
        assert json.loads(added.detail)["sha256"] == hashlib.sha256(body).hexdigest()
        assert report.code in json.dumps(receipt)
        assert not LINK.findall(json.dumps([p.body for p in day.connector.posts()]))
    finally:
        db.dispose()
        await day.close()
