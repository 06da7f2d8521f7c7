"""The notifier against the database: a notice with no route is kept and reported to the
committee."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from sqlmodel import col, select

from adapters.notify import Notifier
from adapters.senders import Posted, Ref
from bot import sanitize
from bot.messages import CHANNEL, Notice
from bot.outbox import db_enqueue, person_target
from bot.sweep import Sweeper
from storage.models import Identity, OutboxMessage, Person
from storage.vocabulary import OutboxState, PersonKind, Platform, Role
from tests.support.world import World, build_world

SLACK = frozenset({Platform.SLACK})


class FakeSender:
    """A platform that records every post, and can be slow, refuse, or run something mid-post."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.posts: list[tuple[str, Notice]] = []  # (outbox id, notice), in order
        self.before: Callable[[Ref], Awaitable[None]] | None = None

    async def post_to_channel(self, notice: Notice, ref: Ref) -> Posted:
        if self.before is not None:
            await self.before(ref)
        self.posts.append((ref.id, notice))
        return Posted("C0COMMITTEE", f"{self.name}-{len(self.posts)}")

    async def post_to_user(self, user_id: str, notice: Notice, ref: Ref) -> Posted:
        return await self.post_to_channel(notice, ref)

    async def update(self, posted: Posted, notice: Notice) -> None:
        raise AssertionError("no edits in these stories")


@pytest.fixture
def world(database, vault) -> World:
    return build_world(database, vault, platforms=SLACK)


def channel_notices(world: World, count: int) -> list[str]:
    """Write `count` channel notices for Slack; returns their outbox ids, oldest first."""
    with world.db.write() as session:
        for n in range(count):
            db_enqueue(session, world.core.vault, now=world.core.now(), key=f"test:{n}", target=CHANNEL,
                       notice=sanitize.reminder("A test notice", (("Number", str(n)),)), platforms=SLACK)
            world.clock.advance(microseconds=1)  # created_at orders the batch
    return [row.id for row in rows(world)]


def rows(world: World) -> list[OutboxMessage]:
    with world.db.read() as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.created_at))).all())


# --- a notice with no route ---------------------------------------------------------------------


def add_officer_without_platform_ids(world: World, name: str = "Robin Vale") -> Person:
    with world.db.write() as session:
        person = Person(name=name, email="robin@example.com", kind=PersonKind.OFFICER, role=Role.CONTROLLER,
                        attestation_due=datetime(2027, 3, 31).date())
        session.add(person)
    return person


async def test_a_reminder_for_someone_with_no_slack_id_is_kept_and_the_committee_told(world):
    # Given an officer on the roster with no Slack id, on a Slack-only deployment
    robin = add_officer_without_platform_ids(world)
    # When the sweep 30 days before the attestation deadline writes the reminders
    moment = datetime(2027, 3, 1, 9, tzinfo=UTC)
    world.clock.moment = moment
    Sweeper(world.db, world.core, world.core.schedule).run(moment)
    Sweeper(world.db, world.core, world.core.schedule).run(moment)  # a second run adds nothing

    # Then Robin's reminder is on record, failed for want of a route, not silently dropped
    by_key = {row.key: row for row in rows(world)}
    (robins,) = [row for key, row in by_key.items() if key.startswith("attest-remind:") and f":{robin.id}:" in key]
    assert (robins.state, robins.last_error) == (OutboxState.FAILED, "no_route")
    # And the committee channel gets one sanitized notice naming Robin and the reminder
    failure_keys = [key for key in by_key if key.startswith("delivery-failed:")]
    assert failure_keys == [f"delivery-failed:{robins.key.rsplit('@', 1)[0]}@slack"]
    sender = FakeSender("slack")
    await Notifier(world.relay, {Platform.SLACK: sender}).run_once()
    (notice,) = [n for _, n in sender.posts if "roster" in n.title]
    assert "no Slack id on the roster" in notice.title
    assert dict(notice.fields) == {"Person": "Robin Vale", "Notice": robins.key.rsplit("@", 1)[0]}
    # And the officers who have a Slack id got theirs
    delivered = [row.key for row in rows(world) if row.state is OutboxState.DELIVERED]
    assert any(f":{world.people['controller'].id}:" in key for key in delivered)


def test_a_reporter_with_no_route_is_not_named_beside_the_case(world):
    # Given a named reporter who has no Slack id
    robin = add_officer_without_platform_ids(world)
    assert robin.id is not None
    # When the committee's acknowledgement to them is written
    with world.db.write() as session:
        db_enqueue(session, world.core.vault, now=world.core.now(), key="reporter:ack:r123",
                   target=person_target(robin.id), notice=Notice(title="Received"), platforms=SLACK)
    # Then the channel notice names the notice (and so the case) but not the person
    with world.db.read() as session:
        row = session.exec(select(OutboxMessage).where(OutboxMessage.key == "delivery-failed:reporter:ack:r123@slack")).one()
        fields = dict(world.core.vault.open(session, kind="outbox", record_id=row.id, blob=row.body)["notice"]["fields"])
    assert fields == {"Notice": "reporter:ack:r123"}


def test_a_direct_message_whose_id_left_the_roster_is_failed_and_reported(world):
    # Given a reminder for Dana written while she had a Slack id, then her id removed
    cfo = world.people["cfo"]
    assert cfo.id is not None
    with world.db.write() as session:
        db_enqueue(session, world.core.vault, now=world.core.now(), key=f"attest-remind:{cfo.id}:x",
                   target=person_target(cfo.id), notice=Notice(title="Reminder"), platforms=SLACK)
        for identity in session.exec(select(Identity).where(Identity.person_id == cfo.id,
                                                            Identity.platform == Platform.SLACK)).all():
            session.delete(identity)
    # When the relay comes to it
    world.relay.claim(Platform.SLACK)
    # Then the row is failed for want of a route, and the committee is told, naming Dana
    by_key = {row.key: row for row in rows(world)}
    reminder = by_key[f"attest-remind:{cfo.id}:x@slack"]
    assert (reminder.state, reminder.last_error) == (OutboxState.FAILED, "no_route")
    (told,) = [row for key, row in by_key.items() if key.startswith("delivery-failed:")]
    with world.db.read() as session:
        notice = world.core.vault.open(session, kind="outbox", record_id=told.id, blob=told.body)["notice"]
    assert dict(notice["fields"])["Person"] == "Dana Reyes"


