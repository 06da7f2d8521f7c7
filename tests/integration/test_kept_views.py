"""Kept views (`bot.receipts`, `Service.keep_view` / `take_view`): what an adapter shows later in
a window its chat's button opens is kept sealed in the database, for one person, ten minutes, one
opening; the sweep shreds what nobody opened. On SQLite and PostgreSQL."""

from __future__ import annotations

from sqlmodel import func, select

from bot import attestation, intake, receipts, report_form
from bot.messages import Actor, Choice, Document, Style
from bot.sweep import Sweeper
from storage.models import DataKey, FormReceipt
from storage.vocabulary import Platform
from tests.support.threads import at_once
from tests.support.world import World

DANA = Actor(Platform.TEAMS, "aad-dana")
RECEIPT = Document("Your receipt", (("Keep this", "Case *K7-4Q2M*. Your secret: *ORBIT-CANDLE-93*"),),
                   (Choice("Open my reports", "myreports", Style.PRIMARY),))


def kept(world: World) -> int:
    with world.db.read() as session:
        return int(session.exec(select(func.count()).select_from(FormReceipt)).one())


def data_keys(world: World) -> int:
    with world.db.read() as session:
        return int(session.exec(select(func.count()).select_from(DataKey)
                                .where(DataKey.record_kind == "form_receipt")).one())


def test_a_kept_form_or_document_comes_back_exactly_as_it_was(world):
    forms = [report_form.form([intake.Member(3, "Lee Park"), intake.Member(4, "Alex Kim")], once="tok.abc"),
             attestation.form(world.core.policy, "2027", once="tok.def")]
    for reply in [RECEIPT, *forms]:
        key = world.service.keep_view(DANA, [reply])
        assert world.service.take_view(DANA, key) == [reply]


def test_a_view_opens_once_and_only_for_its_person(world):
    key = world.service.keep_view(DANA, [RECEIPT])
    # Someone else with the key (from the card in a chat's history), or Dana on another platform:
    # nothing, and it stays for her
    for other in (Actor(Platform.TEAMS, "aad-alex"), Actor(Platform.SLACK, "aad-dana"),
                  Actor(Platform.TEAMS, "aad-dana-")):
        assert world.service.take_view(other, key) is None
    assert world.service.take_view(DANA, key + "x") is None
    assert world.service.take_view(DANA, "x" * 5000) is None
    assert kept(world) == 1
    # Dana: once, then it is shredded (its data key with it)
    assert world.service.take_view(DANA, key) == [RECEIPT]
    assert world.service.take_view(DANA, key) is None
    assert kept(world) == 0 and data_keys(world) == 0


def test_a_view_waits_ten_minutes_and_the_sweep_shreds_it_after(world):
    early, late = world.service.keep_view(DANA, [RECEIPT]), world.service.keep_view(DANA, [RECEIPT])
    world.clock.advance(minutes=9, seconds=59)
    Sweeper(world.db, world.core, world.core.schedule).run(world.clock())
    assert world.service.take_view(DANA, early) == [RECEIPT]
    world.clock.advance(seconds=2)
    assert world.service.take_view(DANA, late) is None
    assert kept(world) == 1  # not taken: past its time, it waits for the sweep
    Sweeper(world.db, world.core, world.core.schedule).run(world.clock())
    assert kept(world) == 0 and data_keys(world) == 0


def test_a_views_key_does_not_open_a_form_receipt_nor_the_other_way_round(world):
    form = world.command("cfo", "ethics", "report")[0]
    token = form.form_id.partition(":")[2]  # type: ignore[union-attr]
    world.submit("cfo", form.form_id, {"category": "fraud", "what": "Kickbacks from a supplier on every order",  # type: ignore[union-attr]
                                       "anonymous": "yes"})
    assert kept(world) == 1
    assert world.service.take_view(world.actor("cfo"), token) is None
    key = world.service.keep_view(world.actor("cfo"), [RECEIPT])
    with world.db.read() as session:
        assert receipts.db_again(session, world.core, token=key, actor=world.actor("cfo")) is None
    assert kept(world) == 2


def test_two_takes_at_once_hand_a_view_out_once(world):
    # Given twenty views, each asked for by two threads at the same moment (a double click, two replicas)
    keys = [world.service.keep_view(DANA, [RECEIPT]) for _ in range(20)]
    handed: list[str] = []
    for key in keys:

        def take(key: str = key) -> None:
            if world.service.take_view(DANA, key) is not None:
                handed.append(key)

        at_once(take, threads=2)
    # Then each was handed out exactly once
    assert sorted(handed) == sorted(keys)
    assert kept(world) == 0
