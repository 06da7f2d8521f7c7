"""Confidential reporting (issue 24), through the core on SQLite and PostgreSQL: the third way to
report, what is stored, what the committee sees before and after the name is shown, and how the
reporter is reached."""

from __future__ import annotations

import logging
import re
from dataclasses import replace

from sqlmodel import select

from bot import confidential
from bot.messages import Document
from storage.models import AuditEvent, OutboxMessage, Report, ReporterIdentity
from storage.vocabulary import AuditAction, RevealHow
from tests.support.world import World, build_world, choice_values, text_of

CANARY = "CANARY-c0nf1d"


def confidential_report(world: World, who: str = "cfo") -> str:
    """A confidential report typed step by step; the receipt's text."""
    world.say(who, "report")
    world.click(who, "intake:cat:fraud")
    world.say(who, f"Quarter-end revenue is booked early {CANARY}-what")
    world.say(who, f"{CANARY}-who Northern region controller")
    world.click(who, "intake:excl:done")
    world.say(who, "since March")
    world.say(who, "skip")
    world.say(who, "skip")
    asked = text_of(world.click(who, "intake:excl:done"))  # nothing: already past
    assert "confidential" in asked.lower() or asked
    return text_of(world.click(who, "intake:id:confidential")) and text_of(
        world.click(who, "intake:submit"))


def the_report(world: World) -> Report:
    with world.db.read() as session:
        return session.exec(select(Report)).one()


def test_the_identity_question_offers_three_ways_in_plain_words(database, vault):
    world = build_world(database, vault)
    world.say("cfo", "report")
    world.click("cfo", "intake:cat:fraud")
    world.say("cfo", "Quarter-end revenue is booked early")
    world.say("cfo", "skip")
    world.click("cfo", "intake:excl:done")
    world.say("cfo", "skip")
    world.say("cfo", "skip")
    replies = world.say("cfo", "skip")
    text = text_of(replies)
    assert "With my name" in text and "Anonymous" in text
    assert ("Your name is sealed. The committee sees 'confidential reporter' and sees your name "
            "only if at least 2 of its members agree that they need it, and you are told when "
            "and why.") in text
    assert "intake:id:confidential" in choice_values(replies)


def test_a_confidential_report_seals_its_reporter_apart_and_the_committee_sees_no_name(
        database, vault):
    world = build_world(database, vault)
    receipt = confidential_report(world)
    assert "confidentially" in receipt and "sealed" in receipt
    report = the_report(world)
    assert report.confidential and not report.anonymous and report.reporter_tag is None
    assert report.received_at == world.core.today_start()  # dated by its day
    with world.db.read() as session:
        row = session.get(ReporterIdentity, report.id)
        assert row is not None and b"dana" not in row.body.lower()
        assert "Dana" not in str(world.core.vault.unseal(
            session, kind=confidential.KIND.__class__("report"), record_id=report.id,
            blob=report.body))
    opened = text_of(world.click("member", f"case:view:{report.id}"))
    assert "Confidential reporter" in opened
    for trace in ("Dana", "dana@example.com", "Chief Financial Officer", "CFO"):
        assert trace not in opened
    listed = text_of(world.command("member", "ethics", "cases"))
    assert "Dana" not in listed


def test_the_reporter_is_reached_without_code_or_secret_and_lists_the_case(database, vault):
    world = build_world(database, vault)
    confidential_report(world)
    report = the_report(world)
    world.click("chair", f"case:ack:{report.id}")
    world.submit("member", f"ask:{report.id}", {"question": f"{CANARY}-question which quarter?"})
    with world.db.read() as session:
        dms = [m for m in session.exec(select(OutboxMessage)).all() if m.key.startswith("reporter:")]
    assert dms, "the reporter is told there is news"
    for row in dms:
        assert "dana" not in row.key.lower()
    mine = world.click("cfo", "reporter:cases")
    assert report.code in text_of(mine)
    status = world.command("cfo", "ethics", f"status {report.code}")
    shown = text_of(status)
    assert f"{CANARY}-question" in shown and "Sealed" in shown


