"""Evidence files through the core, on SQLite and PostgreSQL: the links handed out in private
windows (the receipt, the reporter's case view, a member's case view), single use and expiry,
sealed storage in pieces, the held anonymous report's files moving to its case, the case gate
for downloads, chain of custody in the audit log, key rotation, retention's shred, export."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot import keys, retention
from bot.evidence import store
from bot.evidence.desk import Desk, StopUpload
from bot.evidence.limits import MB, EvidenceSettings
from bot.messages import Document, Reply
from bot.pending import Recorder
from bot.wording import files as wording
from storage.crypto import ShreddedError, Vault
from storage.models import AuditEvent, DataKey, EvidenceChunk, EvidenceFile, FileLink, Report
from storage.vocabulary import RecordKind
from tests.support.evidence_files import (
    AUTHOR,
    jpeg_gps,
    jpeg_with_gps,
    program,
    word_author,
    word_file,
    word_text,
)
from tests.support.world import World, text_of

CANARY = "CANARY-evidence-7c1e"
BASE = "https://candor.example.com"
LINK = re.compile(re.escape(BASE) + r"/files/(add|get)/([A-Za-z0-9_-]{43})")


@pytest.fixture
def w(world: World) -> World:
    world.core.evidence = EvidenceSettings(public_url=BASE, file_max_bytes=2 * MB,
                                           case_max_bytes=4 * MB)
    return world


def links_in(replies: list[Reply]) -> list[tuple[str, str]]:
    return LINK.findall(text_of(replies))


def file_named(w: World, *, exclude: list[str] | None = None, who: str = "cfo") -> tuple[Report, str]:
    replies = w.submit(who, "intake", {
        "category": "fraud", "what": f"Revenue booked early {CANARY}", "who": "the controller",
        "anonymous": "no", "exclude": [str(w.people[k].id) for k in exclude or []]})
    [(purpose, secret)] = links_in(replies)
    assert purpose == "add"
    with w.db.read() as session:
        report = session.exec(select(Report).order_by(col(Report.received_at).desc())).first()
    assert report is not None
    return report, secret


def upload(desk: Desk, secret: str, *files: tuple[str, bytes], scrub: bool = False):
    taken = desk.begin(secret)
    assert taken is not None
    for name, data in files:
        desk.add(taken, name, data, scrub_asked=scrub)
    desk.finish(taken)
    return taken


def audits(w: World, action: str) -> list[AuditEvent]:
    with w.db.read() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)
                                 .order_by(col(AuditEvent.seq))).all())


def download(w: World, who: str, file_id: str) -> bytes | None:
    replies = w.click(who, f"file:get:{file_id}")
    found = links_in(replies)
    if not found:
        return None
    [(purpose, secret)] = found
    assert purpose == "get" and isinstance(replies[0], Document)
    desk = Desk(w.db, w.core)
    taken = desk.download(secret)
    assert taken is not None
    data = b"".join(desk.pieces(taken))
    assert desk.download(secret) is None  # single use
    return data


def test_named_reporter_adds_a_word_file_and_a_member_downloads_it(w: World):
    # Given a named report: its receipt (a private document) carries an upload link
    report, secret = file_named(w)
    desk = Desk(w.db, w.core)
    page = desk.page(secret)
    assert page is not None and page.code == report.code and not page.anonymous
    assert page.file_max_bytes == 2 * MB and page.case_left_bytes == 4 * MB
    # When the reporter sends a Word file (keeping its details) and a program
    taken = upload(desk, secret, ("ledger.docx", word_file(CANARY)), ("tool.exe", program()))
    assert [f.name for f in taken.stored] == ["ledger.docx"]
    assert [name for name, _ in taken.refused] == ["tool.exe"]
    # Then the link is spent
    assert desk.page(secret) is None and desk.begin(secret) is None
    # And a member's case view lists the file, with Add documents and Download
    view = w.click("member", f"case:view:{report.id}")
    shown = text_of(view)
    assert "ledger.docx" in shown and wording.THE_REPORTER in shown and "Word document" in shown
    [stored] = taken.stored
    assert f"file:get:{stored.id}" in [c.value for c in view[0].choices]  # type: ignore[union-attr]
    assert f"case:addfiles:{report.id}" in [c.value for c in view[0].choices]  # type: ignore[union-attr]
    data = download(w, "member", stored.id)
    assert data is not None and CANARY in word_text(data)
    assert word_author(data)[0] == AUTHOR  # a named reporter's file keeps its details unless asked
    # And the chain of custody: the hash audited is the hash of what is downloaded
    [added] = audits(w, "file.added")
    detail = json.loads(added.detail)
    assert detail["sha256"] == hashlib.sha256(data).hexdigest() == stored.sha256
    assert added.actor == "reporter" and detail["by"] == "reporter" and detail["type"] == "docx"
    assert {json.loads(a.detail)["purpose"] for a in audits(w, "file.link_issued")} == {
        "upload", "download"}
    assert len(audits(w, "file.link_used")) == 2 and len(audits(w, "file.downloaded")) == 1
    assert json.loads(audits(w, "file.refused")[0].detail) == {"files": 1}


def test_names_are_removed_on_request(w: World):
    report, secret = file_named(w)
    taken = upload(Desk(w.db, w.core), secret, ("ledger.docx", word_file(CANARY)), scrub=True)
    [stored] = taken.stored
    assert stored.removed
    data = download(w, "chair", stored.id)
    assert data is not None and AUTHOR not in word_author(data) and CANARY in word_text(data)


def test_an_excluded_member_sees_no_files_and_gets_no_link(w: World):
    report, secret = file_named(w, exclude=["member2"])
    [stored] = upload(Desk(w.db, w.core), secret, ("ledger.docx", word_file(CANARY))).stored
    assert "ledger.docx" not in text_of(w.click("member2", f"case:view:{report.id}"))
    for value in (f"file:get:{stored.id}", f"case:addfiles:{report.id}"):
        replies = w.click("member2", value)
        assert not links_in(replies)
    refused = [json.loads(a.detail)["attempt"] for a in audits(w, "case.refused")]
    assert "files.download" in refused and "files.add" in refused
    with w.db.read() as session:
        assert session.exec(select(FileLink)).all() == []


def test_a_member_kept_away_after_the_link_was_issued_cannot_use_it(w: World):
    report, secret = file_named(w)
    [stored] = upload(Desk(w.db, w.core), secret, ("ledger.docx", word_file(CANARY))).stored
    [(_, link)] = links_in(w.click("member2", f"file:get:{stored.id}"))
    w.click("chair", f"case:exclude:{report.id}")
    w.submit("chair", f"exclude:{report.id}", {"member": str(w.people["member2"].id)})
    assert Desk(w.db, w.core).download(link) is None


def test_links_expire_and_say_nothing_when_unknown(w: World):
    report, secret = file_named(w)
    desk = Desk(w.db, w.core)
    assert desk.page("x" * 43) is None and desk.begin("") is None
    w.clock.advance(minutes=31)
    assert desk.page(secret) is None and desk.begin(secret) is None
    assert len(audits(w, "file.link_refused")) == 1
    with w.db.read() as session:  # the expired link's row and key are gone
        assert session.exec(select(FileLink)).all() == []
        assert session.exec(select(DataKey).where(DataKey.record_kind == "file_link")).all() == []


def test_limits_of_a_file_and_of_a_case(w: World):
    report, secret = file_named(w)
    desk = Desk(w.db, w.core)
    taken = desk.begin(secret)
    assert taken is not None
    big = b"a,b\n" + b"1,2\n" * (MB // 4)  # 1 MB of CSV each
    desk.add(taken, "one.csv", big, scrub_asked=False)
    desk.add(taken, "two.csv", big, scrub_asked=False)
    desk.add(taken, "three.csv", big, scrub_asked=False)
    with pytest.raises(StopUpload) as stopped:  # the case's 4 MB passed
        desk.add(taken, "four.csv", big + big, scrub_asked=False)
    assert stopped.value.status == 413
    desk.abandon(taken)  # what the page does: nothing of the request is kept
    with w.db.read() as session:
        assert session.exec(select(EvidenceFile)).all() == []
        assert session.exec(select(EvidenceChunk)).all() == []
        assert session.exec(select(DataKey).where(DataKey.record_kind == "evidence_file")).all() == []
    assert audits(w, "file.added") == []


def test_pieces_are_bound_to_their_file_and_place(w: World):
    report, secret = file_named(w)
    data = b"x,y\n" + b"".join(b"%d,%d\n" % (i, i) for i in range(120_000))  # > 3 pieces
    [stored] = upload(Desk(w.db, w.core), secret, ("big.csv", data)).stored
    assert stored.pieces >= 3
    with w.db.write() as session:
        first = session.get(EvidenceChunk, (stored.id, 0))
        second = session.get(EvidenceChunk, (stored.id, 1))
        first.body, second.body = second.body, first.body
        session.add_all([first, second])
    with w.db.read() as session, pytest.raises(store.FileDamaged):
        store.db_read_all(session, w.core, stored)
    with w.db.write() as session:  # put back, then cut the last piece off
        first = session.get(EvidenceChunk, (stored.id, 0))
        second = session.get(EvidenceChunk, (stored.id, 1))
        first.body, second.body = second.body, first.body
        session.add_all([first, second])
    with w.db.read() as session:
        assert store.db_read_all(session, w.core, stored) == data
    with w.db.write() as session:
        session.delete(session.get(EvidenceChunk, (stored.id, stored.pieces - 1)))
    with w.db.read() as session, pytest.raises(store.FileDamaged):
        store.db_read_all(session, w.core, stored)


def test_a_held_anonymous_report_keeps_its_files_until_recorded(w: World):
    # Given an anonymous report held for its random delay
    w.core.schedule = replace(w.core.schedule, anonymous_delay_minutes=60)
    replies = w.submit("controller", "intake", {
        "category": "fraud", "what": f"Counts overridden {CANARY}", "who": "the plant manager",
        "anonymous": "yes"})
    [(_, secret)] = links_in(replies)
    assert "personal device" in text_of(replies)  # the warning about the company's network
    desk = Desk(w.db, w.core)
    page = desk.page(secret)
    assert page is not None and page.anonymous and page.scrub_always
    # When the reporter sends a Word file with their name inside and a photo with GPS
    taken = upload(desk, secret, ("counts.docx", word_file(CANARY)), ("shelf.jpg", jpeg_with_gps()))
    assert len(taken.stored) == 2 and all(f.removed for f in taken.stored)
    # Then nothing in the audit log names the held report yet
    assert audits(w, "file.added") == [] and audits(w, "file.link_issued") == []
    with w.db.read() as session:
        assert session.exec(select(Report)).all() == []
    # When the recorder records it, the files move to the case, audited by the day
    assert Recorder(w.db, w.core).run(now=w.clock() + timedelta(hours=2)) == 1
    with w.db.read() as session:
        report = session.exec(select(Report)).one()
    added = audits(w, "file.added")
    assert len(added) == 2 and {a.record_id for a in added} == {report.id}
    assert all(a.actor == "reporter" and a.at.hour == 0 and a.at.minute == 0 for a in added)
    # And a member downloads them: no author, no GPS
    files = {f.name: f for f in _files(w, report.id)}
    word = download(w, "member", files["counts.docx"].id)
    photo = download(w, "member", files["shelf.jpg"].id)
    assert word is not None and AUTHOR not in word_author(word) and CANARY in word_text(word)
    assert photo is not None and jpeg_gps(photo) == {}
    assert AUTHOR.encode() not in photo


def _files(w: World, report_id: str) -> list[store.StoredFile]:
    with w.db.read() as session:
        return store.db_files(session, w.core, report_id)


def test_the_reporters_case_view_offers_add_documents(w: World):
    report, _ = file_named(w)
    view = w.command("cfo", "ethics", f"status {report.code}")
    [value] = [v for v in _choices(view) if v.startswith("files:mine:")]
    replies = w.click("cfo", value)
    [(purpose, secret)] = links_in(replies)
    assert purpose == "add" and isinstance(replies[0], Document)
    assert Desk(w.db, w.core).page(secret) is not None
    # another officer clicking the same button gets nothing
    assert not links_in(w.click("controller", value))


@pytest.mark.parametrize("mode", ["yes", "confidential"])
def test_anonymous_and_confidential_reporters_case_views_offer_add_documents(w: World, mode: str):
    # Given an anonymous (or a confidential) report, recorded
    receipt = text_of(w.submit("controller", "intake", {
        "category": "fraud", "what": f"Counts overridden {CANARY}", "who": "x", "anonymous": mode}))
    with w.db.read() as session:
        report = session.exec(select(Report)).one()
    secret = re.search(r"Your secret: \*{1,2}([0-9A-Z-]+)\*{1,2}", receipt)
    args = f"{report.code} {secret.group(1)}" if secret else report.code
    issued = len(audits(w, "file.link_issued"))
    # When the reporter checks the case: "Add documents" is beside "Answer the committee"
    view = w.command("controller", "ethics", f"status {args}")
    [value] = [v for v in _choices(view) if v.startswith("files:mine:")]
    assert any(v.startswith("answer:") for v in _choices(view))
    # And clicking it gives a private upload link for this case, with the anonymous warning
    replies = w.click("controller", value)
    [(purpose, link)] = links_in(replies)
    assert purpose == "add" and isinstance(replies[0], Document)
    desk = Desk(w.db, w.core)
    page = desk.page(link)
    assert page is not None and page.code == report.code and page.anonymous and page.scrub_always
    # Then the click wrote no audit row: the link's issue waits for its use
    assert len(audits(w, "file.link_issued")) == issued
    # another officer clicking the same button gets nothing
    assert not links_in(w.click("cfo", value))
    # When the reporter uploads, issue and use are audited, dated by the day
    [stored] = upload(desk, link, ("counts.docx", word_file(CANARY))).stored
    assert stored.removed
    mine = [a for a in audits(w, "file.link_issued") + audits(w, "file.link_used")
            if json.loads(a.detail)["link"] not in _receipt_links(w, receipt)]
    assert sorted(a.action for a in mine) == ["file.link_issued", "file.link_used"]
    assert all(a.actor == "reporter" and a.record_id == report.id
               and (a.at.hour, a.at.minute, a.at.second) == (0, 0, 0) for a in mine)


def test_an_expired_reporters_link_is_audited_issued_and_refused_when_presented(w: World):
    receipt = text_of(w.submit("controller", "intake", {
        "category": "fraud", "what": "Counts overridden", "who": "x", "anonymous": "yes"}))
    secret = re.search(r"Your secret: \*{1,2}([0-9A-Z-]+)\*{1,2}", receipt)
    assert secret
    with w.db.read() as session:
        report = session.exec(select(Report)).one()
    view = w.command("controller", "ethics", f"status {report.code} {secret.group(1)}")
    [value] = [v for v in _choices(view) if v.startswith("files:mine:")]
    [(_, link)] = links_in(w.click("controller", value))
    before = len(audits(w, "file.link_issued"))
    w.clock.moment = w.clock() + timedelta(minutes=31)
    assert Desk(w.db, w.core).begin(link) is None
    assert len(audits(w, "file.link_issued")) == before + 1
    [refused] = audits(w, "file.link_refused")
    assert refused.actor == "reporter" and (refused.at.hour, refused.at.minute) == (0, 0)


def _receipt_links(w: World, receipt: str) -> set[str]:
    """The audit log's short form of the links a receipt carried."""
    return {w.core.vault.tag("file-link", s)[:16] for _, s in LINK.findall(receipt)}


