"""The newer paths, each beside a yardstick measured in the same run: a confidential report's
submission (its reporter sealed in a row of its own) against a named one of the same draft; a
designation and a designee opening the case against a member opening it; and an evidence file
sealed in pieces, stored and read back whole, against plain AES-GCM over the same bytes."""

from __future__ import annotations

import os
import secrets
from dataclasses import replace
from datetime import timedelta

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Column, Integer, LargeBinary, MetaData, String, insert, select
from sqlalchemy import Table as SqlTable

from bench.common import Table, check, fresh_database, make_core, timed
from bench.storage_bench import DRAFT
from bot import committee, designations
from bot.core import Core
from bot.evidence import store
from bot.reports import db_submit
from storage import identities
from storage.identities import PlatformAccount
from storage.models import Person, Report
from storage.vocabulary import DesignationScope, PersonKind, Platform, Role


def _people(db, core: Core) -> tuple[Person, Person, list[Person]]:  # type: ignore[no-untyped-def]
    """An officer, the committee's chair, and designees (outside counsel), each with a Slack id
    (so their notices have a route, as on a company's roster)."""
    with db.write() as session:
        officer = Person(name="Bench Officer", email="bench@example.com",
                         kind=PersonKind.OFFICER, role=Role.CFO)
        chair = Person(name="Bench Chair", email="chair@example.com", kind=PersonKind.COMMITTEE,
                       chair=True)
        designees = [Person(name=f"Counsel {i}", email=f"counsel{i}@example.com",
                            kind=PersonKind.DESIGNEE, affiliation="outside counsel")
                     for i in range(3)]
        session.add_all([officer, chair, *designees])
        session.flush()
        for i, person in enumerate([officer, chair, *designees]):
            assert person.id is not None
            identities.db_add(session, core.vault,
                              PlatformAccount(person.id, Platform.SLACK, f"U{i:08d}"))
    return officer, chair, designees


def confidential_submission(backend: str, count: int) -> list[str]:
    """`count` reports, one transaction each, named then confidential (the same draft)."""
    core = make_core()
    with fresh_database(backend) as db:
        officer, _, _ = _people(db, core)

        def submit(draft) -> None:  # type: ignore[no-untyped-def]
            for _ in range(count):
                with db.write() as session:
                    db_submit(session, core, draft=draft, person=officer, platform=Platform.SLACK)

        t_named = timed(lambda: submit(DRAFT))
        t_confidential = timed(lambda: submit(replace(DRAFT, confidential=True)))
    per_named, per_conf = t_named / count * 1000, t_confidential / count * 1000
    return check(f"{backend}, {count} reports", f"{per_conf:.1f} ms", f"{per_named:.1f} ms",
                 f"{per_conf / per_named:.2f}", "—", None)


def designation_paths(backend: str, count: int) -> list[list[str]]:
    """The chair designates someone on a case (`count` cases); then the designee and a member
    each open every case (`committee.db_view`: the case gate, the view, its audit event)."""
    core = make_core()
    with fresh_database(backend) as db:
        officer, chair, designees = _people(db, core)
        report_ids = []
        for _ in range(count):
            with db.write() as session:
                report_ids.append(db_submit(session, core, draft=DRAFT, person=officer,
                                            platform=Platform.SLACK).report_id)
        until = core.today() + timedelta(days=90)

        def designate() -> None:
            for report_id in report_ids:
                with db.write() as session:
                    report = session.get(Report, report_id)
                    assert report is not None
                    assert designations.db_designate(
                        session, core, by=chair, report=report, person=designees[0],
                        scope=DesignationScope.INVESTIGATE, until=until,
                        why="Forensic review of the plant's journal entries") is not None

        def opens(person: Person) -> None:
            for report_id in report_ids:
                with db.write() as session:
                    committee.db_view(session, core, person, report_id)

        t_designate = timed(designate)
        t_designee = timed(lambda: opens(designees[0]), repeat=2)
        t_member = timed(lambda: opens(chair), repeat=2)
    ms = [t / count * 1000 for t in (t_designate, t_designee, t_member)]
    return [check(f"{backend}: designate someone on a case", f"{ms[0]:.1f} ms",
                  f"{ms[2]:.1f} ms (a member opens it)", f"{ms[0] / ms[2]:.2f}", "—", None),
            check(f"{backend}: a designee opens the case", f"{ms[1]:.1f} ms",
                  f"{ms[2]:.1f} ms (a member opens it)", f"{ms[1] / ms[2]:.2f}", "—", None)]