def test_a_reveal_shows_the_name_to_the_members_audits_it_and_tells_the_reporter(database, vault):
    world = build_world(database, vault)
    confidential_report(world)
    report = the_report(world)
    with world.db.write() as session:
        report = session.get(Report, report.id)
        assert report is not None
        assert not confidential.db_is_revealed(session, world.core, report)
        person = confidential.db_reporter(session, world.core, report)
        assert person is not None and person.name == "Dana Reyes"
        confidential.db_reveal(session, world.core, report, how=RevealHow.QUORUM,
                               reason=f"{CANARY}-reason we must interview them", by="person:3")
    with world.db.read() as session:
        report = session.get(Report, report.id)
        assert report is not None
        assert confidential.db_is_revealed(session, world.core, report)
        audit = session.exec(select(AuditEvent).where(
            AuditEvent.action == AuditAction.REPORTER_REVEALED)).one()
        assert CANARY not in audit.detail and "quorum" in audit.detail
        assert any(m.key.startswith(f"reporter:revealed:{report.id}")
                   for m in session.exec(select(OutboxMessage)).all())
    assert "Dana Reyes" in text_of(world.click("member", f"case:view:{report.id}"))
    own = text_of(world.command("cfo", "ethics", f"status {report.code}"))
    assert f"{CANARY}-reason" in own


def test_retention_shreds_the_identity_with_the_case(database, vault):
    from bot import retention

    world = build_world(database, vault)
    confidential_report(world)
    report = the_report(world)
    with world.db.write() as session:
        report = session.get(Report, report.id)
        assert report is not None
        retention.db_shred(session, world.core, report)
    with world.db.read() as session:
        assert session.get(ReporterIdentity, report.id) is None
        report = session.get(Report, report.id)
        assert report is not None
        assert confidential.db_reporter(session, world.core, report) is None
    assert isinstance(Document, type)


def test_the_reporter_shows_their_name_and_an_excluded_member_never_sees_it(database, vault):
    world = build_world(database, vault)
    # Given a confidential report that keeps Jordan away
    world.say("cfo", "report")
    world.click("cfo", "intake:cat:fraud")
    world.say("cfo", f"Quarter-end revenue is booked early {CANARY}-what")
    world.say("cfo", "skip")
    world.click("cfo", f"intake:excl:{world.people['member2'].id}")
    world.click("cfo", "intake:excl:done")
    for _ in range(3):
        world.say("cfo", "skip")
    world.click("cfo", "intake:id:confidential")
    world.click("cfo", "intake:submit")
    report = the_report(world)
    # When the reporter opens the case and shows their name, confirming it
    status = world.command("cfo", "ethics", f"status {report.code}")
    assert f"myname:show:{report.id}" in choice_values(status)
    form = world.click("cfo", f"myname:show:{report.id}")
    assert "cannot be taken back" in repr(form)
    refused = world.submit("cfo", f"myname-show:{report.id}", {"confirm": "no"})
    assert "Please answer yes" in repr(refused)
    assert "Confidential reporter" in text_of(world.click("member", f"case:view:{report.id}"))
    done = world.submit("cfo", f"myname-show:{report.id}", {"confirm": "yes"})
    assert "now shown" in text_of(done)
    # Then a member allowed on the case sees the name, the excluded member nothing of the case
    assert "Dana Reyes" in text_of(world.click("member", f"case:view:{report.id}"))
    assert "Dana Reyes" not in text_of(world.click("member2", f"case:view:{report.id}"))
    # And the reporter's view says when; the button is gone
    own = world.command("cfo", "ethics", f"status {report.code}")
    assert "Shown to the committee on" in text_of(own)
    assert f"myname:show:{report.id}" not in choice_values(own)
    # And another officer cannot show it (refused and audited)
    other = world.submit("controller", f"myname-show:{report.id}", {"confirm": "yes"})
    assert "not one of your confidential reports" in text_of(other)
    with world.db.read() as session:
        assert session.exec(select(AuditEvent).where(
            AuditEvent.action == AuditAction.CASE_REFUSED,
            AuditEvent.record_id == report.id)).first() is not None


