"""The notifier against the database: two relays never post the same notice, a notice with no
route is kept and reported to the committee, a platform's Retry-After pauses the whole platform,
and the database connections a leader holds notice a vanished peer in seconds, not hours."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, text
from sqlmodel import col, select

from adapters.key_watch import KeyringWatcher
from adapters.notify import Notifier
from adapters.senders import Posted, Ref, RetryLater
from bot import sanitize
from bot.delivery.outbox import db_enqueue, people_target, person_target, private_key
from bot.delivery.relay import Relay, RetryPolicy
from bot.messages import CHANNEL, Notice
from bot.sweep import Sweeper
from storage import db as storage_db
from storage import identities
from storage.crypto import Vault
from storage.db import Database, make_engine
from storage.keyring import save_keyring
from storage.models import OutboxMessage, Person
from storage.vocabulary import OutboxState, PersonKind, Platform, RecordKind, Role
from tests.conftest import POSTGRES_URL, require_postgres
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


def second_replica(world: World) -> Relay:
    """Another replica's relay: its own engine on the same database, the same clock."""
    url = world.db.engine.url.render_as_string(hide_password=False)
    return Relay(Database(make_engine(url)), world.core)


# --- two relays, one slow -----------------------------------------------------------------------


async def test_a_slow_relay_does_not_post_what_another_took_over_after_its_lease(world):
    # Given five channel notices, and relay A whose posts take 40 s each (lease: 60 s)
    ids = channel_notices(world, 5)
    relay_b = second_replica(world)
    a, b = FakeSender("a"), FakeSender("b")
    notifier_b = Notifier(relay_b, {Platform.SLACK: b})

    async def slow(ref: Ref) -> None:
        world.clock.advance(seconds=40)
        if len(a.posts) == 1:  # during A's second post, 80 s after A claimed the batch,
            await notifier_b.run_once()  # replica B finds the rest with their leases run out

    a.before = slow
    try:
        # When A works through the batch it claimed
        await Notifier(world.relay, {Platform.SLACK: a}).run_once()
    finally:
        relay_b.db.dispose()

    # Then A sent the two it still held, B the three it took over, and no notice went twice
    assert [i for i, _ in a.posts] == ids[:2]
    assert sorted(i for i, _ in b.posts) == sorted(ids[2:])
    assert all(row.state is OutboxState.DELIVERED and row.attempts == 1 for row in rows(world))


async def test_two_relays_running_at_once_post_each_notice_once(world):
    # Given twelve notices, and two replicas' notifiers running side by side; A is slow enough
    # that its leases run out while it still holds rows
    ids = channel_notices(world, 12)
    relay_b = second_replica(world)
    a, b = FakeSender("a"), FakeSender("b")

    a_holds_rows = asyncio.Event()

    async def slow(ref: Ref) -> None:
        a_holds_rows.set()
        world.clock.advance(seconds=35)
        await asyncio.sleep(0.02)

    a.before = slow

    async def drain(notifier: Notifier, *, after: asyncio.Event | None = None) -> None:
        if after is not None:  # B starts once A holds the rows, however the machine schedules them
            await after.wait()
        for _ in range(200):
            await notifier.run_once()
            if all(row.state is OutboxState.DELIVERED for row in rows(world)):
                return
            await asyncio.sleep(0.005)

    try:
        # When both relay until everything is delivered
        await asyncio.wait_for(asyncio.gather(
            drain(Notifier(world.relay, {Platform.SLACK: a}, idle_seconds=0.01)),
            drain(Notifier(relay_b, {Platform.SLACK: b}, idle_seconds=0.01), after=a_holds_rows)), timeout=60)
    finally:
        relay_b.db.dispose()

    # Then each notice was posted exactly once, and both relays took part
    posted = [i for i, _ in a.posts + b.posts]
    assert sorted(posted) == sorted(ids)
    assert a.posts and b.posts


