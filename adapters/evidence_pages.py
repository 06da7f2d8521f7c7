"""The evidence pages on `candor serve`'s public port: the upload page at a single-use link
(`GET` shows it, `POST` takes the files), and a download at a single-use link (`GET` shows a
page naming the file, its Download button `POST`s and gets the file). A `GET` never uses a link
up: a URL scanner or a TLS-inspecting proxy that fetches it leaves it to its holder. They translate
only: each step is a call to `bot.evidence.desk.Desk`, off the event loop.

Plain HTML that needs no JavaScript, no external resource, a strict Content Security Policy (the
one style block allowed by its hash), `Referrer-Policy: no-referrer`, `Cache-Control: no-store`,
no cookies, `noindex`. The multipart body is read as it streams (aiohttp's `MultipartReader`),
one file at a time held in memory up to CANDOR_FILE_MAX_MB (checking a file's metadata needs all
of it), and stopped as soon as a limit passes (413); a malformed body is a 400; a client too slow
between two reads, or too slow overall, is stopped (408); a request stopped for any reason keeps
nothing. At most `max_uploads` uploads run at once on a server (more are asked to wait: 503, the
link still good); a link is single-use, so one link never runs twice.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import quote

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from bot.evidence.desk import MAX_FILES, Desk, DownloadPage, StopUpload, Upload, UploadPage
from bot.evidence.limits import MB
from bot.wording import evidence as kinds
from bot.wording import files as wording

log = logging.getLogger("candor.evidence")

READ = 64 * 1024
_T = TypeVar("_T")
_STYLE = ("body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;"
          "line-height:1.45;color:#1b1b1b}h1{font-size:1.4rem}.warn{border-left:4px solid #b3261e;"
          "padding:.5rem 1rem;background:#fbeaea}.note{color:#444}code{word-break:break-all}"
          "li{margin:.4rem 0}button{font-size:1rem;padding:.4rem 1rem}")
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
CSP = (f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


@dataclass
class Pages:
    """The pages' dependencies and limits (the tests shorten the timeouts)."""

    desk: Desk
    read_timeout: float = 30.0  # seconds between two reads of a slow client
    request_timeout: float = 900.0  # seconds for a whole upload
    max_uploads: int = 4  # uploads at once on this server
    running: int = field(default=0, init=False)


PAGES_KEY = web.AppKey("evidence_pages", Pages)


def mount(app: web.Application, desk: Desk, **limits: float) -> None:
    app[PAGES_KEY] = Pages(desk, **limits)  # type: ignore[arg-type]
    app.router.add_get("/files/add/{secret}", upload_page)
    app.router.add_post("/files/add/{secret}", upload)
    app.router.add_get("/files/get/{secret}", download_page)  # uses nothing up
    app.router.add_post("/files/get/{secret}", download)


# --- pages ---------------------------------------------------------------------------------------

def _page(title: str, body: str, *, status: int = 200) -> web.Response:
    document = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<meta name=\"robots\" content=\"noindex, nofollow\">"
                "<meta name=\"referrer\" content=\"no-referrer\">"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
                f"<body>{body}</body></html>")
    return web.Response(text=document, status=status, content_type="text/html", charset="utf-8",
                        headers=HEADERS)


def _plain(words: tuple[str, str], status: int) -> web.Response:
    heading, sentence = words
    return _page(heading, f"<h1>{html.escape(heading)}</h1><p>{html.escape(sentence)}</p>",
                 status=status)


def _form(facts: UploadPage) -> str:
    e = html.escape
    parts = [f"<h1>{e(wording.page_heading(facts.code))}</h1>"]
    if facts.anonymous:
        parts.append(f"<p class=\"warn\"><strong>{e(wording.ANONYMOUS_WARNING)}</strong></p>")
    allowed = wording.limits(facts.file_max_bytes // MB, facts.case_left_bytes / MB,
                             kinds.ALLOWED_LIST, facts.max_files)
    parts.append(f"<p>{e(allowed)}</p>")
    parts.append(f"<p>{e(wording.WHAT_HAPPENS)}</p>")
    parts.append(f"<p>{e(wording.SCRUBBED if facts.scrub_always else wording.NAMED_SCRUB)}</p>")
    # The checkbox comes before the files: the body is read in order, each file as it arrives.
    parts.append("<form method=\"post\" enctype=\"multipart/form-data\">")
    if not facts.scrub_always:
        parts.append(f"<p><label><input type=\"checkbox\" name=\"scrub\" value=\"yes\"> "
                     f"{e(wording.SCRUB_CHOICE)}</label></p>")
    parts.append(f"<p><label>{e(wording.CHOOSE_FILES)}: <input type=\"file\" name=\"files\" "
                 "multiple required></label></p>")
    parts.append(f"<p><button type=\"submit\">{e(wording.SEND)}</button></p></form>")
    return "".join(parts)


def _download_form(facts: DownloadPage) -> str:
    e = html.escape
    facts_line = wording.download_facts(facts.code, kinds.label(facts.kind),
                                        wording.size(facts.size))
    # no action: the form posts to this page's own URL (the link), which only then is used
    return (f"<h1>{e(wording.download_heading(facts.name))}</h1><p>{e(facts_line)}</p>"
            f"<p class=\"note\">{e(wording.DOWNLOAD_NOTE)}</p>"
            f"<form method=\"post\"><p><button type=\"submit\">{e(wording.DOWNLOAD_BUTTON)}"
            "</button></p></form>")


