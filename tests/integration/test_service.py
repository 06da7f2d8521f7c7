"""The core's use cases, on SQLite and PostgreSQL: what reporters and committee members see,
and what is (and is not) stored."""

from __future__ import annotations

import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert
from sqlmodel import col, func, select

from bot import followup
from bot.messages import CHANNEL, Actor, DirectMessage, Document, Form, FormErrors, Reply
from bot.sweep import Sweeper
from storage import migrate
from storage.models import (
    Attestation,
    AuditEvent,
    CaseMessage,
    Conversation,
    Disclosure,
    InboundEvent,
    OutboxMessage,
    Person,
    Report,
)
from storage.vocabulary import CaseStatus, Platform
from tests.conftest import drop_postgres_schema, fresh_postgres_url
from tests.support.world import SURFACES, World, build_world, choice_values, text_of

CANARY = "CANARY-7f3a9c"


def dm_report(world: World, who: str, *, anonymous: bool, exclude: str | None = None) -> str:
    """Report by direct message, step by step; returns the receipt's text."""
    world.say(who, "report")
    world.click(who, "intake:cat:fraud")
    world.say(who, f"Quarter-end revenue is booked early by the sales controller {CANARY}-what")
    world.say(who, f"{CANARY}-who Northern region controller")
    if exclude:
        world.click(who, f"intake:excl:{world.people[exclude].id}")
    world.click(who, "intake:excl:done")
    world.say(who, f"{CANARY}-when since March")
    world.say(who, f"{CANARY}-evidence ledger JE-4411")
    world.say(who, "skip")
    world.click(who, "intake:id:anonymous" if anonymous else "intake:id:named")
    return text_of(world.click(who, "intake:submit"))


def the_report(world: World) -> Report:
    with world.db.read() as session:
        return session.exec(select(Report)).one()


def outbox(world: World) -> list[OutboxMessage]:
    with world.db.read() as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.created_at))).all())


def deliveries(world: World):
    """Open every outbox row as the notifier would."""
    opened = []
    with world.db.read() as session:
        for row in session.exec(select(OutboxMessage).order_by(col(OutboxMessage.created_at))).all():
            data = world.core.vault.unseal(session, kind="outbox", record_id=row.id, blob=row.body)
            opened.append((row, data))
    return opened


def code_in(text: str) -> str:
    match = re.search(r"case \*{1,2}([0-9A-Z]{4}-[0-9A-Z]{4})\*{1,2}", text)
    assert match, text
    return match.group(1)


def secret_in(text: str) -> str:
    match = re.search(r"Your secret: \*{1,2}([0-9A-Z-]+)\*{1,2}", text)
    assert match, text
    return match.group(1)


# --- reporting ----------------------------------------------------------------------------------


def test_named_dm_report_is_recorded_sealed_and_alerts_the_channel_without_content(world):
    receipt = dm_report(world, "cfo", anonymous=False)

    code = code_in(receipt)
    report = the_report(world)
    assert report.code == code and report.category.value == "fraud"
    assert report.anonymous is False and report.reporter_tag is not None
    assert CANARY.encode() not in report.body
    with world.db.read() as session:
        assert session.exec(select(func.count()).select_from(Conversation)).one() == 0
    channel = [data for row, data in deliveries(world) if data["target"] == CHANNEL]
    assert len(channel) == 1
    notice = str(channel[0])
    assert code in notice and CANARY not in notice and "Dana" not in notice


def test_anonymous_report_stores_no_reporter_id_and_shows_the_secret_once(world):
    receipt = dm_report(world, "controller", anonymous=True)

    secret = secret_in(receipt)
    report = the_report(world)
    assert report.anonymous and report.reporter_tag is None
    assert report.secret_hash and secret not in report.secret_hash
    with world.db.read() as session:
        content = world.core.vault.unseal(session, kind="report", record_id=report.id, blob=report.body)
        actors = set(session.exec(select(AuditEvent.actor)).all())
    assert content["reporter"] is None
    assert f"person:{world.people['controller'].id}" not in actors
    assert "sam" not in str(content).lower()


