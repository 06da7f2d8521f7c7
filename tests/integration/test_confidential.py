"""Confidential reporting (issue 24), through the core on SQLite and PostgreSQL: the third way to
report, what is stored, what the committee sees before and after the name is shown, and how the
reporter is reached."""

from __future__ import annotations

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
