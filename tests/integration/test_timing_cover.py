"""An anonymous report is hidden in time: its reporter's request writes only a sealed pending row
(dated by its day); a recorder records it at a random moment within the delay, in a transaction
that touches nothing of any person, and only then is the committee alerted. Every plain row dates
it by its day; what a person's drafting leaves in plain rows is a day too."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import MetaData, event, text
from sqlmodel import col, select

from bot import codes, followup
from bot.delivery.relay import Relay
from bot.messages import CHANNEL, DirectMessage
from bot.pending import OVERDUE_AFTER, Recorder, db_overdue
from bot.sweep import Sweeper
from storage.db import Database
from storage.models import (
    Attestation,
    AuditEvent,
    CaseMessage,
    Conversation,
    DataKey,
    Exclusion,
    FileLink,
    GuessCount,
    InboundEvent,
    OutboxMessage,
    PendingAnswer,
    PendingReport,
    Report,
    ReportCount,
)
from storage.vocabulary import MessageDirection, Platform
from tests.integration.test_storage_canary import postgres_dump, sqlite_checkpoint, sqlite_files
from tests.support.world import World, build_world, choice_values, text_of

MOMENT = datetime(2026, 11, 2, 10, 17, 43, tzinfo=UTC)
DAY = datetime(2026, 11, 2, tzinfo=UTC)
# What a recording transaction may touch: the case's own rows, its data keys, the pending row
# (and the held report's evidence files, which move to its case).
CASE_TABLES = {"pendingreport", "pendinganswer", "datakey", "report", "exclusion", "auditevent",
               "outboxmessage", "casemessage", "evidencefile",
               "designation"}  # the case's investigators, told of news (issue 22)
CANARY = "CANARY-held-7q"


@pytest.fixture
def world(database, vault) -> World:
    world = build_world(database, vault)
    world.core.schedule = replace(world.core.schedule, anonymous_delay_minutes=60)
    world.clock.moment = MOMENT
    return world


def form_report(world: World, who: str, *, anonymous: bool, form: str = "1", **values: object) -> str:
    return text_of(world.submit(who, f"intake:tok-{who}-{form}", {
        "category": "fraud", "what": f"Invoices are split to stay under the approval limit {CANARY}",
        "anonymous": "yes" if anonymous else "no", **values}))


def code_and_secret(receipt: str) -> tuple[str, str]:
    code = re.search(r"case \*{1,2}([0-9A-Z]{4}-[0-9A-Z]{4})\*{1,2}", receipt)
    secret = re.search(r"Your secret: \*{1,2}([0-9A-Z-]+)\*{1,2}", receipt)
    assert code and secret, receipt
    return code.group(1), secret.group(1)


def rows(world: World | Database, model: type) -> list:
    db = world if isinstance(world, Database) else world.db
    with db.read() as session:
        return list(session.exec(select(model)).all())


def channel_rows(world: World | Database) -> list[OutboxMessage]:
    return [r for r in rows(world, OutboxMessage) if r.key.startswith("alert:")]


def plain_times(world: World) -> list[tuple[str, str, datetime]]:
    """Every time in a plain column of every table: (table, column, value)."""
    found = []
    meta = MetaData()
    meta.reflect(world.db.engine)
    with world.db.engine.connect() as connection:
        for table in meta.sorted_tables:
            for row in connection.execute(table.select()).mappings():
                for column, value in row.items():
                    if isinstance(value, datetime):
                        found.append((table.name, column, value.replace(tzinfo=value.tzinfo or UTC)))
    return found


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """Every SQL statement run on the database's engine inside the block."""
    seen: list[str] = []

    def listen(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)


# A function read from, named by the table it reads (migration 0021: the audit chain's head).
READS = {"candor_audit_head": "auditevent"}


def tables(seen: list[str]) -> set[str]:
    return {READS.get(m.lower(), m.lower()) for s in seen
            for m in re.findall(r'(?:FROM|INTO|(?<!FOR )(?<!DO )UPDATE|JOIN)\s+"?(\w+)"?', s, re.I)}