def test_the_form_path_records_the_same_report(world):
    form = world.command("cfo", "ethics", "report")
    assert isinstance(form[0], Form)
    replies = world.submit("cfo", "intake", {
        "category": "control_deficiency", "what": f"Cash reconciliations are not reviewed {CANARY}",
        "anonymous": "no",
    })
    assert "recorded, encrypted, as case" in text_of(replies)
    assert the_report(world).category.value == "control_deficiency"


def test_form_errors_come_back_per_field_and_record_nothing(world):
    replies = world.submit("cfo", "intake", {"category": "fraud", "what": "x" * 5000, "anonymous": "no"})
    assert isinstance(replies[0], FormErrors) and "what" in replies[0].errors
    with world.db.read() as session:
        assert session.exec(select(func.count()).select_from(Report)).one() == 0


def test_someone_off_the_roster_gets_a_polite_answer_and_nothing_changes(world):
    stranger = Actor(Platform.SLACK, "U0NOBODY", email="nobody@example.com")
    replies = world.service.handle(DirectMessage(stranger, "report"))
    assert "can't find you" in text_of(replies)
    with world.db.read() as session:
        assert session.exec(select(func.count()).select_from(Conversation)).one() == 0
        assert session.exec(select(func.count()).select_from(AuditEvent)).one() == 0


def test_a_platform_retry_of_the_same_event_changes_nothing(world):
    actor = world.actor("cfo")
    first = world.service.handle(DirectMessage(actor, "report", event_id="Ev1"))
    again = world.service.handle(DirectMessage(actor, "report", event_id="Ev1"))
    assert first and again == []


def test_an_abandoned_draft_expires_a_day_after_the_day_it_was_last_changed(world):
    # (its plain time is that day: see test_timing_cover)
    world.say("cfo", "report")
    world.click("cfo", "intake:cat:fraud")
    world.clock.advance(hours=25)
    assert "expired" not in text_of(world.say("cfo", "help"))
    world.clock.advance(days=2)
    replies = world.say("cfo", "hello")
    assert "expired" in text_of(replies)
    with world.db.read() as session:
        assert session.exec(select(func.count()).select_from(Conversation)).one() == 0


def test_oversized_messages_are_refused_before_parsing(world):
    replies = world.say("cfo", "x" * 50_000)
    assert "too long" in text_of(replies)


# --- the committee ------------------------------------------------------------------------------


def test_acknowledging_updates_the_alert_and_tells_a_named_reporter(world):
    dm_report(world, "cfo", anonymous=False)
    report = the_report(world)

    replies = world.click("member", f"case:ack:{report.id}")

    assert "You acknowledged case" in text_of(replies)
    after = the_report(world)
    assert after.status is CaseStatus.ACKNOWLEDGED and after.acknowledged_by == world.people["member"].id
    rows = deliveries(world)
    updates = [data for row, data in rows if row.kind == "update"]
    assert len(updates) == 1 and "Alex Kim" in str(updates[0])
    assert any(data["target"] == f"person:{world.people['cfo'].id}" for _row, data in rows)
    assert "already acknowledged by Alex Kim" in text_of(world.click("chair", f"case:ack:{report.id}"))


def test_a_member_opens_details_privately_and_the_opening_is_audited(world):
    dm_report(world, "cfo", anonymous=False)
    report = the_report(world)

    replies = world.click("member", f"case:view:{report.id}")

    assert isinstance(replies[0], Document)
    shown = text_of(replies)
    assert f"{CANARY}-what" in shown and "Dana Reyes" in shown
    assert "Kept away" not in shown  # only the chair sees exclusions
    with world.db.read() as session:
        opened = session.exec(select(AuditEvent).where(AuditEvent.action == "case.opened")).one()
    assert opened.actor == f"person:{world.people['member'].id}" and opened.record_id == report.id


