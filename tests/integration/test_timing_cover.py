"""An anonymous report is hidden in time: its channel alert waits a random, durable delay; every
plain row dates it by its day; what a person's drafting leaves in plain rows is a day too."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import MetaData
from sqlmodel import select

from bot.messages import CHANNEL
from bot.relay import Relay
from storage.models import AuditEvent, Conversation, InboundEvent, OutboxMessage, Report
from storage.vocabulary import Platform
from tests.support.world import World, build_world, text_of

MOMENT = datetime(2026, 11, 2, 10, 17, 43, tzinfo=UTC)
DAY = datetime(2026, 11, 2, tzinfo=UTC)


@pytest.fixture
def world(database, vault) -> World:
    world = build_world(database, vault)
    world.core.schedule = replace(world.core.schedule, anonymous_delay_minutes=60)
    world.clock.moment = MOMENT
    return world


def form_report(world: World, who: str, *, anonymous: bool, form: str = "1") -> str:
    return text_of(world.submit(who, f"intake:tok-{who}-{form}", {
        "category": "fraud", "what": "Invoices are split to stay under the approval limit",
        "anonymous": "yes" if anonymous else "no"}))


def channel_rows(world: World) -> list[OutboxMessage]:
    with world.db.read() as session:
        return [r for r in session.exec(select(OutboxMessage)).all() if r.key.startswith("alert:")]


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


def test_an_anonymous_alert_waits_a_random_delay_kept_in_the_outbox(world):
    receipt = form_report(world, "controller", anonymous=True)
    assert "Your secret" in receipt

    # The alert is written now, held back until a not-before time within the hour
    [row] = channel_rows(world)
    assert MOMENT <= row.next_attempt_at.replace(tzinfo=UTC) <= MOMENT + timedelta(minutes=60)
    assert world.relay.claim(Platform.CONSOLE) == []

    # A restarted notifier (a new relay on the same database) sends it once the time has come
    world.clock.moment = MOMENT + timedelta(minutes=61)
    restarted = Relay(world.db, world.core)
    items = [i for i in restarted.claim(Platform.CONSOLE) if i.delivery.target == CHANNEL]
    assert len(items) == 1
    # It shows the day received, never the time
    fields = dict(items[0].delivery.notice.fields)
    assert fields["Received"] == "2026-11-02"


def test_the_delays_vary_and_zero_turns_them_off(world):
    for n in range(6):
        form_report(world, "controller", anonymous=True, form=str(n))
        world.clock.advance(seconds=1)
    delays = {r.next_attempt_at for r in channel_rows(world)}
    assert len(delays) > 1
    world.core.schedule = replace(world.core.schedule, anonymous_delay_minutes=0)
    before = {r.id for r in channel_rows(world)}
    form_report(world, "cfo", anonymous=True)
    [new] = [r for r in channel_rows(world) if r.id not in before]
    assert new.next_attempt_at.replace(tzinfo=UTC) == world.clock.moment  # due at once
    assert new.due_at.replace(tzinfo=UTC) == world.clock.moment  # and not waiting since midnight


def test_a_named_report_is_alerted_at_once_and_keeps_its_time(world):
    form_report(world, "cfo", anonymous=False)
    [row] = channel_rows(world)
    assert row.next_attempt_at.replace(tzinfo=UTC) == MOMENT
    with world.db.read() as session:
        assert session.exec(select(Report)).one().received_at.replace(tzinfo=UTC) == MOMENT


def test_no_plain_time_dates_an_anonymous_report_finer_than_its_day(world):
    # Given an anonymous report made by the form, with a member kept away, at 10:17:43
    world.submit("controller", "intake:tok-x", {
        "category": "fraud", "what": "Invoices are split to stay under the approval limit",
        "exclude": [str(world.people["member"].id)], "anonymous": "yes"})

    # Then no plain time anywhere in the database is that moment (or its minute): report,
    # exclusion, audit, outbox creation, the form's spent token are all dated by the day
    # (the alert's not-before time is the moment plus a random delay: the cover itself)
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
    status = text_of(world.command("controller", "ethics", "cases"))
    assert "10:17" not in status
    assert world.core.receipt_due(report).isoformat() == "2026-11-09"


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