def written(seen: list[str]) -> set[str]:
    """The tables the statements inserted into, updated or deleted from."""
    return {m.lower() for s in seen
            for m in re.findall(r'(?:INSERT INTO|(?<!FOR )(?<!DO )UPDATE|DELETE FROM)\s+"?(\w+)"?', s, re.I)}


def record(world: World, *, at: datetime | None = None) -> int:
    if at is not None:
        world.clock.moment = at
    return Recorder(world.db, world.core).run()


def status(world: World, who: str, args: str) -> str:
    return text_of(world.command(who, "ethics", f"status {args}"))


# --- the request: a sealed pending row, nothing else ---------------------------------------------


def test_an_anonymous_report_is_held_sealed_and_its_request_writes_nothing_else(world):
    before = {k.id for k in rows(world, DataKey)}  # the roster's sealed platform ids
    # When Sam reports anonymously by the form, a member kept away
    with statements(world.db) as seen:
        receipt = form_report(world, "controller", anonymous=True, exclude=[str(world.people["member"].id)])
    code, secret = code_and_secret(receipt)

    # Then he has his receipt at once, which says the committee is told after a delay
    assert "random delay of up to 60 minutes" in receipt
    # And the request wrote no report, exclusion, audit event or alert: only the pending row, its
    # data key, the form's spent token and its kept receipt, and the day's count of the person's
    # anonymous reports (under a keyed tag of person and day: it names no one without the key)
    assert written(seen) == {"pendingreport", "datakey", "inboundevent", "formreceipt", "reportcount"}
    [count] = rows(world, ReportCount)
    assert (count.reports, count.day) == (1, DAY.date()) and str(world.people["controller"].id) != count.subject
    assert rows(world, Report) == [] and rows(world, Exclusion) == [] and rows(world, OutboxMessage) == []
    assert rows(world, AuditEvent) == []
    [held] = rows(world, PendingReport)
    # Its plain columns: a random id, a keyed tag of the code, the day; the rest sealed
    assert held.received_at.replace(tzinfo=UTC) == DAY
    plain = f"{held.id} {held.code_tag}"
    assert code not in plain and codes.normalise(code) not in plain and CANARY.encode() not in held.body
    assert held.code_tag != code
    assert sorted(k.record_kind for k in rows(world, DataKey) if k.id not in before) == [
        "form_receipt", "pending_report"]


def test_the_recorder_records_it_when_due_and_its_alert_goes_out(world, database_url, vault):
    code, _secret = code_and_secret(form_report(world, "controller", anonymous=True))
    assert record(world) == 0  # not due yet (the delay is at least this request's moment)

    # After a restart (a new engine on the same database: a new process), once the delay is over
    world.db.dispose()
    restarted = Database.from_url(database_url)
    world.clock.moment = MOMENT + timedelta(minutes=61)
    assert Recorder(restarted, world.core).run() == 1

    # Then the report exists, dated by its day, as a report recorded at once would be
    with restarted.read() as session:
        report = session.exec(select(Report)).one()
        assert report.code == code and report.anonymous and report.received_at.replace(tzinfo=UTC) == DAY
        content = vault.unseal(session, kind="report", record_id=report.id, blob=report.body)
        assert CANARY in content["what"] and content["reporter"] is None
        [submitted] = session.exec(select(AuditEvent).where(AuditEvent.action == "report.submitted")).all()
        assert submitted.at.replace(tzinfo=UTC) == DAY and submitted.actor == "reporter"
        # and the pending row is shredded: no row, no data key
        assert session.exec(select(PendingReport)).all() == []
        assert session.exec(select(DataKey).where(DataKey.record_kind == "pending_report")).all() == []
    # Its alert is due now (not since midnight), and goes out showing the day only
    items = [i for i in Relay(restarted, world.core).claim(Platform.CONSOLE) if i.delivery.target == CHANNEL]
    assert len(items) == 1
    assert dict(items[0].delivery.notice.fields)["Received"] == "2026-11-02"
    [alert] = channel_rows(restarted)
    assert alert.due_at.replace(tzinfo=UTC) == world.clock.moment
    assert alert.created_at.replace(tzinfo=UTC) == DAY
    restarted.dispose()


