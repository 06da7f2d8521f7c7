"""A relay that dies between Slack accepting a post and the database recording it: the row's lease
runs out, the next relay takes it, finds the post in the conversation's history by its outbox
tag, and records it. The notice is in the channel once, and later edits go to that message.
A 429 with Retry-After holds every notice for Slack, not only the one refused."""

from __future__ import annotations

import pytest
from sqlmodel import select

from adapters.notify import Notifier
from adapters.senders import Ref
from adapters.slack.sender import SlackSender
from bot.messages import CHANNEL
from storage.models import OutboxMessage, Report
from storage.vocabulary import OutboxState, Platform
from tests.integration.test_relay import channel_notices
from tests.integration.test_service import dm_report
from tests.support.slack_stand_in import SlackStandIn
from tests.support.world import World, build_world

COMMITTEE = "G0COMMITTEE"


@pytest.fixture
def world(database, vault) -> World:
    return build_world(database, vault, platforms=frozenset({Platform.SLACK}))


def channel_posts(api: SlackStandIn, code: str) -> list[str]:
    return [str(call) for call in api.called("chat.postMessage")
            if call.args.get("channel") == COMMITTEE and code in str(call)]


def the_alert(world: World) -> OutboxMessage:
    with world.db.read() as session:
        return session.exec(select(OutboxMessage).where(OutboxMessage.kind == "channel")).one()


async def die_mid_delivery(world: World, sender: SlackSender) -> None:
    """What a relay does up to the moment it is killed: claim, post; never record."""
    (item,) = [i for i in world.relay.claim(Platform.SLACK) if i.delivery.target == CHANNEL]
    await sender.post_to_channel(item.delivery.notice, Ref(item.id, item.created_at))


async def test_a_post_that_landed_before_the_relay_died_is_recorded_not_sent_again(world):
    dm_report(world, "cfo", anonymous=False)
    with world.db.read() as session:
        report = session.exec(select(Report)).one()
    async with SlackStandIn() as api:
        sender = SlackSender.create(token="xoxb-test", api_url=api.base_url, committee_channel=COMMITTEE)
        await die_mid_delivery(world, sender)
        (landed,) = [m for m in api.history[COMMITTEE] if report.code in m["text"]]
        assert the_alert(world).state is OutboxState.PENDING

        notifier = Notifier(world.relay, {Platform.SLACK: sender})
        await notifier.run_once()  # the lease still holds: the row is not taken again yet
        assert len(channel_posts(api, report.code)) == 1 and the_alert(world).state is OutboxState.PENDING

        world.clock.advance(seconds=61)
        await notifier.run_once()
        alert = the_alert(world)
        assert alert.state is OutboxState.DELIVERED
        assert len(channel_posts(api, report.code)) == 1
        assert api.called("conversations.history")  # it looked before posting again
        assert (alert.platform_channel, alert.platform_message_id) == (COMMITTEE, landed["ts"])

        # Acknowledging edits that same message.
        world.click("chair", f"case:ack:{report.id}")
        await notifier.run_once()
        (update,) = api.called("chat.update")
        assert update.args["ts"] == alert.platform_message_id


async def test_a_post_that_never_landed_is_sent_after_the_lease(world):
    dm_report(world, "cfo", anonymous=False)
    with world.db.read() as session:
        report = session.exec(select(Report)).one()
    async with SlackStandIn() as api:
        sender = SlackSender.create(token="xoxb-test", api_url=api.base_url, committee_channel=COMMITTEE)
        api.fail_next("chat.postMessage", status=500, error="internal_error", retry_after=None)
        with pytest.raises(Exception):  # noqa: B017  the relay dies with the request in flight
            await die_mid_delivery(world, sender)
        world.clock.advance(seconds=61)
        await Notifier(world.relay, {Platform.SLACK: sender}).run_once()
        assert the_alert(world).state is OutboxState.DELIVERED
        assert len(channel_posts(api, report.code)) == 1


async def test_slacks_retry_after_holds_the_whole_batch(world):
    # Given four channel notices, and Slack answering the first post 429 with Retry-After: 20
    channel_notices(world, 4)
    async with SlackStandIn() as api:
        sender = SlackSender.create(token="xoxb-test", api_url=api.base_url, committee_channel=COMMITTEE)
        api.fail_next("chat.postMessage", status=429, error="ratelimited", retry_after=20)
        notifier = Notifier(world.relay, {Platform.SLACK: sender})
        # When the notifier runs, and again ten seconds later
        await notifier.run_once()
        world.clock.advance(seconds=10)
        await notifier.run_once()
        # Then Slack saw one post (the refused one) and nothing after it
        assert len(api.failed) == 1 and api.called("chat.postMessage") == []
        # And after Retry-After, each notice is in the channel once
        world.clock.advance(seconds=11)
        await notifier.run_once()
        posts = api.called("chat.postMessage")
        tags = sorted(p.args["metadata"]["event_payload"]["outbox"] for p in posts)
        with world.db.read() as session:
            rows = session.exec(select(OutboxMessage)).all()
        assert tags == sorted(r.id for r in rows)
        assert all(r.state is OutboxState.DELIVERED for r in rows)