def test_an_outcome_arriving_after_another_relay_took_the_row_is_not_recorded(world):
    # Given relay A claimed a notice, its lease ran out, and relay B claimed it
    channel_notices(world, 1)
    (late,) = world.relay.claim(Platform.SLACK)
    world.clock.advance(seconds=61)
    relay_b = second_replica(world)
    try:
        (current,) = relay_b.claim(Platform.SLACK)
        # When A's post finally fails and A records a retry
        assert world.relay.hold(late) is None
        world.relay.retry(late, code="ratelimited", retry_after=None)
        # Then B's lease stands (clearing it would let a third relay post too) and B may send
        (row,) = rows(world)
        assert row.attempts == 0 and row.claimed_until == current.lease
        assert relay_b.hold(current) is not None
    finally:
        relay_b.db.dispose()


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
    robin_key = private_key(world.core.vault, f"attest-remind:{robin.id}:2027-03-31:d-30")
    (robins,) = [row for key, row in by_key.items() if key == f"{robin_key}@slack"]
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
    controller = world.people["controller"].id
    assert private_key(world.core.vault, f"attest-remind:{controller}:2027-03-31:d-30") + "@slack" in delivered


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
        fields = dict(world.core.vault.unseal(session, kind="outbox", record_id=row.id, blob=row.body)["notice"]["fields"])
    assert fields == {"Notice": "reporter:ack:r123"}


def test_a_direct_message_whose_id_left_the_roster_is_failed_and_reported(world):
    # Given a reminder for Dana written while she had a Slack id, then her id removed
    cfo = world.people["cfo"]
    assert cfo.id is not None
    with world.db.write() as session:
        db_enqueue(session, world.core.vault, now=world.core.now(), key=f"attest-remind:{cfo.id}:x",
                   target=person_target(cfo.id), notice=Notice(title="Reminder"), platforms=SLACK)
        slack_id = identities.db_account(session, world.core.vault, cfo.id, Platform.SLACK)
        assert slack_id is not None
        identities.db_remove(session, world.core.vault, slack_id)
    # When the relay comes to it
    world.relay.claim(Platform.SLACK)
    # Then the row is failed for want of a route, and the committee is told, naming Dana
    by_key = {row.key: row for row in rows(world)}
    reminder = by_key[f"attest-remind:{cfo.id}:x@slack"]
    assert (reminder.state, reminder.last_error) == (OutboxState.FAILED, "no_route")
    (told,) = [row for key, row in by_key.items() if key.startswith("delivery-failed:")]
    with world.db.read() as session:
        notice = world.core.vault.unseal(session, kind="outbox", record_id=told.id, blob=told.body)["notice"]
    assert dict(notice["fields"])["Person"] == "Dana Reyes"


# --- one escalation to several members -----------------------------------------------------------


class ChatsSender:
    """A platform that, like Slack, finds a post tagged with a ref when asked to look
    (`maybe_sent`), and can lose its answer to one post: the post lands, the relay hears an error."""

    def __init__(self, *, lose_answer_to: int | None = None) -> None:
        self.posts: list[tuple[str, str]] = []  # (user id, ref id)
        self.lose_answer_to = lose_answer_to

    async def post_to_channel(self, notice: Notice, ref: Ref) -> Posted:
        raise AssertionError("direct messages only in this story")

    async def post_to_user(self, user_id: str, notice: Notice, ref: Ref) -> Posted:
        if ref.maybe_sent and (user_id, ref.id) in self.posts:
            return Posted(f"D{user_id}", "found")
        self.posts.append((user_id, ref.id))
        if len(self.posts) == self.lose_answer_to:
            raise ConnectionResetError("the answer never came")
        return Posted(f"D{user_id}", f"ts-{len(self.posts)}")

    async def update(self, posted: Posted, notice: Notice) -> None:
        raise AssertionError("no edits in this story")