def test_the_moments_recorded_vary_within_the_delay_and_zero_records_at_once(world):
    world.core.schedule = replace(world.core.schedule, anonymous_daily_limit=10)  # one person, 7 reports
    for n in range(6):
        form_report(world, "controller", anonymous=True, form=str(n))
    recorded_at: list[int] = []
    for minute in range(0, 62):
        recorded_at += [minute] * record(world, at=MOMENT + timedelta(minutes=minute))
    assert len(recorded_at) == 6 and len(set(recorded_at)) > 1
    assert all(0 <= m <= 61 for m in recorded_at)

    world.core.schedule = replace(world.core.schedule, anonymous_delay_minutes=0)
    form_report(world, "cfo", anonymous=True)
    assert rows(world, PendingReport) == [] and len(rows(world, Report)) == 7
    newest = max(channel_rows(world), key=lambda r: r.next_attempt_at)
    assert newest.next_attempt_at.replace(tzinfo=UTC) == world.clock.moment  # due at once


def test_a_named_report_is_alerted_at_once_and_keeps_its_time(world):
    form_report(world, "cfo", anonymous=False)
    [row] = channel_rows(world)
    assert row.next_attempt_at.replace(tzinfo=UTC) == MOMENT
    assert rows(world, PendingReport) == []
    with world.db.read() as session:
        assert session.exec(select(Report)).one().received_at.replace(tzinfo=UTC) == MOMENT


def test_a_sweep_records_what_is_due_by_the_real_clock_never_by_a_later_rehearsal(world):
    form_report(world, "controller", anonymous=True)
    sweeper = Sweeper(world.db, world.core, world.core.schedule)
    # A rehearsal a day ahead (`candor sweep --now` in the future) does not cut the delay short
    sweeper.run(MOMENT + timedelta(days=1))
    assert rows(world, Report) == [] and len(rows(world, PendingReport)) == 1
    # Once the clock is past the delay, a sweep records it
    world.clock.moment = MOMENT + timedelta(minutes=61)
    sweeper.run(world.clock.moment)
    assert len(rows(world, Report)) == 1 and rows(world, PendingReport) == []


# --- the recording: nobody's transaction --------------------------------------------------------


@pytest.mark.parametrize("path", ["form", "typed"])
def test_the_recording_transaction_touches_nothing_of_any_person(world, path):
    # Given an anonymous report made by the form, or typed in the chat (the console)
    if path == "form":
        form_report(world, "controller", anonymous=True, exclude=[str(world.people["member"].id)])
    else:
        for line in ["report", "2", f"Expenses inflated {CANARY}", "skip", "done", "skip", "skip", "skip"]:
            world.say("controller", line)
        with statements(world.db) as request:
            world.say("controller", "anonymous")
            replies = text_of(world.say("controller", "submit"))
        assert "Your secret" in replies
        # The request deleted the draft beside the pending row only
        assert {"conversation", "pendingreport"} <= written(request)
        assert not written(request) & {"report", "auditevent", "outboxmessage", "exclusion"}
        assert rows(world, Conversation) == []

    # When the recorder records it
    world.clock.moment = MOMENT + timedelta(minutes=61)
    with statements(world.db) as seen:
        assert Recorder(world.db, world.core).run() == 1

    # Then every statement it ran touched the case's rows, their keys and the pending row only
    assert {"report", "auditevent", "outboxmessage", "pendingreport"} <= tables(seen)
    assert tables(seen) <= CASE_TABLES, tables(seen) - CASE_TABLES
    assert len(rows(world, Report)) == 1


