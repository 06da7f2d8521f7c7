"""Report submission (sealed report + data keys + audit event + outbox row, one transaction
each) against plain inserts of the same number of rows of the same sizes, one transaction each;
the sweep's cost as the company grows against one indexed read of the same rows; and resolving
a platform id to its person (every event does it: a keyed tag, the sealed identity row opened)
against one primary-key read."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import (
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    insert,
    text,
)
from sqlalchemy import select as core_select
from sqlmodel import select

from bench.common import Table as Out
from bench.common import fresh_database, make_core, timed
from bot.core import db_resolve
from bot.intake import Draft, Step
from bot.messages import Actor
from bot.reports import db_submit
from bot.sweep import Sweeper
from storage import identities
from storage.identities import PlatformAccount
from storage.models import Person, Report
from storage.vocabulary import CaseStatus, Category, PersonKind, Platform, Role

_plain = MetaData()
PLAIN = Table("bench_plain", _plain, Column("id", String(32), primary_key=True),
              Column("kind", String(16), nullable=False),
              Column("body", LargeBinary, nullable=False))
# What one submission writes, row by row; the plain run writes the same rows, unsealed.
SUBMISSION_TABLES = [("report", "body"), ("datakey", "wrapped"), ("auditevent", "detail"),
                     ("outboxmessage", "body")]

DRAFT = Draft(step=Step.REVIEW, category=Category.FRAUD, texts={
    "what": "Quarter-end revenue is recognised before delivery at the northern plant. " * 8,
    "who": "The plant controller and the regional sales director", "when": "Since Q3",
    "evidence": "Journal entries in the ledger", "known": None}, anonymous=False)


# Where a submission's time went (issue 25, cProfile and statement counts): about 55% was the
# ORM (SQLModel's __init__ of each row, the unit of work's flush with RETURNING of the data keys'
# ids, autoflush before each query); the rows are now written with Core statements, and Python
# calls per submission fell from 4,890 to 2,218 (SQLite; 5,825 to 3,010 on PostgreSQL; a plain
# transaction here makes 475 / 784). The key wrapping (AES-GCM under the master key) and the
# audit MAC (one HMAC) were small. What remained was a statement per row, each a round trip on
# PostgreSQL; a third session cut them from 8 to 5 against the plain's one executemany (the
# report written where its code is free, its alert, both data keys in one executemany, the
# audit chain's lock and head in one call, its link) and SQLite's SAVEPOINT and RELEASE around
# a unit of work alone in its batch. A fourth matched keyed tags by equality (an IN list is
# expanded anew at each call) and built the returned report without validation. SQLAlchemy's
# cost per statement is most of the rest (py-spy, and cProfile: 1,326 Python calls a submission).
def submission(backend: str, count: int) -> list[str]:
    """`count` of each, measured in ten rounds taking turns (sealed, plain, plain ORM), so that
    the three meet the same machine: on a shared one, its speed moves by a fifth or more within a
    minute, and measured one after the other the ratio moved with it."""
    core = make_core()
    with fresh_database(backend) as db:
        _plain.create_all(db.engine)
        with db.write() as session:
            person = Person(name="Bench Officer", email="bench@example.com",
                            kind=PersonKind.OFFICER, role=Role.CFO)
            session.add(person)

        def sealed(n: int) -> None:
            for _ in range(n):
                with db.write() as session:
                    db_submit(session, core, draft=DRAFT, person=person, platform=Platform.SLACK)

        # A first round, not timed, gives the rows' sizes (a read inside the timed transactions
        # would be counted as part of a submission: it is not one of its statements).
        warm = max(count // 10, 1)
        sealed(warm)
        rows = _rows_per_submission(db, warm)
        with db.engine.connect() as connection:
            size = int(connection.execute(text("SELECT max(length(body)) FROM report"))
                       .scalar_one())
        report_body = secrets.token_bytes(size)
        made = iter(range(10**9))

        def plain(n: int) -> None:
            for _ in range(n):
                with db.write() as session:
                    session.execute(insert(PLAIN), [{"id": secrets.token_hex(12), "kind": kind,
                                                     "body": body}
                                                    for kind, body in rows])

        def plain_orm(n: int) -> None:
            for _ in range(n):
                with db.write() as session:
                    session.add(Report(code=f"P{next(made):07d}", category=Category.FRAUD,
                                       anonymous=True, body=report_body))

        t_sealed = t_plain = t_orm = 0.0
        for _ in range(10):
            share = count // 10
            t_sealed += timed(lambda n=share: sealed(n))
            t_plain += timed(lambda n=share: plain(n))
            t_orm += timed(lambda n=share: plain_orm(n))
    done = count // 10 * 10
    rate_sealed, rate_plain, rate_orm = done / t_sealed, done / t_plain, done / t_orm
    return [backend, str(done), f"{rate_sealed:,.0f}/s", f"{rate_plain:,.0f}/s",
            f"{rate_orm:,.0f}/s", f"{rate_sealed / rate_plain:.2f}",
            f"{rate_sealed / rate_orm:.2f}", "≥ 0.5",
            "pass" if rate_sealed / rate_plain >= 0.5 else "FAIL"]


def _rows_per_submission(db, count: int) -> list[tuple[str, bytes]]:  # type: ignore[no-untyped-def]
    """The rows one submission wrote: how many of each kind, each as random bytes of its sealed
    column's average length plus 64 for the row's other columns (ids, times, hashes)."""
    rows: list[tuple[str, bytes]] = []
    with db.engine.connect() as connection:
        for table, column in SUBMISSION_TABLES:
            found, total = connection.execute(
                text(f"SELECT count(*), coalesce(sum(length({column})), 0) FROM {table}")).one()
            per_submission = max(round(found / count), 1)
            rows += ([(table, secrets.token_bytes(max(int(total / max(found, 1)), 1) + 64))]
                     * per_submission)
    return rows


def _populate(db, size: int, now: datetime) -> None:  # type: ignore[no-untyped-def]
    """`size` officers not yet due and `size` open, acknowledged cases: nothing is due, so the
    sweep's cost is reading and judging, not writing."""
    persons = [{"email": f"o{i}@example.com", "name": f"Officer {i}",
                "kind": PersonKind.OFFICER.name, "role": Role.CONTROLLER.name, "chair": False,
                "active": True, "attestation_due": date(2027, 9, 30), "created_at": now}
               for i in range(size)]
    persons.append({"email": "chair@example.com", "name": "Chair",
                    "kind": PersonKind.COMMITTEE.name, "role": None, "chair": True,
                    "active": True, "attestation_due": None, "created_at": now})
    reports = [{"id": secrets.token_hex(12), "code": f"B{i:08d}", "category": Category.OTHER.name,
                "status": CaseStatus.UNDER_REVIEW.name, "anonymous": True, "reporter_tag": None,
                "secret_hash": None, "received_at": now - timedelta(days=1),
                "acknowledged_at": now - timedelta(hours=20), "acknowledged_by": None,
                "closed_at": None, "last_feedback_at": now - timedelta(hours=10),
                "legal_hold": False, "shredded_at": None, "body": b"x" * 200} for i in range(size)]
    with db.engine.begin() as connection:
        connection.execute(insert(Person.__table__), persons)  # type: ignore[attr-defined]
        connection.execute(insert(Report.__table__), reports)  # type: ignore[attr-defined]