def test_the_form_files_a_confidential_report_and_the_three_ways_are_offered(database, vault):
    world = build_world(database, vault)
    form = world.command("cfo", "ethics", "report")
    assert "confidential" in repr(form)
    done = world.submit("cfo", "intake", {"category": "fraud",
                                         "what": f"Revenue booked early {CANARY}-what",
                                         "anonymous": "confidential"})
    assert "confidentially" in text_of(done)
    report = the_report(world)
    assert report.confidential and not report.anonymous and report.reporter_tag is None
    bad = world.submit("cfo", "intake", {"category": "fraud", "what": "Revenue booked early",
                                        "anonymous": "perhaps"})
    assert "confidential or anonymous" in repr(bad)


def test_a_confidential_report_waits_its_delay_like_an_anonymous_one(database, vault, caplog):
    from bot.pending import Recorder
    from storage.models import PendingReport

    world = build_world(database, vault)
    world.core.schedule = replace(world.core.schedule, anonymous_delay_minutes=30)
    with caplog.at_level(logging.DEBUG):
        world.submit("cfo", "intake", {"category": "fraud",
                                       "what": f"Revenue booked early {CANARY}",
                                       "anonymous": "confidential"})
    with world.db.read() as session:
        assert session.exec(select(Report)).first() is None
        held = session.exec(select(PendingReport)).one()
    # Nothing in the log at the moment of submission names the report it will become
    assert not [r for r in caplog.records if held.id in str(vars(r)) or "recorded" in r.getMessage()]
    world.clock.advance(minutes=31)
    assert Recorder(world.db, world.core).run() == 1
    report = the_report(world)
    assert report.confidential and report.received_at == world.core.today_start()
    assert report.code in text_of(world.click("cfo", "reporter:cases"))


def test_an_anonymous_report_becomes_confidential_with_code_and_secret(database, vault):
    world = build_world(database, vault)
    receipt = world.submit("cfo", "intake", {"category": "fraud",
                                             "what": f"Revenue booked early {CANARY}",
                                             "anonymous": "yes"})
    text = text_of(receipt)
    code = re.search(r"([0-9A-Z]{4}-[0-9A-Z]{4})", text).group(1)
    secret = re.search(r"Your secret: \*{1,2}([0-9A-Z-]+)\*{1,2}", text).group(1)
    status = world.command("cfo", "ethics", f"status {code} {secret}")
    link = next(v for v in choice_values(status) if v.startswith("myname:link:"))
    form = world.click("cfo", link)
    assert "links your account to this case from then on" in repr(form)
    # a forged token, or another person's click, opens nothing
    assert "couldn't open" in text_of(world.click("cfo", link[:-3] + "abc"))
    assert "couldn't open" in text_of(world.click("controller", link))
    token = link.removeprefix("myname:link:")
    done = world.submit("cfo", f"myname-link:{token}", {"identity": "confidential"})
    assert "linked" in text_of(done)
    report = the_report(world)
    assert report.confidential and not report.anonymous and report.secret_hash is None
    assert "Confidential reporter" in text_of(world.click("member", f"case:view:{report.id}"))
    assert report.code in text_of(world.click("cfo", "reporter:cases"))
    with world.db.read() as session:
        named = session.exec(select(AuditEvent).where(AuditEvent.action == AuditAction.REPORTER_NAMED)).one()
        assert named.actor == "reporter"
        # dated by its day, as every plain row of a confidential case: its moment is her visit's
        assert named.at.replace(tzinfo=None) == world.core.today_start().replace(tzinfo=None)
    # the same button again changes nothing
    again = world.submit("cfo", f"myname-link:{token}", {"identity": "named"})
    assert "couldn't open" in text_of(again)


