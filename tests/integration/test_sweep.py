"""Sweeps against the database: what is due is written once, to the right people, and never
for someone who attested or acknowledged; two replicas sweeping at once write each notice once;
one scheduler leads and another takes over when it dies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlmodel import col, select

from adapters.sweep_timer import Leadership
from bot.delivery.outbox import people_target, private_key
from bot.messages import CHANNEL
from bot.sweep import Sweeper
from storage.db import Database
from storage.models import Conversation, OutboxMessage, Report
from tests.conftest import drop_postgres_schema, fresh_postgres_url
from tests.support.world import World, build_world

CANARY = "CANARY-sw33p"


def sweep(world: World, moment: datetime) -> int:
    world.clock.moment = moment
    return Sweeper(world.db, world.core, world.core.schedule).run(moment).written


def notices(world: World) -> list[tuple[str, dict]]:
    with world.db.read() as session:
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.created_at))).all()
        return [(r.key, world.core.vault.unseal(session, kind="outbox", record_id=r.id, blob=r.body)) for r in rows]


def test_attestation_reminders_go_once_and_not_to_who_attested(database, vault):
    world = build_world(database, vault)
    world.clock.moment = datetime(2027, 3, 1, 12, tzinfo=UTC)
    world.submit("cfo", "attest", {"read_understood": "yes", "complied": "yes", "no_conflict": "yes",
                                   "no_unreported": "yes"})
    first = sweep(world, datetime(2027, 3, 2, 15, tzinfo=UTC))
    again = sweep(world, datetime(2027, 3, 2, 16, tzinfo=UTC))
    keys = [k for k, _ in notices(world)]
    controller, cfo = world.people["controller"].id, world.people["cfo"].id
    assert first == 1 and again == 0
    # keyed by a tag of (officer, due date, step): the plain key names no one
    assert keys == [private_key(world.core.vault, f"attest-remind:{controller}:2027-03-31:d-30") + "@console"]
    assert not any(f":{controller}:" in k or f":{cfo}:" in k for k in keys)


def test_a_due_date_set_back_after_attesting_does_not_silence_next_years_reminders(database, vault):
    # Given Dana attested for 2027, and then a roster re-import set her due date back to
    # 2027-03-31 (the file still carried the old date)
    world = build_world(database, vault)
    cfo = world.people["cfo"].id
    world.clock.moment = datetime(2027, 3, 20, 12, tzinfo=UTC)
    world.submit("cfo", "attest", {"read_understood": "yes", "complied": "yes", "no_conflict": "yes",
                                   "no_unreported": "yes"})
    with world.db.write() as session:
        session.execute(text("UPDATE person SET attestation_due = '2027-03-31' WHERE id = :id"), {"id": cfo})

    # When the sweeps of the following year run
    sweep(world, datetime(2028, 3, 2, 15, tzinfo=UTC))
    sweep(world, datetime(2028, 4, 15, 15, tzinfo=UTC))

    # Then she is reminded for 2028 (30 days before, then overdue) and the committee is told
    keys = [k.split("@")[0] for k, _ in notices(world)]
    assert private_key(world.core.vault, f"attest-remind:{cfo}:2028-03-31:d-30") in keys
    assert f"attest-escalate:{cfo}:2028-03-31" in keys  # the channel's, which names the officer
    assert not any(f":{cfo}:2027-03-31" in k for k in keys)
    assert private_key(world.core.vault, f"attest-remind:{cfo}:2027-03-31:d-30") not in keys


def test_an_unacknowledged_report_escalates_and_stops_once_acknowledged(database, vault):
    world = build_world(database, vault)
    member = world.people["member"].id
    world.clock.moment = datetime(2026, 11, 2, 10, tzinfo=UTC)  # a Monday
    world.submit("cfo", "intake", {"category": "fraud", "what": f"Bribes to an inspector {CANARY}",
                                   "anonymous": "yes", "exclude": [str(member)]})
    with world.db.read() as session:
        report = session.exec(select(Report)).one()
    sweep(world, datetime(2026, 11, 3, 11, tzinfo=UTC))  # one business day
    assert {k.split("@")[0] for k, _ in notices(world)} >= {f"unacked:{report.id}:channel"}
    sweep(world, datetime(2026, 11, 5, 11, tzinfo=UTC))  # three business days
    keys = {k.split("@")[0] for k, _ in notices(world)}
    # One notice for the chair, one for the members, whom they reach sealed in them: every member,
    # the one kept away too, gets the same message, which names no case (it stays in their chat)
    assert {f"unacked:{report.id}:chair", f"unacked:{report.id}:members"} <= keys
    assert not [k for k in keys if k.startswith("unacked") and "member:" in k]
    targets = {k.split("@")[0]: body["target"] for k, body in notices(world)}
    assert targets[f"unacked:{report.id}:members"] == people_target(
        p.id for k, p in world.people.items() if k in ("chair", "member", "member2"))
    told = next(body for k, body in notices(world) if k.split("@")[0] == f"unacked:{report.id}:members")
    assert report.code not in str(told) and report.id not in str(told["notice"])
    assert all(CANARY not in str(body) for _, body in notices(world))
    world.click("chair", f"case:ack:{report.id}")
    before = len(notices(world))
    sweep(world, datetime(2026, 11, 9, 11, tzinfo=UTC))
    assert not [k for k, _ in notices(world)[before:] if k.startswith("unacked")]


def test_a_question_to_the_reporter_is_not_feedback_but_a_status_move_is(database, vault):
    # Given a report received on 2 November, acknowledged, and the reporter asked a question
    world = build_world(database, vault)
    world.submit("cfo", "intake", {"category": "fraud", "what": f"Bribes to an inspector {CANARY}",
                                   "anonymous": "yes"})
    with world.db.read() as session:
        report = session.exec(select(Report)).one()
    world.click("chair", f"case:ack:{report.id}")
    world.submit("chair", f"ask:{report.id}", {"question": "Which inspector?"})

    # Then two weeks before the three months are up, the committee is reminded to give feedback
    sweep(world, datetime(2027, 1, 19, 12, tzinfo=UTC))
    assert any(k.startswith(f"feedback-deadline:{report.id}") for k, _ in notices(world))

    # And once the case moves (the reporter is told), the reminders stop
    world.submit("chair", f"move:{report.id}:under_review", {"reason": "Auditors engaged"})
    before = len(notices(world))
    sweep(world, datetime(2027, 1, 31, 12, tzinfo=UTC))
    assert not [k for k, _ in notices(world)[before:] if k.startswith("feedback-deadline")]


def test_a_waiver_reminder_carries_the_button_that_records_its_disclosure(database, vault):
    world = build_world(database, vault)
    world.clock.moment = datetime(2026, 11, 27, 15, tzinfo=UTC)
    world.submit("member", "waiver", {"officer": str(world.people["cfo"].id), "granted_by": "Board of Directors",
                                      "granted_on": "2026-11-25", "provision": "Obligation 3",
                                      "reason": "a board seat at a supplier"})
    sweep(world, datetime(2026, 11, 27, 15, tzinfo=UTC))
    reminders = [body for key, body in notices(world) if key.startswith("waiver-disclose")]
    assert reminders
    # The channel's reminder names no officer: members kept away from Dana read the channel too
    assert "Dana Reyes" not in json.dumps(reminders)
    value = reminders[0]["notice"]["choices"][0]["value"]
    form = world.click("chair", value)
    assert form[0].form_id.startswith("disclose:")
    # Its form, for a member who may see the waiver, says whose it is
    assert form[0].intro is not None and "Dana Reyes: Obligation 3" in form[0].intro


def test_abandoned_drafts_are_deleted_by_a_sweep(database, vault):
    world = build_world(database, vault)
    world.say("cfo", "report")
    sweep(world, world.clock.moment.replace(day=world.clock.moment.day + 2))
    with world.db.read() as session:
        assert session.exec(select(Conversation)).first() is None


def test_a_year_of_daily_sweeps_writes_each_notice_once(database, vault):
    world = build_world(database, vault)
    world.clock.moment = datetime(2026, 11, 2, 10, tzinfo=UTC)
    world.submit("controller", "intake", {"category": "other", "what": "Expense claims look inflated",
                                          "anonymous": "no"})
    written = 0
    for day in range(0, 400, 3):
        moment = datetime.fromordinal(datetime(2026, 11, 3).toordinal() + day).replace(hour=14, tzinfo=UTC)
        written += sweep(world, moment)
    keys = [k for k, _ in notices(world)]
    assert len(keys) == len(set(keys)) and written > 5
    channel = [b for _, b in notices(world) if b["target"] == CHANNEL]
    assert channel


# --- replicas on PostgreSQL --------------------------------------------------------------------


def _cli(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "adapters.cli", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_two_replicas_sweeping_at_once_write_each_notice_once(tmp_path: Path):
    url, schema = fresh_postgres_url()
    try:
        roster = tmp_path / "roster.yml"
        roster.write_text("officers:\n" + "".join(
            f"  - {{name: Officer {i}, email: o{i}@example.com, role: Controller, slack_id: U0O{i:03d}, "
            f"attestation_due: 2027-03-31}}\n" for i in range(60))
            + "committee:\n  - {name: Chair, email: chair@example.com, chair: true, slack_id: U0CHAIR}\n")
        env = {**os.environ, "CANDOR_DATABASE_URL": url, "CANDOR_KEY_FILE": str(tmp_path / "candor.key"),
               "CANDOR_SCRYPT_LOG2_N": "4", "SLACK_BOT_TOKEN": "xoxb-x", "SLACK_SIGNING_SECRET": "s"}
        for args in (("init",), ("roster", "import", str(roster))):
            done = _cli(env, *args)
            assert done.wait(60) == 0, done.stderr.read() if done.stderr else ""
        for hour in (15, 16):
            procs = [_cli(env, "sweep", "--now", f"2027-03-01T{hour}:00:00Z") for _ in range(2)]
            for proc in procs:
                assert proc.wait(120) == 0, proc.stderr.read() if proc.stderr else ""
        db = Database.from_url(url)
        with db.read() as session:
            keys = session.exec(select(OutboxMessage.key)).all()
        db.dispose()
        assert len(keys) == 60 and len(set(keys)) == 60
        verify = _cli(env, "audit", "verify")
        assert verify.wait(60) == 0
    finally:
        drop_postgres_schema(schema)


def test_one_scheduler_leads_and_another_takes_over_when_it_dies():
    url, schema = fresh_postgres_url()
    first, second = Database.from_url(url), Database.from_url(url)
    try:
        leader, follower = Leadership(first), Leadership(second)
        assert leader.try_lead() and not follower.try_lead()
        # The leader's process dies: its connection is gone, and with it the lock.
        assert leader._connection is not None
        pid = leader._connection.execute(text("SELECT pg_backend_pid()")).scalar()
        with second.engine.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            admin.commit()
        # The follower's next try (every 30 s in service; polled here) takes the lead.
        took = False
        for _ in range(50):
            took = follower.try_lead()
            if took:
                break
            time.sleep(0.1)
        assert took
        assert not leader.try_lead()  # it notices it lost the lead
        follower.release()
    finally:
        first.dispose()
        second.dispose()
        drop_postgres_schema(schema)


def test_a_candor_in_another_schema_of_the_database_leads_its_own_scheduler():
    # Given two Candors in one PostgreSQL database, each in its own schema, each with a replica
    # already leading
    (url, schema), (other_url, other_schema) = fresh_postgres_url(), fresh_postgres_url()
    first, second = Database.from_url(url), Database.from_url(url)
    other = Database.from_url(other_url)
    try:
        leader, follower, elsewhere = Leadership(first), Leadership(second), Leadership(other)
        assert leader.try_lead()
        # Then the other schema's scheduler leads too, and within one schema still only one
        assert elsewhere.try_lead() and not follower.try_lead()
        # and a released lead is taken by the follower
        leader.release()
        assert follower.try_lead()
        follower.release()
        elsewhere.release()
    finally:
        for db in (first, second, other):
            db.dispose()
        drop_postgres_schema(schema)
        drop_postgres_schema(other_schema)


def test_a_sweep_shreds_closed_cases_past_retention_unless_held(database, vault):
    world = build_world(database, vault)
    world.clock.moment = datetime(2026, 11, 2, 10, tzinfo=UTC)
    for _ in range(2):
        world.submit("cfo", "intake", {"category": "other", "what": f"Expense claims inflated {CANARY}",
                                       "anonymous": "no"})
    with world.db.read() as session:
        first, second = session.exec(select(Report).order_by(col(Report.code))).all()
    for report in (first, second):
        world.click("chair", f"case:ack:{report.id}")
        world.submit("chair", f"move:{report.id}:closed", {"reason": "Resolved"})
    with world.db.write() as session:
        held = session.get(Report, second.id)
        assert held is not None
        held.legal_hold = True
        session.add(held)
    # A sweep told it is 2033 while the clock says otherwise shreds nothing: it cannot be undone
    early = Sweeper(world.db, world.core, world.core.schedule).run(datetime(2033, 11, 3, 14, tzinfo=UTC))
    assert early.cases_shredded == 0
    world.clock.moment = datetime(2033, 11, 3, 14, tzinfo=UTC)
    result = Sweeper(world.db, world.core, world.core.schedule).run(datetime(2033, 11, 3, 14, tzinfo=UTC))
    assert result.cases_shredded == 1
    with world.db.read() as session:
        gone, kept = session.get(Report, first.id), session.get(Report, second.id)
    assert gone is not None and gone.shredded_at is not None and CANARY.encode() not in gone.body
    assert gone.shredded_at.replace(tzinfo=UTC) == datetime(2033, 11, 3, 14, tzinfo=UTC)
    assert kept is not None and kept.shredded_at is None