def _choices(replies: list[Reply]) -> list[str]:
    return [c.value for r in replies if isinstance(r, Document) for c in r.choices]


def test_without_a_public_url_no_link_is_offered_and_it_says_so(world: World):
    replies = world.submit("cfo", "intake", {
        "category": "fraud", "what": "Revenue booked early", "who": "x", "anonymous": "no"})
    assert not links_in(replies) and wording.NOT_AVAILABLE in text_of(replies)
    with world.db.read() as session:
        report = session.exec(select(Report)).one()
    view = world.click("member", f"case:view:{report.id}")
    assert wording.NOT_AVAILABLE in text_of(view)
    assert not any(v.startswith("case:addfiles") for v in _choices(view))


def test_key_rotation_rewraps_file_keys_and_the_drill_opens_them(w: World, vault: Vault):
    report, secret = file_named(w)
    [stored] = upload(Desk(w.db, w.core), secret, ("ledger.docx", word_file(CANARY))).stored
    rotated = vault.keyring.rotated()
    assert sum(keys.rewrap(w.db, rotated, batch=50)) > 0
    w.core.vault.keyring = rotated.retired(1)  # the old master key is gone
    with w.db.read() as session:
        key = session.exec(select(DataKey).where(DataKey.record_kind == "evidence_file",
                                                 DataKey.record_id == stored.id)).one()
        assert key.master_version == rotated.current
    opened, failed = keys.open_every_data_key(w.db, w.core.vault)
    assert opened["evidence_file"] == 1 and not failed
    assert CANARY in word_text(download(w, "member", stored.id) or b"")