def test_the_same_confidential_form_submitted_twice_shows_the_confidential_receipt_again(
        database, vault):
    from bot.messages import Form

    world = build_world(database, vault)
    # Given the form as the core hands it out, submitted confidentially, then again (its first
    # answer lost on the way)
    form = world.command("cfo", "ethics", "report")[0]
    assert isinstance(form, Form)
    values = {"category": "fraud", "what": f"Revenue booked early {CANARY}", "anonymous": "confidential"}
    first = text_of(world.submit("cfo", form.form_id, values))
    again = text_of(world.submit("cfo", form.form_id, values))
    # Then the repeat shows the same receipt, which says the report is confidential, not named
    report = the_report(world)
    assert "You reported confidentially" in first and report.code in first
    assert again == first and "recorded with your name" not in again.lower()
    # and an anonymous form's repeat still shows its secret
    other = world.command("cfo", "ethics", "report")[0]
    anonymous = {**values, "anonymous": "yes"}
    assert "Your secret" in text_of(world.submit("cfo", other.form_id, anonymous))
    assert "Your secret" in text_of(world.submit("cfo", other.form_id, anonymous))


def test_an_anonymous_report_named_afterwards_is_dated_by_its_day_not_at_midnight(database, vault):
    world = build_world(database, vault)
    # Given an anonymous report (dated by its day), whose reporter then puts their name on it
    receipt = text_of(world.submit("cfo", "intake", {"category": "fraud", "what": f"Revenue {CANARY}",
                                                     "anonymous": "yes"}))
    code = re.search(r"([0-9A-Z]{4}-[0-9A-Z]{4})", receipt).group(1)
    secret = re.search(r"Your secret: \*{1,2}([0-9A-Z-]+)\*{1,2}", receipt).group(1)
    status = world.command("cfo", "ethics", f"status {code} {secret}")
    token = next(v for v in choice_values(status) if v.startswith("myname:link:")).removeprefix("myname:link:")
    assert "linked" in text_of(world.submit("cfo", f"myname-link:{token}", {"identity": "named"}))
    report = the_report(world)
    assert not report.anonymous and not report.confidential
    # When a member opens it, and the chair acknowledges it (its channel alert edited)
    opened = text_of(world.click("member", f"case:view:{report.id}"))
    world.click("chair", f"case:ack:{report.id}")
    # Then it shows its day, not a made-up time of midnight, in the view and the channel
    day = report.received_at.strftime("%Y-%m-%d")
    assert f"Received: {day}" in opened and "00:00 UTC" not in opened and "Dana Reyes" in opened
    from tests.integration.test_service import deliveries

    edits = [str(data) for row, data in deliveries(world) if row.key.startswith("alert-update:")]
    assert edits and all(day in edit and "00:00 UTC" not in edit for edit in edits)


def test_the_channel_is_not_told_when_a_name_is_shown_or_put_on_a_report(database, vault):
    # A line in the channel would date the reporter's own act on the case (README: Confidential
    # reporting); only the reporter is told, by the content-free news message.
    def outbox_keys() -> set[str]:
        with world.db.read() as session:
            return {m.key for m in session.exec(select(OutboxMessage)).all()}

    world = build_world(database, vault)
    world.submit("cfo", "intake", {"category": "fraud", "what": f"Revenue {CANARY}", "anonymous": "confidential"})
    report = the_report(world)
    before = outbox_keys()
    assert "now shown" in text_of(world.submit("cfo", f"myname-show:{report.id}", {"confirm": "yes"}))
    added = outbox_keys() - before
    assert added and all(key.startswith("reporter:") for key in added), added

    receipt = text_of(world.submit("controller", "intake", {"category": "fraud", "what": "Invoices split",
                                                            "anonymous": "yes"}))
    code = re.search(r"([0-9A-Z]{4}-[0-9A-Z]{4})", receipt).group(1)
    secret = re.search(r"Your secret: \*{1,2}([0-9A-Z-]+)\*{1,2}", receipt).group(1)
    status = world.command("controller", "ethics", f"status {code} {secret}")
    token = next(v for v in choice_values(status) if v.startswith("myname:link:")).removeprefix("myname:link:")
    before = outbox_keys()
    assert "linked" in text_of(world.submit("controller", f"myname-link:{token}", {"identity": "confidential"}))
    assert outbox_keys() == before