def test_an_excluded_member_is_refused_and_the_refusal_is_audited(world):
    dm_report(world, "cfo", anonymous=True, exclude="member")
    report = the_report(world)

    replies = world.click("member", f"case:view:{report.id}")

    assert "can't open this case" in text_of(replies) and CANARY not in text_of(replies)
    with world.db.read() as session:
        refused = session.exec(select(AuditEvent).where(AuditEvent.action == "case.refused")).one()
    assert refused.actor == f"person:{world.people['member'].id}"
    chair_view = text_of(world.click("chair", f"case:view:{report.id}"))
    assert "Kept away from this case (visible to the chair only): Alex Kim" in chair_view
    assert report.code not in text_of(world.command("member", "ethics", "cases"))


def test_officers_cannot_open_case_details(world):
    dm_report(world, "cfo", anonymous=False)
    report = the_report(world)
    replies = world.click("controller", f"case:view:{report.id}")
    assert "for members of the Audit Committee" in text_of(replies)
    assert CANARY not in text_of(replies)


def test_question_and_answer_with_an_anonymous_reporter(world):
    receipt = dm_report(world, "controller", anonymous=True)
    code, secret = code_in(receipt), secret_in(receipt)
    report = the_report(world)
    world.click("chair", f"case:ack:{report.id}")
    form = world.click("chair", f"case:ask:{report.id}")
    assert isinstance(form[0], Form)
    world.submit("chair", form[0].form_id, {"question": f"Which quarter first? {CANARY}-q"})

    # Wrong secret: the same answer as an unknown code.
    assert "couldn't open that case" in text_of(world.command("controller", "ethics", f"status {code} WRONG"))
    status = world.command("controller", "ethics", f"status {code.lower()} {secret}")
    assert f"{CANARY}-q" in text_of(status)
    token_value = [v for v in choice_values(status) if v.startswith("answer:")][0]
    answer_form = world.click("controller", token_value)
    assert isinstance(answer_form[0], Form)
    replies = world.submit("controller", answer_form[0].form_id, {"answer": f"Q3 2025 {CANARY}-a"})
    assert "answer on case" in text_of(replies)

    with world.db.read() as session:
        messages = session.exec(select(CaseMessage)).all()
    assert len(messages) == 2 and all(CANARY.encode() not in m.body for m in messages)
    assert f"{CANARY}-a" in text_of(world.click("chair", f"case:view:{report.id}"))
    # The token is bound to the reporter: someone else cannot use it.
    assert "couldn't open" in text_of(world.click("cfo", token_value))


def test_an_answer_sent_after_its_window_closed_is_kept_in_the_form_not_lost(world):
    receipt = dm_report(world, "controller", anonymous=True)
    code, secret = code_in(receipt), secret_in(receipt)
    report = the_report(world)
    world.click("chair", f"case:ack:{report.id}")
    world.submit("chair", f"ask:{report.id}", {"question": "Which quarter first?"})
    # Given an answer button whose window has closed by the core's clock
    status = world.command("controller", "ethics", f"status {code} {secret}")
    token_value = [v for v in choice_values(status) if v.startswith("answer:")][0]
    world.clock.advance(seconds=followup.ANONYMOUS_TOKEN_SECONDS + 1)

    # When the reporter sends their answer with it
    replies = world.submit("controller", f"answer:{token_value.removeprefix('answer:')}",
                           {"answer": f"Q3 2025 {CANARY}-late"})

    # Then the form says why, beside the answer (a Slack modal keeps the text), and nothing is stored
    assert isinstance(replies[0], FormErrors) and "window has closed" in replies[0].errors["answer"]
    with world.db.read() as session:
        assert len(session.exec(select(CaseMessage)).all()) == 1


def test_a_named_reporter_is_told_of_a_question_without_it_and_reads_it_privately(world):
    dm_report(world, "cfo", anonymous=False)
    report = the_report(world)
    world.click("chair", f"case:ack:{report.id}")
    world.submit("chair", f"ask:{report.id}", {"question": "Who approved JE-4411?"})

    # The direct message (it stays in the chat's history) says there is news, nothing more
    dms = [data for _row, data in deliveries(world) if data["target"] == f"person:{world.people['cfo'].id}"]
    assert len(dms) == 2  # the acknowledgement and the question
    assert not any("JE-4411" in str(d) or report.code in str(d) or report.id in str(d) for d in dms)
    button = dms[-1]["notice"]["choices"][0]["value"]

    # Its button lists the reporter's cases, each opening the case, question included, privately
    listing = world.click("cfo", button)
    assert isinstance(listing[0], Document) and report.code in text_of(listing)
    opened = world.click("cfo", choice_values(listing)[0])
    assert isinstance(opened[0], Document) and "Who approved JE-4411?" in text_of(opened)
    assert any(v.startswith("answer:") for v in choice_values(opened))