def test_retention_shreds_the_files(w: World):
    report, secret = file_named(w)
    [stored] = upload(Desk(w.db, w.core), secret, ("ledger.docx", word_file(CANARY))).stored
    [(_, link)] = links_in(w.click("member", f"file:get:{stored.id}"))
    with w.db.write() as session:
        retention.db_shred(session, w.core, session.get(Report, report.id))
    with w.db.read() as session:
        assert store.db_file(session, w.core, stored.id) is None
        assert session.exec(select(EvidenceChunk)).all() == []
        assert session.exec(select(DataKey).where(DataKey.record_kind == RecordKind.EVIDENCE_FILE)).all() == []
        with pytest.raises(ShreddedError):
            w.core.vault.piece_key(session, kind=RecordKind.EVIDENCE_FILE, record_id=stored.id)
    assert Desk(w.db, w.core).download(link) is None


def test_export_writes_the_files_with_their_hashes(w: World, tmp_path):
    from adapters.export import write_case, write_documents
    from bot.admin import Admin

    report, secret = file_named(w)
    upload(Desk(w.db, w.core), secret, ("ledger.docx", word_file(CANARY)))
    case, documents = Admin(w.db, w.core).case_file(report.code, member="alex@example.com",
                                                     operator="test@host")
    path = write_case(case, tmp_path / f"case-{case.code}.md", "md")
    folder = write_documents(documents, path)
    data = (folder / "ledger.docx").read_bytes()
    assert CANARY in word_text(data)
    sums = (folder / "SHA256SUMS").read_text()
    assert f"{hashlib.sha256(data).hexdigest()}  ledger.docx" in sums
    assert hashlib.sha256(data).hexdigest() in path.read_text()
    assert (folder / "ledger.docx").stat().st_mode & 0o077 == 0


def test_a_member_on_an_anonymous_case_is_not_warned_as_a_reporter(w: World):
    replies = w.submit("controller", "intake", {
        "category": "fraud", "what": "Counts overridden", "who": "x", "anonymous": "yes"})
    with w.db.read() as session:
        report = session.exec(select(Report)).one()
    [(_, secret)] = links_in(w.click("member", f"case:addfiles:{report.id}"))
    page = Desk(w.db, w.core).page(secret)
    assert page is not None and not page.anonymous and not page.scrub_always
    assert links_in(replies)  # and the reporter had theirs, in the receipt