def test_two_recorders_record_each_pending_report_once(world, database_url):
    for n in range(5):
        form_report(world, "controller", anonymous=True, form=str(n))
    world.clock.moment = MOMENT + timedelta(minutes=61)
    # Two servers, each with its own engine, run their recorders at the same moment
    servers = [Database.from_url(database_url) for _ in range(2)]
    recorders = [Recorder(db, world.core) for db in servers]
    start = threading.Barrier(2)
    counts: list[int] = []
    failures: list[BaseException] = []

    def run(recorder: Recorder) -> None:
        start.wait()
        try:
            counts.append(recorder.run())
        except BaseException as exc:  # noqa: BLE001  collected for the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(r,)) for r in recorders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == [] and sum(counts) == 5
    assert len(rows(world, Report)) == 5 and rows(world, PendingReport) == []
    submitted = [e for e in rows(world, AuditEvent) if e.action == "report.submitted"]
    assert len(submitted) == 5 and len(channel_rows(world)) == 5
    for db in servers:
        db.dispose()


def test_a_pending_row_another_recorder_holds_is_skipped(world, database_url):
    form_report(world, "controller", anonymous=True)
    [held] = rows(world, PendingReport)
    now = MOMENT + timedelta(minutes=61)
    other = Database.from_url(database_url)
    try:
        if world.db.is_postgres:
            # While another server holds the row (its recording transaction is open), this one
            # skips it at once instead of recording it too or waiting
            with other.engine.connect() as holder:
                holder.execute(text("SELECT id FROM pendingreport WHERE id = :id FOR UPDATE"), {"id": held.id})
                assert Recorder(world.db, world.core).record(held.id, now=now) == 0
                holder.rollback()
        # Once one has recorded it, the other finds nothing left to record
        assert Recorder(world.db, world.core).record(held.id, now=now) == 1
        assert Recorder(other, world.core).record(held.id, now=now) == 0
    finally:
        other.dispose()
    assert len(rows(world, Report)) == 1


# --- while pending: its reporter's view -------------------------------------------------------


def test_a_pending_case_shows_as_received_with_its_secret_and_is_refused_without(world):
    code, secret = code_and_secret(form_report(world, "controller", anonymous=True))
    world.clock.advance(minutes=1)

    # With the right secret: received, its day, nothing asked yet
    shown = status(world, "controller", f"{code} {secret}")
    assert f"Case {code}" in shown and "Received: 2026-11-02" in shown
    assert "has not asked anything yet" in shown and "10:17" not in shown
    # and no audit row names it before it is recorded
    assert rows(world, AuditEvent) == []

    # A wrong secret is refused like any other, and counted against the guesser
    assert "couldn't open that case" in status(world, "cfo", f"{code} WRONG-SECRET")
    assert sum(g.failures for g in rows(world, GuessCount)) == 1
    for n in range(followup.PERSON_GUESSES - 1):
        status(world, "cfo", f"{code} WRONG{n}")
    assert "Too many of your case checks" in status(world, "cfo", f"{code} {secret}")

    # Once recorded, the same code and secret open the recorded case
    record(world, at=MOMENT + timedelta(minutes=61))
    assert rows(world, PendingReport) == []
    shown = status(world, "controller", f"{code} {secret}")
    assert f"Case {code}" in shown and "Answer the committee" in shown


def test_the_code_of_a_pending_report_is_never_issued_again(world, monkeypatch):
    code, _secret = code_and_secret(form_report(world, "controller", anonymous=True))
    # Given the code generator draws the pending report's code again before another one
    draws = iter([code, code, "ZZZZ-ZZZ1", "ZZZZ-ZZZ2"])
    monkeypatch.setattr(codes, "new_case_code", lambda: next(draws))
    # When a named report and another anonymous one are made meanwhile
    named = form_report(world, "cfo", anonymous=False)
    assert "ZZZZ-ZZZ1" in named
    other, _ = code_and_secret(form_report(world, "cfo", anonymous=True, form="2"))
    # Then neither takes the pending report's code, and it is recorded under it
    assert code not in named and other == "ZZZZ-ZZZ2"
    assert record(world, at=MOMENT + timedelta(minutes=61)) == 2
    assert sorted(r.code for r in rows(world, Report)) == sorted([code, "ZZZZ-ZZZ1", "ZZZZ-ZZZ2"])