def _result(upload: Upload) -> str:
    e = html.escape
    parts = [f"<h1>{e(wording.RESULT_TITLE)}</h1><p>{e(wording.RESULT_INTRO)}</p>"]
    if upload.stored:
        parts.append(f"<h2>{e(wording.STORED)}</h2><ul>")
        for f in upload.stored:
            removed = "; ".join(f.removed) or wording.NOTHING_REMOVED
            parts.append(
                f"<li><strong>{e(f.name)}</strong> ({e(kinds.label(f.kind))}), "
                f"{e(wording.size(f.size))}<br>SHA-256 <code>{e(f.sha256)}</code>"
                f"<br>{e(wording.REMOVED)}: {e(removed)}")
            if f.unchecked:
                parts.append(f"<br>{e(wording.UNCHECKED)}: {e(' '.join(f.unchecked))}")
            parts.append("</li>")
        parts.append("</ul>")
    if upload.refused:
        parts.append(f"<h2>{e(wording.REFUSED)}</h2><ul>")
        parts += [f"<li><strong>{e(name)}</strong>: {e(reason)}</li>"
                  for name, reason in upload.refused]
        parts.append("</ul>")
    return "".join(parts)


# --- handlers ------------------------------------------------------------------------------------

async def upload_page(request: web.Request) -> web.Response:
    pages = request.app[PAGES_KEY]
    facts = await asyncio.to_thread(pages.desk.page, request.match_info["secret"])
    if facts is None:
        return _plain(wording.LINK_GONE, 410)
    return _page(wording.PAGE_TITLE, _form(facts))


async def upload(request: web.Request) -> web.Response:
    pages = request.app[PAGES_KEY]
    if pages.running >= pages.max_uploads:  # the link is not used: it works again in a minute
        response = _plain(wording.BUSY, 503)
        response.headers["Retry-After"] = "60"
        return response
    pages.running += 1
    try:
        return await _upload(request, pages)
    finally:
        pages.running -= 1


async def _upload(request: web.Request, pages: Pages) -> web.Response:
    desk = pages.desk
    taken = await asyncio.to_thread(desk.begin, request.match_info["secret"])
    if taken is None:
        return _plain(wording.LINK_GONE, 410)
    upload = taken
    try:
        async with asyncio.timeout(pages.request_timeout):
            await _read(request, pages, upload)
        if not upload.stored and not upload.refused:
            raise StopUpload(wording.NO_FILES, 400)
        await asyncio.to_thread(desk.finish, upload)
    except StopUpload as stop:
        await _abandon(desk, upload)
        return _plain(stop.page, stop.status)
    except TimeoutError:
        await _abandon(desk, upload)
        return _plain(wording.TOO_SLOW, 408)
    except (ValueError, AssertionError, LookupError, UnicodeError, HttpProcessingError) as exc:
        # aiohttp's reader says a malformed body so (no boundary, a bad header, a cut part)
        log.info("an upload's body was malformed: %s", type(exc).__name__)
        await _abandon(desk, upload)
        return _plain(wording.MALFORMED, 400)
    except BaseException:  # the client went away (a cancelled handler): keep nothing, then go
        await asyncio.shield(_abandon(desk, upload))
        raise
    return _page(wording.RESULT_TITLE, _result(upload))


async def _abandon(desk: Desk, upload: Upload) -> None:
    await asyncio.to_thread(desk.abandon, upload)


async def _read(request: web.Request, pages: Pages, upload: Upload) -> None:
    if not request.content_type.startswith("multipart/form-data"):
        raise ValueError("not multipart")
    reader = await request.multipart()
    scrub = False
    files = 0

    async def within(step: Awaitable[_T]) -> _T:
        return await asyncio.wait_for(step, pages.read_timeout)

    while True:
        part = await within(reader.next())
        if part is None:
            return
        if not isinstance(part, BodyPartReader):
            raise ValueError("a nested multipart body")
        if part.name == "scrub":
            value = await within(part.read_chunk(64))
            scrub = scrub or bool(value)
            continue
        if part.name != "files" or part.filename is None:
            raise ValueError("an unexpected part")
        limit = min(upload.file_max, upload.left)
        data = bytearray()
        while chunk := await within(part.read_chunk(READ)):
            data += chunk
            if len(data) > limit:
                raise StopUpload(wording.TOO_LARGE, 413)
        if not part.filename and not data:
            continue  # the browser's empty file field
        files += 1
        if files > MAX_FILES:
            raise StopUpload(wording.TOO_MANY_FILES, 413)
        await asyncio.to_thread(pages.desk.add, upload, part.filename, bytes(data),
                                scrub_asked=scrub)


async def download_page(request: web.Request) -> web.Response:
    """The GET of a download link: a page naming the file, with a Download button (a form, no
    JavaScript) that POSTs to the same URL. Nothing is used up, so a URL scanner or a
    TLS-inspecting proxy that fetches the link leaves it to its member."""
    desk = request.app[PAGES_KEY].desk
    facts = await asyncio.to_thread(desk.download_page, request.match_info["secret"])
    if facts is None:
        return _plain(wording.LINK_GONE, 410)
    return _page(wording.DOWNLOAD_PAGE_TITLE, _download_form(facts))


async def download(request: web.Request) -> web.StreamResponse:
    desk = request.app[PAGES_KEY].desk
    taken = await asyncio.to_thread(desk.download, request.match_info["secret"])
    if taken is None:
        return _plain(wording.LINK_GONE, 410)
    ascii_name = taken.name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    response = web.StreamResponse(headers={
        **HEADERS, "Content-Type": taken.media_type, "Content-Length": str(taken.size),
        "Content-Disposition": (f"attachment; filename=\"{ascii_name}\"; "
                                f"filename*=UTF-8''{quote(taken.name, safe='')}")})
    await response.prepare(request)
    pieces = desk.pieces(taken)
    while (piece := await asyncio.to_thread(next, pieces, None)) is not None:
        await response.write(piece)
    await response.write_eof()
    return response