# What the sweep reads of each officer and each open case (bot/sweep.py).
PERSON_COLUMNS = (Person.id, Person.name, Person.attestation_due)
REPORT_COLUMNS = (Report.id, Report.code, Report.category, Report.received_at,
                  Report.acknowledged_at, Report.last_feedback_at)


def sweep_cost(backend: str, sizes: list[int]) -> list[list[str]]:
    now = datetime(2026, 11, 10, 14, 0, tzinfo=UTC)
    rows = []
    per_row = []
    for size in sizes:
        core = make_core()
        with fresh_database(backend) as db:
            _populate(db, size, now)
            sweeper = Sweeper(db, core, core.schedule)

            def scan() -> None:
                # One Core SELECT of the columns the sweep judges by (tuples, not ORM objects).
                with db.engine.connect() as connection:
                    connection.execute(core_select(*PERSON_COLUMNS)
                                       .where(Person.kind == PersonKind.OFFICER,
                                              Person.active == True)).all()  # noqa: E712
                    connection.execute(core_select(*REPORT_COLUMNS)
                                       .where(Report.status != CaseStatus.CLOSED,
                                              Report.shredded_at.is_(None))).all()  # type: ignore[union-attr]

            t_sweep = timed(lambda: sweeper.run(now), repeat=2)  # noqa: B023
            t_scan = timed(scan, repeat=2)
        per_row.append(t_sweep / size)
        growth = f"{per_row[-1] / per_row[0]:.2f}x" if len(per_row) > 1 else "1.00x"
        ok = t_sweep / t_scan <= 3 and (len(per_row) == 1 or per_row[-1] / per_row[0] <= 1.5)
        rows.append([backend, f"{size:,}", f"{t_sweep * 1000:,.0f} ms", f"{t_scan * 1000:,.0f} ms",
                     f"{t_sweep / t_scan:.2f}", growth, "pass" if ok else "FAIL"])
    return rows