def test_a_repeat_submit_of_the_form_while_pending_shows_the_same_receipt(world):
    first = form_report(world, "controller", anonymous=True)
    again = form_report(world, "controller", anonymous=True)
    assert code_and_secret(first) == code_and_secret(again)
    assert len(rows(world, PendingReport)) == 1


def test_a_secret_typed_in_a_chat_while_pending_is_replaced_and_audited_when_recorded(world):
    code, secret = code_and_secret(form_report(world, "controller", anonymous=True))
    typed = world.service.handle(DirectMessage(world.actor("controller", Platform.SLACK), f"status {code} {secret}"))
    new = re.search(r"Your new secret: \*{1,2}([0-9A-Z-]+)\*{1,2}", text_of(typed))
    assert new, text_of(typed)
    assert rows(world, AuditEvent) == []  # not yet: no audit row may name the case before it exists
    assert "couldn't open that case" in status(world, "controller", f"{code} {secret}")
    assert "Received: 2026-11-02" in status(world, "controller", f"{code} {new.group(1)}")
    record(world, at=MOMENT + timedelta(minutes=61))
    replaced = [e for e in rows(world, AuditEvent) if e.action == "case.secret_replaced"]
    assert len(replaced) == 1 and replaced[0].at.replace(tzinfo=UTC) == DAY
    assert f"Case {code}" in status(world, "controller", f"{code} {new.group(1)}")


# --- health, keys, confidentiality --------------------------------------------------------------


def test_a_pending_report_past_its_delay_unrecorded_is_counted_overdue(world, vault):
    form_report(world, "controller", anonymous=True)
    [held] = rows(world, PendingReport)
    with world.db.read() as session:
        due = datetime.fromisoformat(vault.unseal(session, kind="pending_report", record_id=held.id,
                                                blob=held.body)["due"])
    assert MOMENT <= due <= MOMENT + timedelta(minutes=60)

    def overdue(at: datetime) -> int:
        with world.db.read() as session:
            return db_overdue(session, vault, now=at)

    # Never within its delay, nor in the few minutes after its due time a recorder may take
    assert overdue(MOMENT) == 0 and overdue(due + OVERDUE_AFTER - timedelta(seconds=1)) == 0
    # but once past it by more than that with no recorder, it is
    assert overdue(due + OVERDUE_AFTER + timedelta(seconds=1)) == 1
    record(world, at=due + OVERDUE_AFTER + timedelta(seconds=1))
    assert overdue(due + OVERDUE_AFTER + timedelta(seconds=1)) == 0


def test_a_pending_report_is_rewrapped_by_a_rotation_and_still_recorded(world, vault):
    form_report(world, "controller", anonymous=True)
    old = vault.keyring.current
    vault.keyring = vault.keyring.rotated()
    assert sum(vault.rewrap_batches(world.db.write)) >= 2  # the pending row's key among them
    vault.keyring = vault.keyring.retired(old)
    with world.db.read() as session:
        assert {k.master_version for k in session.exec(select(DataKey)).all()} == {vault.keyring.current}
    assert record(world, at=MOMENT + timedelta(minutes=61)) == 1
    assert len(rows(world, Report)) == 1


def test_a_held_report_leaves_no_canary_at_rest_and_nothing_after_it_is_recorded(world, vault):
    code, secret = code_and_secret(form_report(world, "controller", anonymous=True))
    [held] = rows(world, PendingReport)

    def at_rest() -> dict[str, bytes]:
        if world.db.is_sqlite:
            return sqlite_files(world.db)
        return {"pg_dump": postgres_dump(world.db).encode()}

    # While held: the sealed body is at rest (positive control), the canary, code and secret are not
    stored = at_rest()
    assert any(held.body in data or held.body.hex().encode() in data for data in stored.values())
    for needle in (CANARY, secret, code):
        assert [name for name, data in stored.items() if needle.encode() in data] == [], needle
    if world.db.is_sqlite:
        sqlite_checkpoint(world.db)
        assert all(CANARY.encode() not in data for data in sqlite_files(world.db).values())
    # Recorded: the pending row and its data key are gone; the old ciphertext opens nothing
    record(world, at=MOMENT + timedelta(minutes=61))
    with world.db.read() as session:
        assert session.get(PendingReport, held.id) is None
        assert session.exec(select(DataKey).where(col(DataKey.record_id) == held.id)).all() == []


