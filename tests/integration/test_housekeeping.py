"""The sweep forgets what has served its purpose: handled event ids and used form tokens after
`EVENT_MEMORY` (long past any platform's retries), kept receipts after 15 minutes, old guess
counters; and a form older than the memory is refused rather than filed a second time."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import func, select

from bot import housekeeping
from bot.messages import DirectMessage, FormErrors
from bot.sweep import Sweeper
from storage.models import FormReceipt, GuessCount, InboundEvent, Report
from tests.support.world import World, text_of


def count(world: World, table: type) -> int:
    with world.db.read() as session:
        return int(session.exec(select(func.count()).select_from(table)).one())


def test_the_sweep_forgets_handled_events_after_the_memory_and_a_retry_inside_it_changes_nothing(world):
    # Given a DM Slack delivered, and the same event id retried within the hour
    actor = world.actor("cfo")
    world.service.handle(DirectMessage(actor, "help", event_id="Ev0001"))
    assert world.service.handle(DirectMessage(actor, "help", event_id="Ev0001")) == []
    world.clock.advance(days=1)
    world.service.handle(DirectMessage(actor, "help", event_id="Ev0002"))
    assert count(world, InboundEvent) == 2
    # When the sweep runs a day short of the memory, nothing is forgotten
    world.clock.advance(days=housekeeping.EVENT_MEMORY.days - 1)
    Sweeper(world.db, world.core, world.core.schedule).run(world.clock())
    assert count(world, InboundEvent) == 2
    # Past it (ids are stamped with their day's start, so a day more), the older id goes and the
    # younger stays
    world.clock.advance(days=1)
    Sweeper(world.db, world.core, world.core.schedule).run(world.clock())
    assert count(world, InboundEvent) == 1
    assert world.service.handle(DirectMessage(actor, "help", event_id="Ev0002")) == []


def test_a_sweep_rehearsed_in_the_future_forgets_nothing(world):
    world.service.handle(DirectMessage(world.actor("cfo"), "help", event_id="Ev0001"))
    Sweeper(world.db, world.core, world.core.schedule).run(world.clock() + timedelta(days=400))
    assert count(world, InboundEvent) == 1


def test_receipts_and_guess_counters_go_with_the_sweep(world):
    form = world.command("cfo", "ethics", "report")[0]
    world.submit("cfo", form.form_id, {"category": "fraud", "what": "Kickbacks from a supplier on every order", "anonymous": "yes"})  # type: ignore[attr-defined]
    world.command("controller", "ethics", "status ZZZZ-ZZZZ WRONG")
    assert count(world, FormReceipt) == 1 and count(world, GuessCount) == 1  # the person's, by day
    world.clock.advance(minutes=14)
    Sweeper(world.db, world.core, world.core.schedule).run(world.clock())
    assert count(world, FormReceipt) == 1
    world.clock.advance(hours=3)
    Sweeper(world.db, world.core, world.core.schedule).run(world.clock())
    assert count(world, FormReceipt) == 0 and count(world, GuessCount) == 1  # its day goes on
    world.clock.advance(days=1)
    Sweeper(world.db, world.core, world.core.schedule).run(world.clock())
    assert count(world, GuessCount) == 0


def test_a_report_form_older_than_the_memory_is_refused_not_filed_twice(world):
    form = world.command("cfo", "ethics", "report")[0]
    values = {"category": "fraud", "what": "Kickbacks from a supplier on every order", "anonymous": "no"}
    assert "recorded" in text_of(world.submit("cfo", form.form_id, values))  # type: ignore[attr-defined]
    # When the card is sent again after its token may have been forgotten
    world.clock.advance(days=housekeeping.EVENT_MEMORY.days + 1)
    Sweeper(world.db, world.core, world.core.schedule).run(world.clock())
    again = world.submit("cfo", form.form_id, values)  # type: ignore[attr-defined]
    # Then it is refused beside the text (kept in the form), and nothing is filed
    assert isinstance(again[0], FormErrors) and "too long ago" in again[0].errors["what"]
    assert count(world, Report) == 1