async def test_an_escalation_to_several_members_reaches_each_once_across_a_lost_answer(world):
    # Given one escalation row for three members, and Slack losing its answer to the second post
    members = [world.people[k].id for k in ("chair", "member", "member2")]
    with world.db.write() as session:
        db_enqueue(session, world.core.vault, now=world.core.now(), key="unacked:r1:members",
                   target=people_target(m for m in members if m is not None),
                   notice=Notice(title="Waiting for acknowledgement"), platforms=SLACK)
    (row,) = rows(world)
    sender = ChatsSender(lose_answer_to=2)
    notifier = Notifier(world.relay, {Platform.SLACK: sender})

    # When the relay tries, and tries again once the row is due
    await notifier.run_once()
    (row,) = rows(world)
    assert row.state is OutboxState.PENDING and row.in_doubt
    world.clock.advance(seconds=10)
    await notifier.run_once()

    # Then each member has it once: the first was not sent again, the second was found, not resent
    assert sorted(user for user, _ref in sender.posts) == ["U0ALEX", "U0JORD", "U0LEE"]
    (row,) = rows(world)
    assert row.state is OutboxState.DELIVERED
    # And the row keeps no chat or post id, and no post carries the row's id
    assert (row.platform_channel, row.platform_message_id) == (None, None)
    assert len({ref for _user, ref in sender.posts}) == 3 and row.id not in {ref for _u, ref in sender.posts}


async def test_an_escalation_that_reaches_no_one_is_written_and_delivered_all_the_same(world):
    # Given the chair's escalation for a case that keeps the chair away: no one to reach
    with world.db.write() as session:
        written = db_enqueue(session, world.core.vault, now=world.core.now(), key="unacked:r1:chair",
                             target=people_target([]), notice=Notice(title="Waiting"), platforms=SLACK)
    sender = ChatsSender()
    await Notifier(world.relay, {Platform.SLACK: sender}).run_once()

    # Then its row is there as for any case, delivered to no one, and no failure is reported
    assert written == 1 and sender.posts == []
    assert [(r.key, r.state) for r in rows(world)] == [("unacked:r1:chair@slack", OutboxState.DELIVERED)]


# --- Retry-After pauses the platform ------------------------------------------------------------


async def test_a_rate_limit_pauses_the_platform_without_burning_the_batch(world):
    # Given three notices, and Slack answering the first post with 429, Retry-After 30 s
    ids = channel_notices(world, 3)
    sender = FakeSender("slack")
    refused: list[str] = []

    async def rate_limited_once(ref: Ref) -> None:
        if not refused:
            refused.append(ref.id)
            raise RetryLater("ratelimited", retry_after=30)

    sender.before = rate_limited_once
    notifier = Notifier(world.relay, {Platform.SLACK: sender})

    # When the notifier runs, and runs again 29 s later
    await notifier.run_once()
    world.clock.advance(seconds=29)
    await notifier.run_once()

    # Then nothing more was posted: the other two wait, unclaimed, with no attempt counted
    assert refused == [ids[0]] and sender.posts == []
    by_id = {row.id: row for row in rows(world)}
    assert by_id[ids[0]].attempts == 1 and by_id[ids[0]].last_error == "ratelimited"
    for waiting in ids[1:]:
        row = by_id[waiting]
        assert (row.state, row.attempts, row.claimed_until) == (OutboxState.PENDING, 0, None)

    # And once Retry-After has passed, all three go, each once
    world.clock.advance(seconds=2)
    await notifier.run_once()
    assert sorted(i for i, _ in sender.posts) == sorted(ids)
    assert all(row.state is OutboxState.DELIVERED for row in rows(world))


def test_backoff_doubles_with_jitter_up_to_its_cap_and_honours_retry_after():
    policy = RetryPolicy(base_seconds=2.0, max_seconds=300.0)

    for attempts, ceiling in ((1, 2.0), (2, 4.0), (5, 32.0), (9, 300.0), (40, 300.0)):
        delays = {policy.backoff(attempts, None) for _ in range(50)}
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(delays) > 1  # jittered: replicas retrying together spread out
    assert all(policy.backoff(1, 120.0) == 120.0 for _ in range(20))  # never sooner than asked
    assert policy.backoff(9, 1.0) >= 150.0  # nor sooner than the backoff


# --- connections that notice a vanished peer ----------------------------------------------------