def test_no_plain_time_dates_an_anonymous_report_finer_than_its_day(world):
    # Given an anonymous report made by the form, with a member kept away, at 10:17:43, and
    # recorded at a random moment within the hour
    world.submit("controller", "intake:tok-x", {
        "category": "fraud", "what": "Invoices are split to stay under the approval limit",
        "exclude": [str(world.people["member"].id)], "anonymous": "yes"})
    record(world, at=MOMENT + timedelta(minutes=61))

    # Then no plain time anywhere in the database is that moment (or its minute): report,
    # exclusion, audit, outbox creation, the form's spent token are all dated by the day
    # (the alert's due time is the recording moment: the cover itself)
    times = [t for t in plain_times(world) if t[:2] not in {("outboxmessage", "next_attempt_at"),
                                                           ("outboxmessage", "due_at")}]
    assert times
    exact = [(t, c) for t, c, v in times if v.replace(second=0, microsecond=0) == MOMENT.replace(second=0, microsecond=0)]
    assert exact == []
    with world.db.read() as session:
        report = session.exec(select(Report)).one()
        assert report.received_at.replace(tzinfo=UTC) == DAY
        submitted = session.exec(select(AuditEvent).where(AuditEvent.action == "report.submitted")).one()
        assert submitted.at.replace(tzinfo=UTC) == DAY
        assert all(e.received_at.replace(tzinfo=UTC) == DAY for e in session.exec(select(InboundEvent)).all())
    # The committee's view and the reporter's status show the date only; deadlines are the same
    # as for a report made at any time that day
    status_text = text_of(world.command("controller", "ethics", "cases"))
    assert "10:17" not in status_text
    assert world.core.receipt_due(report).isoformat() == "2026-11-09"


def test_a_report_made_late_in_the_day_and_recorded_the_next_keeps_its_day(world):
    world.clock.moment = datetime(2026, 11, 2, 23, 50, tzinfo=UTC)
    form_report(world, "controller", anonymous=True)
    record(world, at=datetime(2026, 11, 3, 0, 55, tzinfo=UTC))
    [report] = rows(world, Report)
    assert report.received_at.replace(tzinfo=UTC) == DAY


# --- drafts and attestations --------------------------------------------------------------------


def test_a_draft_keeps_the_day_of_its_last_change_not_the_minute(world):
    world.say("cfo", "report")
    world.click("cfo", "intake:cat:fraud")
    with world.db.read() as session:
        draft = session.exec(select(Conversation)).one()
    assert draft.updated_at.replace(tzinfo=UTC) == DAY
    # Still there a whole lifetime after the day's last change could have been; gone after
    world.clock.moment = DAY + timedelta(days=1, hours=23)
    assert "expired" not in text_of(world.say("cfo", "help"))
    world.clock.moment = DAY + timedelta(days=3, minutes=1)
    assert "expired" in text_of(world.say("cfo", "3"))


def test_the_report_offered_after_an_attestation_first_says_it_can_be_linked_to_it(world):
    replies = world.submit("cfo", "attest", {"read_understood": "yes", "complied": "yes", "no_conflict": "yes",
                                             "no_unreported": "no"})
    offer = [r for r in replies if "Report a concern" in text_of([r])]
    assert offer
    said = text_of(offer)
    assert said.index("linked in time to this attestation") < said.index("Report a concern")
    assert "Waiting a day or more hides that link" in said


# --- later visits: the status check and the answer ----------------------------------------------


