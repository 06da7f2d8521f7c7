"""A committee channel that refuses Candor's posts until someone fixes it (the bot removed, a
revoked token) blocks its notices; it does not kill them. The notices are kept and retried on the
backoff, sent at once when the platform works again, dropped when their case moved on meanwhile;
operators see it in /healthz's reasons and get one content-free e-mail per outage."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from adapters.mail import Mailer, OutageMail
from adapters.notify import Notifier
from adapters.senders import Blocked, Posted, Ref
from bot import sanitize
from bot.delivery.outage import committee_health, db_waiting
from bot.delivery.outbox import FAILURE_PREFIX, db_enqueue, person_target
from bot.delivery.relay import DROPPED, RetryPolicy
from bot.messages import CHANNEL, Notice
from storage.models import AuditEvent, DeliveryOutage, OutboxMessage, Report
from storage.vocabulary import OutboxState, Platform
from tests.integration.test_service import CANARY, dm_report
from tests.support.smtp_server import smtp_server
from tests.support.world import World, build_world

SLACK = frozenset({Platform.SLACK})


class Channel:
    """A Slack committee channel the bot can be removed from and invited back into."""

    def __init__(self) -> None:
        self.refusing: str | None = None
        self.refusing_dms: str | None = None
        self.posts: list[tuple[str, Notice]] = []

    async def post_to_channel(self, notice: Notice, ref: Ref) -> Posted:
        if self.refusing:
            raise Blocked(self.refusing)
        self.posts.append((ref.id, notice))
        return Posted("C0COMMITTEE", f"ts-{len(self.posts)}")

    async def post_to_user(self, user_id: str, notice: Notice, ref: Ref) -> Posted:
        if self.refusing_dms:
            raise Blocked(self.refusing_dms)
        return Posted(f"D{user_id}", "dm")

    async def update(self, posted: Posted, notice: Notice) -> None:
        if self.refusing:
            raise Blocked(self.refusing)


@pytest.fixture
def world(database, vault) -> World:
    world = build_world(database, vault, platforms=SLACK)
    world.relay.policy = RetryPolicy(base_seconds=2, max_seconds=300)
    return world


def alert(world: World) -> OutboxMessage:
    with world.db.read() as session:
        return session.exec(select(OutboxMessage).where(col(OutboxMessage.key).startswith("alert:"))).one()


def report(world: World) -> Report:
    with world.db.read() as session:
        return session.exec(select(Report)).one()


def problems(world: World, stale_minutes: float = 15) -> dict[str, object]:
    with world.db.read() as session:
        waiting = db_waiting(session, now=world.core.now())
    return committee_health(waiting, now=world.core.now()).problems(stale_minutes=stale_minutes)


def refused_with_a_report(world: World, error: str) -> tuple[Channel, Notifier]:
    """The committee channel refusing every post with Slack's `error`, its notifier, and a named
    report filed (its alert due at once)."""
    channel = Channel()
    channel.refusing = error
    notifier = Notifier(world.relay, {Platform.SLACK: channel})
    dm_report(world, "cfo", anonymous=False)
    return channel, notifier


def alerts_posted(channel: Channel, world: World) -> list[str]:
    return [ref for ref, notice in channel.posts if report(world).code in str(notice)]


async def test_a_blocked_alert_is_kept_past_the_horizon_and_delivered_once_the_bot_is_back(world):
    # Given the bot was removed from the committee channel, and a report is filed
    channel, notifier = refused_with_a_report(world, "not_in_channel")
    # When the notifier tries, again and again, for two days (past the 24 h horizon)
    for _ in range(60):
        await notifier.run_once()
        world.clock.advance(minutes=50)
    # Then the alert is still there, blocked, retried no less often than the backoff's cap
    row = alert(world)
    assert (row.state, row.blocked, row.last_error) == (OutboxState.PENDING, True, "not_in_channel")
    assert row.next_attempt_at - world.core.now() <= timedelta(seconds=300)
    assert row.attempts > 10
    # And no "could not be delivered" notice was queued to the very channel that refuses
    with world.db.read() as session:
        assert not session.exec(select(OutboxMessage).where(col(OutboxMessage.key).startswith(FAILURE_PREFIX))).all()
    assert problems(world)["committee_channel_blocked"] == "not_in_channel"
    # When the bot is invited back, the alert goes on the next try, once
    channel.refusing = None
    world.clock.advance(seconds=300)
    await notifier.run_once()
    await notifier.run_once()
    assert alert(world).state is OutboxState.DELIVERED
    assert len(alerts_posted(channel, world)) == 1
    assert problems(world) == {}
    with world.db.read() as session:
        assert session.exec(select(DeliveryOutage)).all() == []  # the outage ended


async def test_a_post_that_gets_through_makes_the_blocked_notices_due_at_once(world):
    channel, notifier = refused_with_a_report(world, "not_in_channel")
    for _ in range(8):  # the backoff grows to minutes
        world.clock.advance(seconds=300)
        await notifier.run_once()
    assert alert(world).next_attempt_at > world.core.now()
    # When the channel works again and a later notice gets through
    channel.refusing = None
    with world.db.write() as session:
        db_enqueue(session, world.core.vault, now=world.core.now(), key="later:1", target=CHANNEL,
                   notice=sanitize.reminder("A later notice", ()), platforms=SLACK)
    await notifier.run_once()
    # Then the blocked alert is due now, not at the end of its backoff, and the next pass sends it
    assert alert(world).next_attempt_at <= world.core.now()
    await notifier.run_once()
    assert alert(world).state is OutboxState.DELIVERED and len(alerts_posted(channel, world)) == 1


async def test_a_pass_that_sends_a_direct_message_first_still_ends_the_outage(world):
    # Given a channel that refused the alert (an outage), and works again
    channel, notifier = refused_with_a_report(world, "not_in_channel")
    await notifier.run_once()
    with world.db.read() as session:
        assert session.exec(select(DeliveryOutage)).all() != []
    channel.refusing = None
    world.clock.advance(seconds=300)
    # When one pass sends a direct message first, then channel notices
    cfo = world.people["cfo"]
    with world.db.write() as session:
        db_enqueue(session, world.core.vault, now=world.core.now() - timedelta(hours=1),
                   key="test-dm:1", target=person_target(cfo.id), notice=Notice(title="A DM"),
                   platforms=SLACK)
        for n in range(3):
            db_enqueue(session, world.core.vault, now=world.core.now(), key=f"later:{n}",
                       target=CHANNEL, notice=sanitize.reminder("A later notice", ()),
                       platforms=SLACK)
    await notifier.run_once()
    # Then the outage is over, and every notice went once
    with world.db.read() as session:
        assert session.exec(select(DeliveryOutage)).all() == []
        assert {r.state for r in session.exec(select(OutboxMessage)).all()} == {
            OutboxState.DELIVERED}
    assert len(alerts_posted(channel, world)) == 1
    assert problems(world) == {}


async def test_retry_blocked_makes_the_refused_notices_due_now(world):
    channel, notifier = refused_with_a_report(world, "token_revoked")
    for _ in range(6):
        world.clock.advance(seconds=300)
        await notifier.run_once()
    assert alert(world).next_attempt_at > world.core.now()
    channel.refusing = None
    # The bot added back (member_joined_channel) or `candor notify retry`: both are this call
    assert world.service.retry_blocked(Platform.SLACK) == 1
    await notifier.run_once()
    assert alert(world).state is OutboxState.DELIVERED


async def test_a_blocked_alert_for_a_case_acknowledged_meanwhile_is_dropped_not_sent_late(world):
    channel, notifier = refused_with_a_report(world, "not_in_channel")
    await notifier.run_once()
    # The chair saw the case in /ethics cases and acknowledged it there
    world.click("chair", f"case:ack:{report(world).id}")
    channel.refusing = None
    world.service.retry_blocked(Platform.SLACK)
    for _ in range(3):
        world.clock.advance(seconds=5)
        await notifier.run_once()
    row = alert(world)
    assert (row.state, row.last_error) == (OutboxState.FAILED, DROPPED)
    assert alerts_posted(channel, world) == []
    with world.db.read() as session:
        dropped = session.exec(select(AuditEvent).where(AuditEvent.action == "notice.dropped")).one()
    assert dropped.record_id == row.id


async def test_a_notice_waiting_past_the_threshold_makes_health_fail(world):
    # A notifier that is not running: the alert is due and nobody sends it
    dm_report(world, "cfo", anonymous=False)
    assert problems(world) == {}
    world.clock.advance(minutes=42)
    assert problems(world) == {"oldest_notice_minutes": 42}


def test_a_delayed_notice_does_not_count_before_its_time(world):
    # An anonymous report's alert whose first due time is an hour away
    with world.db.write() as session:
        db_enqueue(session, world.core.vault, now=world.core.now(), key="alert:delayed", target=CHANNEL,
                   notice=sanitize.reminder("An alert", ()), platforms=SLACK)
        row = session.exec(select(OutboxMessage)).one()
        row.next_attempt_at = row.due_at = world.core.now() + timedelta(hours=1)
        session.add(row)
    world.clock.advance(minutes=59)
    with world.db.read() as session:
        assert db_waiting(session, now=world.core.now()) == []
    assert problems(world) == {}
    world.clock.advance(minutes=20)  # due since 19 minutes: now it waits, counted from its due time
    assert problems(world) == {"oldest_notice_minutes": 19}


async def test_operators_get_one_content_free_email_per_outage(world):
    channel, notifier = refused_with_a_report(world, "not_in_channel")
    code, category = report(world).code, report(world).category.value
    with smtp_server() as (url, mailbox):
        mail = OutageMail(world.db, world.core, Mailer.from_url(url), timedelta(minutes=15),
                          extra="ops@example.com")
        await notifier.run_once()
        assert mail.check() == 0  # blocked, but not yet for the threshold
        world.clock.advance(minutes=16)
        await notifier.run_once()
        assert mail.check() == 1
        world.clock.advance(minutes=60)
        await notifier.run_once()
        assert mail.check() == 0  # once per outage
        ((to, message),) = mailbox.messages
        assert sorted(to) == ["lee@example.com", "ops@example.com"]  # the chair, and the configured address
        body = message.get_payload()
        assert "1 notice for the Audit Committee" in body and "not_in_channel" in body
        assert "Invite the bot back" in body
        for secret in (code, category, CANARY, "Dana", "fraud"):
            assert secret not in body and secret not in str(message["Subject"])
        with world.db.read() as session:
            (event,) = session.exec(select(AuditEvent).where(AuditEvent.action == "outage.emailed")).all()
        assert '"cause":"not_in_channel"' in event.detail and code not in event.detail

        # The channel comes back; a later outage is a new one, and is told again
        channel.refusing = None
        world.service.retry_blocked(Platform.SLACK)
        await notifier.run_once()
        assert alert(world).state is OutboxState.DELIVERED
        channel.refusing = "is_archived"
        with world.db.write() as session:
            db_enqueue(session, world.core.vault, now=world.core.now(), key="later:2", target=CHANNEL,
                       notice=sanitize.reminder("A later notice", ()), platforms=SLACK)
        await notifier.run_once()
        world.clock.advance(minutes=16)
        assert mail.check() == 1
        assert len(mailbox.messages) == 2 and "is_archived" in mailbox.messages[1][1].get_payload()


async def test_an_email_that_fails_is_tried_again(world):
    channel = Channel()
    channel.refusing = "not_in_channel"
    dm_report(world, "cfo", anonymous=False)
    await Notifier(world.relay, {Platform.SLACK: channel}).run_once()
    world.clock.advance(minutes=16)
    with smtp_server() as (url, mailbox):
        pass  # the server is gone: nothing listens on its port
    mail = OutageMail(world.db, world.core, Mailer.from_url(url), timedelta(minutes=15))
    assert mail.check() == 0
    with world.db.read() as session:
        assert session.exec(select(DeliveryOutage)).one().emailed_at is None


async def test_a_blocked_direct_message_is_given_up_after_the_horizon_and_the_committee_told(world):
    # Given a token that Slack refuses for direct messages only (the channel works)
    channel = Channel()
    channel.refusing_dms = "invalid_auth"
    notifier = Notifier(world.relay, {Platform.SLACK: channel})
    dm_report(world, "cfo", anonymous=False)
    world.click("chair", f"case:ack:{report(world).id}")  # the named reporter is told by DM
    await notifier.run_once()
    with world.db.read() as session:
        dm = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "dm")).one()
    assert dm.blocked and problems(world) == {}  # a blocked DM is not the committee channel
    # When it stays refused past the 24 h horizon
    for _ in range(30):
        world.clock.advance(hours=1)
        await notifier.run_once()
    # Then it is given up, and the committee's channel is told that it did not arrive
    with world.db.read() as session:
        dm = session.get(OutboxMessage, dm.id)
        told = session.exec(select(OutboxMessage).where(col(OutboxMessage.key).startswith(FAILURE_PREFIX))).one()
    assert (dm.state, dm.last_error) == (OutboxState.FAILED, "invalid_auth")
    assert told.state is OutboxState.DELIVERED