PLAIN_IDENTITY = Table("bench_plain_identity", _plain, Column("person_id", Integer, nullable=False),
                       Column("platform", String(16), nullable=False),
                       Column("platform_user_id", String(64), nullable=False),
                       UniqueConstraint("platform", "platform_user_id"))


def resolve_cost(backend: str, people: int) -> list[str]:
    """`people` officers with a Slack id each, each resolved once (a fresh id each time, so no row
    comes from the session's cache) in one read session, as an event's unit of work does; against
    the plain lookup Candor made before 0008 (one join on a plain (platform, user id) index)."""
    core = make_core()
    with fresh_database(backend) as db:
        _plain.create_all(db.engine)
        with db.write() as session:
            persons = [Person(name=f"Officer {i}", email=f"o{i}@example.com",
                              kind=PersonKind.OFFICER, role=Role.CONTROLLER) for i in range(people)]
            session.add_all(persons)
            session.flush()
            for i, person in enumerate(persons):
                assert person.id is not None
                identities.db_add(session, core.vault,
                                  PlatformAccount(person.id, Platform.SLACK, f"U{i:08d}"))
            session.execute(insert(PLAIN_IDENTITY), [{"person_id": p.id, "platform": "slack",
                                                      "platform_user_id": f"U{i:08d}"}
                                                     for i, p in enumerate(persons)])
        actors = [Actor(Platform.SLACK, f"U{i:08d}") for i in range(people)]

        def sealed() -> None:
            with db.read() as session:
                for actor in actors:
                    assert db_resolve(session, core, actor) is not None

        def plain() -> None:
            with db.read() as session:
                for actor in actors:
                    session.exec(select(Person).join(PLAIN_IDENTITY,
                                                     PLAIN_IDENTITY.c.person_id == Person.id)
                                 .where(PLAIN_IDENTITY.c.platform == actor.platform.value,
                                        PLAIN_IDENTITY.c.platform_user_id == actor.user_id)).one()

        t_sealed, t_plain = timed(sealed, repeat=3), timed(plain, repeat=3)
    per_sealed, per_plain = t_sealed / people * 1e6, t_plain / people * 1e6
    return [backend, f"{people:,}", f"{per_sealed:,.0f} µs", f"{per_plain:,.0f} µs",
            f"{per_sealed / per_plain:.1f}"]


def run(backends: list[str], *, count: int, sizes: list[int]) -> list[Out]:
    return [
        Out("Report submission: sealed report + audit + outbox per transaction vs plain insert",
            ["backend", "reports", "sealed", "plain (same rows, Core)", "plain (report row, ORM)",
             "ratio vs Core", "ratio vs ORM", "target (vs Core)", "result"],
            [submission(b, count) for b in backends]),
        Out("Sweep cost (officers + open cases, nothing due) vs one Core SELECT of the same "
            "columns",
            ["backend", "rows each", "sweep", "Core SELECT", "sweep/SELECT (≤ 3)",
             "cost per row vs smallest (linear)", "result"],
            [row for b in backends for row in sweep_cost(b, sizes)]),
        Out("Resolving a platform id to its person (every event): sealed identity vs plain join",
            ["backend", "people", "sealed (keyed tag, open)", "plain join (before 0008)", "ratio"],
            [resolve_cost(b, count) for b in backends]),
    ]