class _Captured(Exception):
    pass


def test_the_engine_factory_asks_for_keepalive_on_both_ends():
    # Given a PostgreSQL engine whose connect is intercepted (no server needed)
    engine = make_engine("postgresql://u@db.invalid:5432/candor?options=-csearch_path%3Dt_1")
    seen: dict[str, object] = {}

    @event.listens_for(engine, "do_connect")
    def capture(dialect, record, cargs, cparams):  # noqa: ANN001, ANN202
        seen.update(cparams)
        raise _Captured

    with pytest.raises(_Captured):
        engine.connect()
    # Then libpq keeps the connection alive (~25 s to notice a dead peer) ...
    assert {k: seen[k] for k in ("keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count")} == {
        "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3}
    assert seen["tcp_user_timeout"] == 30_000  # this psycopg's libpq is >= 12
    # ... the server's side of the session does too, and the URL's own options are kept
    assert seen["options"] == ("-csearch_path=t_1 -c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 "
                               "-c tcp_keepalives_count=3")


def test_an_old_libpq_is_not_asked_for_tcp_user_timeout():
    args = storage_db.postgres_connect_args("postgresql+psycopg://u@h/db", libpq_version=110005)
    assert "tcp_user_timeout" not in args and args["keepalives"] == 1
    assert args["options"].startswith("-c tcp_keepalives_idle=10")


def test_a_postgresql_session_runs_with_server_side_keepalive():
    require_postgres()
    engine = make_engine(POSTGRES_URL)
    try:
        with engine.connect() as connection:
            settings = {name: connection.execute(text(f"SHOW {name}")).scalar()
                        for name in ("tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count")}
            client = {option.keyword.decode(): (option.val or b"").decode()
                      for option in connection.connection.dbapi_connection.pgconn.info}  # type: ignore[union-attr]
    finally:
        engine.dispose()
    assert settings == {"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5", "tcp_keepalives_count": "3"}
    assert client["keepalives"] == "1" and client["keepalives_idle"] == "10" and client["tcp_user_timeout"] == "30000"


# --- the claim's data keys -----------------------------------------------------------------------

def test_a_claimed_batch_s_data_keys_are_read_in_one_statement(world):
    # Given five notices due
    channel_notices(world, 5)
    seen: list[str] = []

    def sent(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(" ".join(statement.split()).upper())

    event.listen(world.db.engine, "before_cursor_execute", sent)
    try:
        # When the relay claims them
        items = world.relay.claim(Platform.SLACK)
    finally:
        event.remove(world.db.engine, "before_cursor_execute", sent)
    # Then all five open, each with its own data key, and the keys were read in one statement,
    # not one a notice (a round trip each on PostgreSQL)
    assert sorted(i.delivery.notice.fields for i in items) == [
        (("Number", str(n)),) for n in range(5)]
    assert len([s for s in seen if s.startswith("SELECT") and "FROM DATAKEY" in s]) == 1


def test_a_shredded_notice_in_a_claimed_batch_is_skipped_and_the_others_go(world, caplog):
    # Given three notices due, the middle one's data key shredded (its content gone for good)
    ids = channel_notices(world, 3)
    with world.db.write() as session:
        assert world.core.vault.shred(session, kind=RecordKind.OUTBOX, record_id=ids[1])
    # When the relay claims the batch
    items = world.relay.claim(Platform.SLACK)
    # Then the two others open and go; the shredded one is skipped, logged by its id only
    assert sorted(i.id for i in items) == sorted([ids[0], ids[2]])
    assert world.relay.unopened == 1
    assert any(ids[1] in r.getMessage() and "ShreddedError" in r.getMessage() for r in caplog.records)
    assert "A test notice" not in caplog.text


def test_a_claim_reads_the_key_file_again_for_a_master_key_version_it_lacks(world, tmp_path):
    # Given a server watching its key file, and a notice written by another server that already
    # wraps under master key v2, written to the key file meanwhile
    vault = world.core.vault
    key_file = tmp_path / "candor.key"
    save_keyring(key_file, vault.keyring, create=True)
    vault.refresh = KeyringWatcher(db=world.db, vault=vault, key_file=key_file,
                                   from_environment=False, poll_seconds=3600.0,
                                   heartbeat_seconds=10).refresh
    newer = vault.keyring.rotated()
    save_keyring(key_file, newer)
    channel_notices(world, 1)
    with world.db.write() as session:
        db_enqueue(session, Vault(newer, scrypt_log2_n=vault.scrypt_log2_n), now=world.core.now(),
                   key="test:newer", target=CHANNEL,
                   notice=sanitize.reminder("A test notice", (("Number", "v2"),)), platforms=SLACK)
    # When the relay claims the batch
    items = world.relay.claim(Platform.SLACK)
    # Then the key file was read again, and both notices open
    assert sorted(i.key for i in items) == ["test:0@slack", "test:newer@slack"]
    assert world.relay.unopened == 0 and vault.keyring == newer


# --- a notice wrapped under a master key version this server does not hold yet ------------------

def test_a_notice_that_does_not_open_is_skipped_and_sent_once_the_keyring_reloads(world, caplog):
    # Given two notices, then one written by a server that already wraps under master key v2
    # (a rotation under way), then one more; this relay still holds only v1
    channel_notices(world, 2)
    newer = Vault(world.core.vault.keyring.rotated(), scrypt_log2_n=world.core.vault.scrypt_log2_n)
    with world.db.write() as session:
        db_enqueue(session, newer, now=world.core.now(), key="test:newer", target=CHANNEL,
                   notice=sanitize.reminder("A test notice", (("Number", "v2"),)), platforms=SLACK)
    world.clock.advance(microseconds=1)
    with world.db.write() as session:
        db_enqueue(session, world.core.vault, now=world.core.now(), key="test:after", target=CHANNEL,
                   notice=sanitize.reminder("A test notice", (("Number", "after"),)), platforms=SLACK)
    stuck = next(r for r in rows(world) if r.key == "test:newer@slack")

    # When the relay claims the batch
    items = world.relay.claim(Platform.SLACK)

    # Then the three others go out; the one it cannot open is skipped, logged by id, counted,
    # and waits (pending, no attempt counted)
    assert sorted(i.key for i in items) == ["test:0@slack", "test:1@slack", "test:after@slack"]
    assert world.relay.unopened == 1
    assert any(stuck.id in r.getMessage() and "KeyringError" in r.getMessage() for r in caplog.records)
    assert "A test notice" not in caplog.text
    row = next(r for r in rows(world) if r.id == stuck.id)
    assert row.state is OutboxState.PENDING and row.attempts == 0 and row.claimed_until is None

    for item in items:
        world.relay.delivered(item, channel="C0COMMITTEE", message_id=item.id)

    # When the server's keyring reloads with v2 and the row is due again, it is claimed
    world.core.vault.keyring = newer.keyring
    world.clock.advance(seconds=600)
    assert [i.id for i in world.relay.claim(Platform.SLACK)] == [stuck.id]


def test_a_notice_that_never_opens_fails_past_the_horizon_and_the_committee_is_told(world):
    # Given a notice wrapped under a version this server will never hold
    other = Vault(world.core.vault.keyring.rotated(), scrypt_log2_n=world.core.vault.scrypt_log2_n)
    with world.db.write() as session:
        db_enqueue(session, other, now=world.core.now(), key="test:lost", target=CHANNEL,
                   notice=sanitize.reminder("A test notice", ()), platforms=SLACK)
    # When the relay keeps meeting it past the delivery horizon
    assert world.relay.claim(Platform.SLACK) == []
    world.clock.advance(hours=25)
    assert world.relay.claim(Platform.SLACK) == []
    # Then it is failed, and the committee's notice that it will not arrive goes out instead
    lost = next(r for r in rows(world) if r.key == "test:lost@slack")
    assert lost.state is OutboxState.FAILED and lost.last_error == "unopened"
    assert [i.key for i in world.relay.claim(Platform.SLACK)] == [f"delivery-failed:{lost.id}@slack"]


# --- a lease held before each send ---------------------------------------------------------------


def test_a_row_is_held_for_a_full_lease_again_just_before_it_is_sent(world):
    # Given a notice claimed 31 s ago (lease: 60 s)
    channel_notices(world, 1)
    (item,) = world.relay.claim(Platform.SLACK)
    world.clock.advance(seconds=31)
    # When the relay holds it to send it
    held = world.relay.hold(item)
    # Then its lease runs a full length from now
    assert held is not None and held.lease is not None and item.lease is not None
    assert held.lease == world.core.now() + world.relay.policy.lease > item.lease
    (row,) = rows(world)
    assert row.claimed_until == held.lease


def test_a_pass_with_nothing_due_takes_no_write(world):
    # Given a notice that is not due for a minute
    channel_notices(world, 1)
    with world.db.write() as session:
        (row,) = session.exec(select(OutboxMessage)).all()
        row.next_attempt_at = world.core.now() + timedelta(minutes=1)
    writes: list[object] = []

    def began(connection) -> None:
        if not connection.get_execution_options().get("candor_readonly"):
            writes.append(connection)

    event.listen(world.db.engine, "begin", began)
    try:
        # When the notifier looks for what is due
        claimed = world.relay.claim(Platform.SLACK)
    finally:
        event.remove(world.db.engine, "begin", began)
    # Then it claims nothing, and on SQLite took no write (the officers' events queue for its one
    # writer; PostgreSQL's claim finds nothing with its own SELECT ... SKIP LOCKED, writing nothing)
    assert claimed == []
    assert not writes if world.db.is_sqlite else len(writes) == 1
    # And once it is due it is claimed as before
    world.clock.advance(minutes=2)
    assert [item.id for item in world.relay.claim(Platform.SLACK)] == [row.id]


def test_a_delivery_keeps_where_a_channel_post_landed_and_not_where_a_direct_message_did(world):
    # Given a notice for the committee's channel and a reminder to Dana, both delivered
    cfo = world.people["cfo"]
    assert cfo.id is not None
    with world.db.write() as session:
        db_enqueue(session, world.core.vault, now=world.core.now(), key="test:channel", target=CHANNEL,
                   notice=sanitize.reminder("A test notice", ()), platforms=SLACK)
        db_enqueue(session, world.core.vault, now=world.core.now(), key=f"attest-remind:{cfo.id}:y",
                   target=person_target(cfo.id), notice=Notice(title="Reminder"), platforms=SLACK)
    sender = FakeSender("a")
    sent: list[object] = []

    def parameters(_conn, _cursor, _statement, params, *_args) -> None:  # type: ignore[no-untyped-def]
        sent.append(params)

    event.listen(world.db.engine, "before_cursor_execute", parameters)
    try:
        asyncio.run(Notifier(world.relay, {Platform.SLACK: sender}).run_once())
    finally:
        event.remove(world.db.engine, "before_cursor_execute", parameters)
    assert len(sender.posts) == 2
    # Then each is delivered once, on its first attempt, with no lease left
    delivered = {row.key.partition(":")[0]: row for row in rows(world)}
    for row in delivered.values():
        assert (row.state, row.attempts, row.claimed_until, row.in_doubt) == (
            OutboxState.DELIVERED, 1, None, False)
        assert row.delivered_at is not None
    # And the channel post's place is kept (it is edited later), the direct message's is not
    assert delivered["test"].platform_channel == "C0COMMITTEE"
    assert delivered["test"].platform_message_id is not None
    dm = delivered["attest-remind"]
    assert (dm.platform_channel, dm.platform_message_id) == (None, None)
    # nor sent to the database at all (a server logging statements would log it beside the row)
    dm_post = next(f"a-{n}" for n, (_id, notice) in enumerate(sender.posts, 1)
                   if notice.title == "Reminder")
    assert delivered["test"].platform_message_id != dm_post
    assert not [p for p in sent if dm_post in repr(p)]