def test_an_attestation_telling_of_an_unreported_matter_reaches_the_channel_by_its_day_after_a_delay(world):
    # Given an officer who attests, at a moment of the day, that they know of an unreported matter
    world.clock.moment = attested_at = MOMENT + timedelta(hours=2, minutes=9, seconds=5)
    world.submit("cfo", "attest", {"read_understood": "yes", "complied": "yes", "no_conflict": "yes",
                                   "no_unreported": "no"})

    # Then the channel's notice gives the day of the attestation, never its minute
    [row] = [r for r in rows(world, OutboxMessage) if r.kind == "channel"]
    with world.db.read() as session:
        notice = world.core.vault.unseal(session, kind="outbox", record_id=row.id, blob=row.body)["notice"]
    assert dict(notice["fields"])["Attested"] == "2026-11-02"
    # And it waits a random delay, like an anonymous report's alert, its row dated by the day
    assert row.created_at.replace(tzinfo=UTC) == DAY
    assert attested_at < row.due_at.replace(tzinfo=UTC) <= attested_at + timedelta(minutes=60)
    assert row.next_attempt_at == row.due_at
    # And its plain key does not name the attestation (whose row names the officer)
    [attestation] = rows(world, Attestation)
    assert attestation.id not in row.key and str(world.people["cfo"].id) not in row.key.split(":")


def asked_case(world: World) -> tuple[str, str, Report]:
    """An anonymous report, recorded, acknowledged, and the chair's question on it."""
    code, secret = code_and_secret(form_report(world, "controller", anonymous=True))
    assert record(world, at=MOMENT + timedelta(minutes=61)) == 1
    [report] = rows(world, Report)
    world.click("chair", f"case:ack:{report.id}")
    world.submit("chair", f"ask:{report.id}", {"question": "Which quarter first?"})
    return code, secret, report


def test_an_anonymous_reporters_status_check_writes_nothing(world):
    code, secret, report = asked_case(world)
    audited = len(rows(world, AuditEvent))

    # When the reporter checks the case, at a moment of the day
    world.clock.moment = MOMENT + timedelta(hours=3, minutes=17, seconds=41)
    with statements(world.db) as seen:
        shown = world.command("controller", "ethics", f"status {code} {secret}")

    # Then they see the case and the committee's question
    assert "Which quarter first?" in text_of(shown) and "Answer the committee" in text_of(shown)
    # And their request wrote nothing at all: no audit row, no counter, no key
    assert written(seen) == set()
    assert len(rows(world, AuditEvent)) == audited
    assert not [a for a in rows(world, AuditEvent) if a.action == "case.status_viewed"]


@pytest.mark.parametrize("mode", ["anonymous", "confidential"])
def test_a_status_visit_and_add_documents_write_no_audit_row(world, mode):
    from bot.evidence.limits import MB, EvidenceSettings

    world.core.evidence = EvidenceSettings(public_url="https://candor.example.com",
                                           file_max_bytes=2 * MB, case_max_bytes=4 * MB)
    if mode == "anonymous":
        code, secret, report = asked_case(world)
        args = f"{code} {secret}"
    else:
        world.submit("controller", "intake:tok-confidential", {
            "category": "fraud", "what": f"Invoices are split {CANARY}", "anonymous": "confidential"})
        assert record(world, at=MOMENT + timedelta(minutes=61)) == 1
        [report] = rows(world, Report)
        assert report.confidential
        args = report.code
    audited = len(rows(world, AuditEvent))
    keys = {k.id for k in rows(world, DataKey)}
    links = {r.id for r in rows(world, FileLink)}  # the receipt's

    # When the reporter checks the case and clicks Add documents, at a moment of the day
    world.clock.moment = MOMENT + timedelta(hours=3, minutes=17, seconds=41)
    with statements(world.db) as seen:
        shown = world.command("controller", "ethics", f"status {args}")
        [value] = [v for v in choice_values(shown) if v.startswith("files:mine:")]
        link = text_of(world.click("controller", value))

    # Then they get their upload link
    assert "https://candor.example.com/files/add/" in link
    # And their requests wrote no audit row (nor anything else of the case): only the link's
    # sealed row, dated by its day, and its data key, as a held answer does
    assert written(seen) == {"filelink", "datakey"}, written(seen)
    assert len(rows(world, AuditEvent)) == audited
    [row] = [r for r in rows(world, FileLink) if r.id not in links]
    assert row.created_at.replace(tzinfo=UTC) == DAY and report.code.encode() not in row.body
    assert [k.record_kind for k in rows(world, DataKey) if k.id not in keys] == ["file_link"]