def test_status_moves_follow_the_workflow_and_keep_a_reason(world):
    dm_report(world, "cfo", anonymous=False)
    report = the_report(world)
    assert "can't move" in text_of(world.submit("chair", f"move:{report.id}:closed", {"reason": "x"}))
    world.click("chair", f"case:ack:{report.id}")
    world.submit("chair", f"move:{report.id}:under_review", {"reason": "Engaging forensic accountants"})
    world.submit("chair", f"move:{report.id}:closed", {"reason": f"Resolved {CANARY}-r"})
    assert the_report(world).status is CaseStatus.CLOSED
    history = text_of(world.click("chair", f"case:view:{report.id}"))
    assert "Under review: Engaging forensic accountants" in history


def test_an_officer_cannot_acknowledge_or_move_a_case(world):
    dm_report(world, "cfo", anonymous=False)
    report = the_report(world)
    world.click("controller", f"case:ack:{report.id}")
    world.submit("controller", f"move:{report.id}:closed", {"reason": "no"})
    assert the_report(world).status is CaseStatus.RECEIVED


# --- attestation --------------------------------------------------------------------------------


def attest_with_a_conflict(world: World) -> list[Reply]:
    """Dana attests, disclosing a conflict (a canary in its words); the service's replies."""
    return world.submit("cfo", "attest", {
        "read_understood": "yes", "complied": "yes", "no_conflict": "no", "no_unreported": "yes",
        "disclosure": f"I sit on a supplier's board {CANARY}-coi",
    })


def test_attestation_is_recorded_with_the_policy_hash_and_moves_the_due_date(world):
    form = world.command("cfo", "attest")
    assert isinstance(form[0], Form) and "SUPPLEMENTAL CODE OF ETHICS" in (form[0].intro or "")
    replies = attest_with_a_conflict(world)
    assert "attestation for 2027 is recorded" in text_of(replies)
    with world.db.read() as session:
        record = session.exec(select(Attestation)).one()
        disclosure = session.exec(select(Disclosure)).one()
        person = session.get(Person, world.people["cfo"].id)
    assert record.policy_hash == world.core.policy.version_hash and record.period == "2027"
    assert CANARY.encode() not in disclosure.body
    assert person is not None and str(person.attestation_due) == "2028-03-31"
    # No attesting for years ahead: 2028 opens the day after 2027 was due.
    assert "already attested for 2027" in text_of(world.command("cfo", "attest"))
    assert "opens on 2027-04-01" in text_of(world.command("cfo", "attest"))
    world.clock.moment = datetime(2027, 4, 1, 9, 0, tzinfo=UTC)
    form = world.command("cfo", "attest")
    assert isinstance(form[0], Form) and form[0].title == "Attestation 2028"


def test_a_conflict_disclosed_at_attestation_reaches_the_committee_privately(world):
    # Given Dana discloses a conflict as she attests
    replies = attest_with_a_conflict(world)
    assert "goes to the Audit Committee privately" in text_of(replies)
    with world.db.read() as session:
        attestation = session.exec(select(Attestation)).one()

    # Then the channel is told, without her words, and offered a private view
    channel = [d for _, d in deliveries(world) if d["target"] == CHANNEL]
    assert len(channel) == 1 and CANARY not in str(channel[0]) and "Dana" not in str(channel[0])
    assert "a conflict of interest" in str(channel[0])
    assert f"disclosure:view:{attestation.id}" in str(channel[0])

    # And a committee member opens it (audited); an officer is refused (audited)
    opened = world.click("member", f"disclosure:view:{attestation.id}")
    assert isinstance(opened[0], Document) and f"{CANARY}-coi" in text_of(opened) and "Dana Reyes" in text_of(opened)
    refused = world.click("controller", f"disclosure:view:{attestation.id}")
    assert CANARY not in text_of(refused)
    with world.db.read() as session:
        actions = list(session.exec(select(AuditEvent.action)).all())
    assert "attestation.viewed" in actions and "attestation.refused" in actions
    home = world.service.home(world.actor("chair"))
    assert "Dana Reyes: 2027" in text_of(home) and f"disclosure:view:{attestation.id}" in choice_values(home)