_plain = MetaData()
PLAIN_PIECES = SqlTable("bench_plain_piece", _plain,
                        Column("file_id", String(32), primary_key=True),
                        Column("seq", Integer, primary_key=True),
                        Column("body", LargeBinary, nullable=False))


def evidence_file(backend: str, size: int) -> list[list[str]]:
    """A file of `size` random bytes sealed in pieces and stored (one transaction), then read
    back whole and checked (`store.db_read_all`); against AES-GCM alone over the same pieces,
    and against AES-GCM with a plain insert (one transaction) or select of the sealed pieces."""
    core = make_core()
    data = os.urandom(size)
    key, aad = AESGCM.generate_key(bit_length=256), b"bench"
    pieces = [data[i:i + store.CHUNK] for i in range(0, size, store.CHUNK)]
    nonce = secrets.token_bytes(12)
    blobs = [AESGCM(key).encrypt(nonce, p, aad) for p in pieces]

    def seal() -> list[bytes]:
        return [AESGCM(key).encrypt(secrets.token_bytes(12), piece, aad) for piece in pieces]

    def open_all() -> bytes:
        opened = b"".join(AESGCM(key).decrypt(nonce, b, aad) for b in blobs)
        assert opened == data
        return opened

    with fresh_database(backend) as db:
        _plain.create_all(db.engine)
        officer, _, _ = _people(db, core)
        with db.write() as session:
            report_id = db_submit(session, core, draft=DRAFT, person=officer,
                                  platform=Platform.SLACK).report_id
        stored: list[store.StoredFile] = []

        def add() -> None:
            with db.write() as session:
                stored.append(store.db_add(
                    session, core, owner=report_id, name="ledger.pdf", kind="pdf", data=data,
                    added_by=store.Adder("member", 2, "Bench Chair"), removed=(), unchecked=()))

        def read() -> None:
            with db.read() as session:
                assert store.db_read_all(session, core, stored[-1]) == data

        plain_ids: list[str] = []

        def plain_add() -> None:
            plain_ids.append(secrets.token_hex(12))
            with db.write() as session:
                session.execute(insert(PLAIN_PIECES), [
                    {"file_id": plain_ids[-1], "seq": seq, "body": body}
                    for seq, body in enumerate(seal())])

        def plain_read() -> None:
            with db.engine.connect() as connection:
                rows = connection.execute(
                    select(PLAIN_PIECES.c.body).where(PLAIN_PIECES.c.file_id == plain_ids[-1])
                    .order_by(PLAIN_PIECES.c.seq)).all()
            assert len(rows) == len(pieces)
            open_all()

        t_add, t_read = timed(add, repeat=2), timed(read, repeat=2)
        t_plain_add, t_plain_read = timed(plain_add, repeat=2), timed(plain_read, repeat=2)
    t_seal, t_open = timed(seal, repeat=3), timed(open_all, repeat=3)
    mb = size / 2**20
    return [[f"{backend}: store {mb:.0f} MB",
             f"{t_add * 1000:,.0f} ms ({mb / t_add:,.0f} MB/s)",
             f"{t_seal * 1000:,.1f} ms", f"{t_add / t_seal:,.1f}",
             f"{t_plain_add * 1000:,.0f} ms", f"{t_add / t_plain_add:,.2f}"],
            [f"{backend}: read {mb:.0f} MB back",
             f"{t_read * 1000:,.0f} ms ({mb / t_read:,.0f} MB/s)",
             f"{t_open * 1000:,.1f} ms", f"{t_read / t_open:,.1f}",
             f"{t_plain_read * 1000:,.0f} ms", f"{t_read / t_plain_read:,.2f}"]]


COLUMNS = ["what", "Candor", "yardstick", "ratio", "target", "result"]


def run(backends: list[str], *, quick: bool) -> list[Table]:
    count = 10 if quick else 200
    size = (1 if quick else 16) * 2**20
    return [
        Table("Confidential report submission vs a named one (same draft, one transaction each)",
              COLUMNS, [confidential_submission(b, count) for b in backends]),
        Table("Designations: designating someone, and a designee opening the case, vs a member "
              "opening it", COLUMNS,
              [row for b in backends for row in designation_paths(b, count)]),
        Table("Evidence files: sealed in pieces and stored, read back whole, vs AES-GCM alone "
              "over the same bytes", ["what", "Candor", "AES-GCM alone", "ratio",
                                      "AES-GCM + plain insert/select", "ratio"],
              [row for b in backends for row in evidence_file(b, size)]),
    ]