def test_an_anonymous_reporters_answer_is_held_sealed_and_recorded_later_by_nobody(world, vault):
    code, secret, report = asked_case(world)
    world.clock.moment = asked_at = MOMENT + timedelta(hours=3, minutes=17, seconds=41)
    seen = world.command("controller", "ethics", f"status {code} {secret}")
    [token] = [v for v in choice_values(seen) if v.startswith("answer:")]
    before = {(m.id, a) for m in rows(world, CaseMessage) for a in [m.direction]}
    audited = len(rows(world, AuditEvent))

    # When the reporter answers
    with statements(world.db) as request:
        said = text_of(world.submit("controller", token, {"answer": f"Q3, from the Lisbon office {CANARY}"}))

    # Then they are told it reaches the committee after a random delay
    assert "random delay of up to 60 minutes" in said
    # And their request wrote only a sealed pending row (and its data key): no message, audit
    # event or notice of the case
    assert written(request) == {"pendinganswer", "datakey"}
    assert {(m.id, m.direction) for m in rows(world, CaseMessage)} == before
    assert len(rows(world, AuditEvent)) == audited
    assert not [r for r in rows(world, OutboxMessage) if r.key.startswith("answer:")]
    [held] = rows(world, PendingAnswer)
    assert held.received_at.replace(tzinfo=UTC) == DAY and CANARY.encode() not in held.body

    # When the recorder runs after the delay
    world.clock.moment = recorded_at = asked_at + timedelta(minutes=61)
    with statements(world.db) as recording:
        assert Recorder(world.db, world.core).run() == 1

    # Then it touched the case's rows only, and wrote the answer, its audit event (both dated by
    # the day) and the committee's notice, due at the recording moment
    assert tables(recording) <= CASE_TABLES, tables(recording) - CASE_TABLES
    [answer] = [m for m in rows(world, CaseMessage) if m.direction is MessageDirection.ANSWER]
    assert answer.created_at.replace(tzinfo=UTC) == DAY and answer.report_id == report.id
    with world.db.read() as session:
        assert CANARY in vault.unseal(session, kind="case_message", record_id=answer.id, blob=answer.body)["text"]
    [audit] = [a for a in rows(world, AuditEvent) if a.action == "case.answer"]
    assert audit.at.replace(tzinfo=UTC) == DAY and audit.actor == "reporter"
    [notice] = [r for r in rows(world, OutboxMessage) if r.key.startswith("answer:")]
    assert notice.created_at.replace(tzinfo=UTC) == DAY
    assert notice.due_at.replace(tzinfo=UTC) == recorded_at
    # and the pending row is shredded
    assert rows(world, PendingAnswer) == []
    assert [k for k in rows(world, DataKey) if k.record_kind == "pending_answer"] == []
    # The committee sees the answer in the case
    assert "Lisbon office" in text_of(world.click("chair", f"case:view:{report.id}"))


def test_a_held_answer_is_recorded_at_a_random_moment_and_counted_overdue_without_a_recorder(world, vault):
    code, secret, _report = asked_case(world)
    seen = world.command("controller", "ethics", f"status {code} {secret}")
    [token] = [v for v in choice_values(seen) if v.startswith("answer:")]
    world.submit("controller", token, {"answer": "Q3"})
    now = world.clock.moment
    with world.db.read() as session:
        assert db_overdue(session, vault, now=now + timedelta(minutes=60) + OVERDUE_AFTER
                          + timedelta(seconds=1)) == 1
    assert record(world, at=now - timedelta(seconds=1)) == 0
    assert record(world, at=now + timedelta(minutes=60, seconds=1)) == 1
