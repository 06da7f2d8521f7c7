"""The evidence pages over real HTTP (aiohttp's server, the pages as `candor serve` mounts them),
on SQLite and PostgreSQL: the headers that keep the page private, and every bad input the issue
lists (malformed multipart, names with path, control and bidi characters, a zip bomb, an
oversized file, too many files, a slow client, too many uploads at once), each answered with a
clear page and nothing kept, the server still up."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlmodel import col, select

from adapters import evidence_pages
from bot.evidence.desk import Desk
from bot.evidence.limits import MB, EvidenceSettings
from storage.models import AuditEvent, DataKey, EvidenceChunk, EvidenceFile, FileLink
from tests.support.evidence_files import program, word_file, zip_bomb
from tests.support.world import World, text_of

BASE = "https://candor.example.com"
LINK = re.compile(re.escape(BASE) + r"(/files/(?:add|get)/[A-Za-z0-9_-]{43})")


@pytest.fixture
async def served(world: World) -> AsyncIterator[tuple[World, TestServer]]:
    world.core.evidence = EvidenceSettings(public_url=BASE, file_max_bytes=1 * MB,
                                           case_max_bytes=3 * MB)
    app = web.Application()
    evidence_pages.mount(app, Desk(world.db, world.core), read_timeout=0.5, max_uploads=2)
    server = TestServer(app)
    await server.start_server()
    try:
        yield world, server
    finally:
        await server.close()


def upload_path(world: World) -> str:
    replies = world.submit("cfo", "intake", {"category": "fraud", "what": "Revenue booked early",
                                             "who": "the controller", "anonymous": "no"})
    [path] = LINK.findall(text_of(replies))
    return path


def form(*files: tuple[str, bytes], scrub: bool = False) -> aiohttp.FormData:
    data = aiohttp.FormData()
    if scrub:
        data.add_field("scrub", "yes")
    for name, content in files:
        data.add_field("files", content, filename=name, content_type="application/octet-stream")
    return data


def nothing_kept(world: World) -> None:
    with world.db.read() as session:
        assert session.exec(select(EvidenceFile)).all() == []
        assert session.exec(select(EvidenceChunk)).all() == []
        assert session.exec(select(DataKey).where(DataKey.record_kind == "evidence_file")).all() == []


async def still_up(server: TestServer, world: World) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(server.make_url(upload_path(world))) as response:
            assert response.status == 200


async def test_the_page_is_private_plain_html(served):
    world, server = served
    path = upload_path(world)
    async with aiohttp.ClientSession() as http, http.get(server.make_url(path)) as response:
        page = await response.text()
        assert response.status == 200
        headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "form-action 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert headers["Referrer-Policy"] == "no-referrer" and headers["Cache-Control"] == "no-store"
    assert "noindex" in headers["X-Robots-Tag"] and "Set-Cookie" not in headers
    assert '<meta name="robots" content="noindex' in page and "<script" not in page
    assert not re.search(r"(src|href)=", page)  # no external (or any) resource
    assert 'enctype="multipart/form-data"' in page and "1 MB" in page


def raw_multipart(boundary: str, parts: list[tuple[str, bytes]]) -> bytes:
    """A multipart body written by hand: `parts` are (Content-Disposition's parameters, content),
    so a name may hold what a well-behaved client would never send."""
    body = b""
    for disposition, content in parts:
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; ".encode()
                 + disposition.encode() + b"\r\nContent-Type: application/octet-stream\r\n\r\n"
                 + content + b"\r\n")
    return body + f"--{boundary}--\r\n".encode()


async def test_names_with_paths_control_and_bidi_characters_are_made_safe(served):
    world, server = served
    word = word_file("x")
    parts = [('filename="../../etc/passwd.docx"', word),
             ('filename="C:\\Users\\dana\\ledger.docx"', word),
             ("filename*=UTF-8''a%00b%1B%5B31m%07.docx", word),
             ("filename*=UTF-8''invoice%E2%80%AEgpj.exe.docx", word)]
    async with aiohttp.ClientSession() as http:
        async with http.post(server.make_url(upload_path(world)), data=raw_multipart("nb", parts),
                             headers={"Content-Type": "multipart/form-data; boundary=nb"}) as response:
            assert response.status == 200
            page = await response.text()
    with world.db.read() as session:
        from bot.evidence import store

        owner = session.exec(select(EvidenceFile)).first().owner
        stored = [f.name for f in store.db_files(session, world.core, owner)]
    assert len(stored) == 4
    for name in stored:
        assert "/" not in name and "\\" not in name
        assert not re.search(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]", name)
        assert name.endswith(".docx")
    assert "passwd.docx" in page and "\u202e" not in page and "\x1b" not in page
    # a raw control character in the part's header is not a header: the body is malformed
    async with aiohttp.ClientSession() as http:
        async with http.post(server.make_url(upload_path(world)),
                             data=raw_multipart("nb", [('filename="bell\x1b\x7f.docx"', word)]),
                             headers={"Content-Type": "multipart/form-data; boundary=nb"}) as response:
            assert response.status == 400


async def test_malformed_multipart_is_a_400_and_keeps_nothing(served):
    world, server = served
    async with aiohttp.ClientSession() as http:
        for body, kind in ((b"--xyz\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.txt\"\r\n\r\nhello",
                            "multipart/form-data; boundary=xyz"),
                           (b"garbage", "multipart/form-data"),
                           (b"files=hello", "application/x-www-form-urlencoded")):
            async with http.post(server.make_url(upload_path(world)), data=body,
                                 headers={"Content-Type": kind}) as response:
                assert response.status == 400, body
                assert "nothing was kept" in (await response.text())
    nothing_kept(world)
    await still_up(server, world)


async def test_an_oversized_file_is_stopped_with_413_and_nothing_kept(served):
    world, server = served
    big = b"a,b\n" + b"1,2\n" * (MB // 2)  # 2 MB of CSV, past 1 MB
    async with aiohttp.ClientSession() as http:
        async with http.post(server.make_url(upload_path(world)),
                             data=form(("fine.docx", word_file("first")), ("big.csv", big))) as response:
            assert response.status == 413
            assert "nothing from it was kept" in await response.text()
    nothing_kept(world)
    await still_up(server, world)


async def test_a_zip_bomb_and_a_program_are_refused_by_name_with_reasons(served):
    world, server = served
    async with aiohttp.ClientSession() as http:
        async with http.post(server.make_url(upload_path(world)),
                             data=form(("bomb.docx", zip_bomb()), ("tool.pdf", program()))) as response:
            assert response.status == 200
            page = await response.text()
    assert "bomb.docx" in page and "tool.pdf" in page and "Not stored" in page
    nothing_kept(world)


async def test_too_many_files_at_once_keeps_nothing(served):
    world, server = served
    many = [(f"note-{i}.txt", b"a note\n") for i in range(21)]
    async with aiohttp.ClientSession() as http:
        async with http.post(server.make_url(upload_path(world)), data=form(*many)) as response:
            assert response.status == 413
    nothing_kept(world)


async def test_a_slow_client_is_stopped_and_nothing_kept(served):
    world, server = served
    boundary = "slowboundary"

    async def slowly():
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; "
               f"filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\n").encode()
        yield b"the first words of a note\n"
        await asyncio.sleep(2)  # longer than the read timeout (0.5 s here)
        yield f"and the rest\r\n--{boundary}--\r\n".encode()

    async with aiohttp.ClientSession() as http:
        try:
            async with http.post(server.make_url(upload_path(world)), data=slowly(),
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}) as response:
                assert response.status == 408
        except aiohttp.ClientError:
            pass  # the server may close the connection under the client's feet
    await asyncio.sleep(0.2)
    nothing_kept(world)
    await still_up(server, world)


async def test_uploads_beyond_the_servers_limit_wait_and_keep_their_link(served):
    world, server = served
    boundary = "b"
    release = asyncio.Event()

    async def held():
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; "
               f"filename=\"a.txt\"\r\n\r\n").encode()
        await release.wait()
        yield f"text\r\n--{boundary}--\r\n".encode()

    async with aiohttp.ClientSession() as http:
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        first = asyncio.create_task(http.post(server.make_url(upload_path(world)), data=held(), headers=headers))
        second = asyncio.create_task(http.post(server.make_url(upload_path(world)), data=held(), headers=headers))
        await asyncio.sleep(0.2)  # both running: the server's limit (2 here) is reached
        waiting = upload_path(world)
        async with http.post(server.make_url(waiting), data=form(("n.txt", b"a note\n"))) as response:
            assert response.status == 503 and response.headers["Retry-After"] == "60"
        release.set()
        for task in (first, second):
            response = await task
            assert response.status == 200
            response.release()
        async with http.post(server.make_url(waiting), data=form(("n.txt", b"a note\n"))) as response:
            assert response.status == 200  # the link still worked


def private_headers(headers) -> None:
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "form-action 'self'" in csp
    assert headers["Referrer-Policy"] == "no-referrer" and headers["Cache-Control"] == "no-store"
    assert "noindex" in headers["X-Robots-Tag"] and "Set-Cookie" not in headers


def used_up(world: World) -> tuple[int, int]:
    """The audit rows a link's use writes, and the links still unused."""
    with world.db.read() as session:
        used = session.exec(select(AuditEvent).where(col(AuditEvent.action).in_(
            ["file.link_used", "file.downloaded"]))).all()
        return len(used), len(session.exec(select(FileLink)).all())


async def test_a_download_is_an_attachment_with_a_safe_name_and_single_use(served):
    world, server = served
    async with aiohttp.ClientSession() as http:
        async with http.post(server.make_url(upload_path(world)),
                             data=form(("<b>ledger</b>.docx", word_file("the ledger")))) as response:
            assert response.status == 200
    with world.db.read() as session:
        file_id = session.exec(select(EvidenceFile.id)).one()
    [path] = LINK.findall(text_of(world.click("member", f"file:get:{file_id}")))
    before = used_up(world)
    async with aiohttp.ClientSession() as http:
        # A GET (a member's browser, or a URL scanner or proxy before it) is a page naming the
        # file with a Download button that posts back to the link; it uses nothing up
        for _ in range(2):
            async with http.get(server.make_url(path)) as response:
                assert response.status == 200 and response.content_type == "text/html"
                page = await response.text()
                private_headers(response.headers)
        assert re.search(r"<h1>Download [^<]*ledger[^<]*\.docx</h1>", page) and "Word document" in page
        assert "<b>" not in page and "<script" not in page and not re.search(r"(src|href)=", page)
        assert re.search(r'<form method="post">.*<button type="submit">Download</button>', page)
        assert "action=" not in page  # posts to the link's own URL
        assert used_up(world) == before
        # The button's POST uses the link and serves the file as an attachment
        async with http.post(server.make_url(path)) as response:
            assert response.status == 200
            data = await response.read()
            disposition = response.headers["Content-Disposition"]
            assert disposition.startswith("attachment;") and "<" not in disposition
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            private_headers(response.headers)
            assert response.content_type.endswith("wordprocessingml.document")
        assert data.startswith(b"PK")
        # Then it is used: a second POST, and a GET, say so
        async with http.post(server.make_url(path)) as again:
            assert again.status == 410 and "does not work any more" in await again.text()
        async with http.get(server.make_url(path)) as again:
            assert again.status == 410 and "does not work any more" in await again.text()


async def test_a_get_of_the_upload_page_uses_nothing_up(served):
    world, server = served
    path = upload_path(world)
    before = used_up(world)
    async with aiohttp.ClientSession() as http:
        for _ in range(3):
            async with http.get(server.make_url(path)) as response:
                assert response.status == 200
        assert used_up(world) == before
        async with http.post(server.make_url(path), data=form(("n.txt", b"a note\n"))) as response:
            assert response.status == 200  # the link still worked after the GETs
        async with http.get(server.make_url(path)) as response:
            assert response.status == 410


async def test_a_download_link_is_not_taken_by_the_wrong_method_or_page(served):
    world, server = served
    async with aiohttp.ClientSession() as http:
        async with http.post(server.make_url(upload_path(world)),
                             data=form(("n.txt", b"a note\n"))) as response:
            assert response.status == 200
    with world.db.read() as session:
        file_id = session.exec(select(EvidenceFile.id)).one()
    [path] = LINK.findall(text_of(world.click("member", f"file:get:{file_id}")))
    async with aiohttp.ClientSession() as http:
        for method in ("HEAD", "PUT", "DELETE"):
            async with http.request(method, server.make_url(path)) as response:
                assert response.status in (200, 405), method
        # an upload page's address with a download's secret opens nothing
        async with http.get(server.make_url(path.replace("/get/", "/add/"))) as response:
            assert response.status == 410
        async with http.post(server.make_url(path)) as response:
            assert response.status == 200 and await response.read() == b"a note\n"


def test_candor_status_says_whether_the_pages_are_on(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "SLACK_", "MICROSOFT_"))}
    env.update({"CANDOR_DATABASE_URL": f"sqlite:///{tmp_path / 'candor.db'}", "COLUMNS": "200",
                "CANDOR_KEY_FILE": str(tmp_path / "candor.key"), "CANDOR_SCRYPT_LOG2_N": "4"})

    def status(**extra: str) -> str:
        run = subprocess.run([sys.executable, "-m", "adapters.cli", "status"], env={**env, **extra},
                             cwd=tmp_path, capture_output=True, text=True, timeout=120)
        return run.stdout + run.stderr

    assert subprocess.run([sys.executable, "-m", "adapters.cli", "init"], env=env, cwd=tmp_path,
                          capture_output=True, timeout=120).returncode == 0
    assert "Set CANDOR_PUBLIC_URL" in status()
    assert "on at https://candor.example.com/files/" in status(CANDOR_PUBLIC_URL="https://candor.example.com/")
    refused = status(CANDOR_PUBLIC_URL="http://candor.example.com")
    assert "CANDOR_PUBLIC_URL" in refused and "https://" in refused