def test_saying_report_again_mid_report_keeps_the_draft(world):
    world.say("cfo", "report")
    world.click("cfo", "intake:cat:fraud")
    world.say("cfo", f"Quarter-end revenue is booked early {CANARY}")
    world.say("cfo", "skip")  # who
    again = text_of(world.say("cfo", "report"))  # at the members step
    assert "report in progress" in again and "Audit Committee" in again
    assert "When did it happen" in text_of(world.click("cfo", "intake:excl:done"))


def test_the_same_report_form_submitted_twice_files_one_report(world):
    # Given the form as the core hands it out (a Teams card stays on screen after Submit)
    form = world.command("cfo", "ethics", "report")[0]
    assert isinstance(form, Form) and form.form_id.startswith("intake:")
    values = {"category": "fraud", "what": f"Kickbacks from a supplier {CANARY}", "anonymous": "no"}

    first = world.submit("cfo", form.form_id, values)
    again = world.submit("cfo", form.form_id, values)  # at once: its receipt again (bot.receipts)
    world.clock.advance(minutes=16)
    later = world.submit("cfo", form.form_id, values)

    assert "recorded" in text_of(first) and text_of(again) == text_of(first)
    assert "already submitted" in text_of(later)
    with world.db.read() as session:
        assert session.exec(select(func.count()).select_from(Report)).one() == 1
    # A new form is a new report
    other = world.command("cfo", "ethics", "report")[0]
    assert other.form_id != form.form_id and "recorded" in text_of(world.submit("cfo", other.form_id, values))


def test_the_same_attestation_form_sent_twice_records_one_attestation(world):
    # Given Dana attests late (the next period is open at once), from a card that stays on screen
    world.clock.moment = datetime(2027, 4, 10, 9, 0, tzinfo=UTC)
    form = world.command("cfo", "attest")[0]
    assert isinstance(form, Form) and form.form_id.startswith("attest:")
    answers = {"read_understood": "yes", "complied": "yes", "no_conflict": "yes", "no_unreported": "yes"}

    first = world.submit("cfo", form.form_id, answers)
    again = world.submit("cfo", form.form_id, answers)

    assert "attestation for 2027 is recorded" in text_of(first) and "already submitted" in text_of(again)
    with world.db.read() as session:
        assert [a.period for a in session.exec(select(Attestation)).all()] == ["2027"]


def test_a_clean_attestation_tells_the_channel_nothing(world):
    world.submit("cfo", "attest", {"read_understood": "yes", "complied": "yes", "no_conflict": "yes",
                                   "no_unreported": "yes"})
    assert [d for _, d in deliveries(world) if d["target"] == CHANNEL] == []


def test_attestation_needs_an_explanation_for_a_conflict(world):
    replies = world.submit("cfo", "attest", {
        "read_understood": "yes", "complied": "yes", "no_conflict": "no", "no_unreported": "yes",
    })
    assert isinstance(replies[0], FormErrors) and "disclosure" in replies[0].errors


def test_attesting_to_an_unreported_matter_offers_a_report(world):
    replies = world.submit("cfo", "attest", {
        "read_understood": "yes", "complied": "yes", "no_conflict": "yes", "no_unreported": "no",
    })
    assert "attest:report" in choice_values(replies)
    assert "What is your concern about?" in text_of(world.click("cfo", "attest:report"))


def test_committee_members_do_not_attest(world):
    assert "for the Senior Financial Officers" in text_of(world.command("chair", "attest"))


# --- the relay ----------------------------------------------------------------------------------


def test_an_edit_waits_until_the_original_is_delivered(world):
    dm_report(world, "cfo", anonymous=False)
    report = the_report(world)
    world.click("member", f"case:ack:{report.id}")

    first = world.relay.claim(Platform.CONSOLE)
    assert [i.key for i in first if i.edits] == []
    for item in first:
        world.relay.delivered(item, channel="C1", message_id=f"ts-{item.key}")
    world.clock.advance(seconds=5)
    second = world.relay.claim(Platform.CONSOLE)
    edits = [i for i in second if i.edits]
    assert len(edits) == 1 and edits[0].edits == ("C1", f"ts-alert:{report.id}@console")


def test_a_failing_notice_is_retried_then_given_up_with_a_committee_notice(world):
    dm_report(world, "cfo", anonymous=False)
    first = world.relay.claim(Platform.CONSOLE)
    item = [i for i in first if i.delivery.target == CHANNEL][0]
    for other in first:  # delivered, so a claim below could take only the retried notice
        if other.id != item.id:
            world.relay.delivered(other, channel="C1", message_id=f"ts-{other.key}")
    world.relay.retry(item, code="ratelimited", retry_after=30)
    assert item.id not in {i.id for i in world.relay.claim(Platform.CONSOLE)}  # Retry-After holds
    world.clock.advance(seconds=31)
    item = next(i for i in world.relay.claim(Platform.CONSOLE) if i.id == item.id)  # due again
    world.clock.advance(hours=25)
    world.relay.retry(item, code="ratelimited", retry_after=None)
    rows = {row.key: row for row in outbox(world)}
    assert rows[item.key].state.value == "failed"
    assert any(key.startswith("delivery-failed:") for key in rows)


def test_a_claim_left_by_a_dead_relay_is_taken_again_when_its_lease_ends(world):
    dm_report(world, "cfo", anonymous=False)
    claimed = world.relay.claim(Platform.CONSOLE)
    assert claimed and world.relay.claim(Platform.CONSOLE) == []
    world.clock.advance(seconds=61)
    assert {i.id for i in world.relay.claim(Platform.CONSOLE)} == {i.id for i in claimed}


def test_audit_chain_verifies_after_a_whole_case(world):
    dm_report(world, "cfo", anonymous=True)
    report = the_report(world)
    world.click("chair", f"case:ack:{report.id}")
    world.click("chair", f"case:view:{report.id}")
    world.clock.advance(days=1)
    with world.db.read() as session:
        result = world.core.audit.verify(session)
    assert result.ok and result.checked >= 3


def test_no_reply_carries_text_in_a_log_record(world, caplog):
    caplog.set_level("DEBUG")
    dm_report(world, "cfo", anonymous=True)
    report = the_report(world)
    world.click("chair", f"case:view:{report.id}")
    assert CANARY not in caplog.text


def test_expired_drafts_are_swept(world):
    world.say("cfo", "report")
    world.clock.advance(hours=25)
    assert Sweeper(world.db, world.core, world.core.schedule).run(world.clock()).drafts_deleted == 0
    world.clock.advance(hours=15)
    assert Sweeper(world.db, world.core, world.core.schedule).run(world.clock()).drafts_deleted == 1
    assert timedelta(hours=24) == world.core.draft_ttl


def test_teams_people_are_told_the_words_to_type_slack_people_the_slash_commands(world):
    # Teams has no slash commands: its chat takes "status" (which opens the Check a case dialog, so
    # a secret is never typed into the chat) and "attest" as typed words.
    teams = Actor(Platform.TEAMS, "aad-dana", email="dana@example.com",
                  surface=SURFACES[Platform.TEAMS])
    teams_help = text_of(world.service.handle(DirectMessage(teams, "help")))
    assert "`status`: the **Check a case** window" in teams_help and "SECRET" not in teams_help
    assert "/ethics" not in teams_help and "/attest" not in teams_help
    slack_help = text_of(world.service.handle(DirectMessage(world.actor("cfo", Platform.SLACK), "help")))
    assert "`/ethics status CODE [SECRET]`" in slack_help and "`/attest`" in slack_help
    # and the words they are told work there
    assert "Attestation 2027" in str(world.service.handle(DirectMessage(teams, "attest")))


def test_an_attestation_due_today_in_the_companys_zone_is_not_overdue_though_utc_is_tomorrow(world):
    # Given a company in New York and an officer whose attestation is due on 2 November
    world.core.schedule = replace(world.core.schedule, timezone="America/New_York")
    with world.db.write() as session:
        cfo = session.get(Person, world.people["cfo"].id)
        cfo.attestation_due = date(2026, 11, 2)
        session.add(cfo)
    # When she opens her home at 21:00 on 2 November in New York (already 3 November in UTC)
    world.clock.moment = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
    home = text_of(world.service.home(world.actor("cfo")))
    committee = text_of(world.service.home(world.actor("chair")))

    # Then it is due today, not overdue, for her and on the committee's roll
    assert "is due by 2026-11-02" in home and "overdue" not in home
    assert "Dana Reyes: due 2026-11-02" in committee and "OVERDUE" not in committee
    # And the next local morning it is overdue
    world.clock.moment = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)
    assert "overdue" in text_of(world.service.home(world.actor("cfo")))


def test_a_use_case_that_writes_then_refuses_leaves_nothing_but_its_audit_entry(world, monkeypatch):
    from bot import actions, service
    from storage.models import Person
    from storage.vocabulary import PersonKind

    class WriteThenRefuse:
        """A use case that records something, then finds it must refuse."""

    def write_then_refuse(asked, _action):
        asked.session.add(Person(name="Half Done", email="half@example.com", kind=PersonKind.OFFICER))
        asked.session.flush()
        raise asked.core.refused("Not like this.", actor="person:1", action="case.refused",
                                 record_kind="report", record_id="r-test")

    monkeypatch.setitem(service._ROUTES, WriteThenRefuse, write_then_refuse)
    real_parse = actions.parse
    monkeypatch.setattr(actions, "parse", lambda value: WriteThenRefuse() if value == "test:half" else real_parse(value))

    # When the use case writes a row and then refuses
    replies = world.click("chair", "test:half")

    # Then the person is told, the row it wrote is gone, and the refusal's audit entry stays
    assert text_of(replies) == "Not like this."
    with world.db.read() as session:
        assert session.exec(select(Person).where(Person.email == "half@example.com")).first() is None
        refused = session.exec(select(AuditEvent).where(AuditEvent.record_id == "r-test")).one()
    assert refused.action == "case.refused"


def test_a_duplicate_teams_event_is_logged_without_its_chat_id(vault, caplog):
    # On PostgreSQL two servers can take one activity at the same moment (SQLite queues writers)
    url, schema = fresh_postgres_url()
    try:
        with migrate.migrated(url) as database:
            _duplicate_delivered_concurrently(database, vault, caplog)
    finally:
        drop_postgres_schema(schema)


def _duplicate_delivered_concurrently(database, vault, caplog) -> None:
    world = build_world(database, vault)
    chat = "a:1CANARYchat-of-dana"
    event = DirectMessage(Actor(Platform.TEAMS, "aad-dana"), "hello", event_id=f"{chat}/1700000000001")
    # Given another server's transaction holding the same activity, not yet committed
    other = database.engine.connect()
    other.begin()
    other.execute(insert(InboundEvent).values(id=vault.tag("inbound", f"teams:{event.event_id}"),
                                              received_at=world.clock()))
    # When this server handles it meanwhile (its insert waits on the other's), then the other commits
    caplog.set_level(logging.INFO, logger="candor")
    with ThreadPoolExecutor(1) as pool:
        handled = pool.submit(world.service.handle, event)
        time.sleep(1.0)
        other.commit()
        other.close()
        replies = handled.result(timeout=30)
    # Then it is ignored as a duplicate, and the log line names no chat
    assert replies == []
    logged = [r.getMessage() for r in caplog.records if "duplicate" in r.getMessage()]
    assert logged and not [line for line in logged if "CANARY" in line or chat in line]
