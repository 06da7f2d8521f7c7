"""A draft typed in a chat (bot.drafts): kept sealed under a key of its own, one per account, and
never lost to another unit of work that drops it at the same moment."""

from __future__ import annotations

import pytest
from sqlalchemy import delete
from sqlmodel import select

from bot import drafts, intake
from storage.models import Conversation, DataKey
from storage.vocabulary import Category, RecordKind

CANARY = "CANARY-draft-5k2"


def _draft(what: str) -> intake.Draft:
    return intake.Draft(step=intake.Step.REVIEW, category=Category.FRAUD, texts={"what": what})


def test_a_draft_saved_again_opens_to_its_last_words_under_one_key(world):
    actor, core = world.actor("controller"), world.core
    for what in (f"first {CANARY}", f"second {CANARY}"):
        with world.db.write() as session:
            drafts.db_save(session, core, actor, _draft(what))
    with world.db.read() as session:
        draft, expired = drafts.db_load(session, core, actor)
        assert (draft.texts["what"] if draft else None, expired) == (f"second {CANARY}", False)
        assert len(session.exec(select(Conversation.key)).all()) == 1
        assert len(session.exec(select(DataKey.id).where(
            DataKey.record_kind == RecordKind.DRAFT)).all()) == 1


def test_a_draft_dropped_by_another_unit_while_it_is_saved_is_kept(world, monkeypatch):
    # Given a draft, and another unit of work (the sweep dropping an expired draft) that deletes
    # its row and its key after this save has read them, before it writes
    if not world.db.is_postgres:
        pytest.skip("SQLite has one writer: no other unit can drop the row in between")
    actor, core = world.actor("controller"), world.core
    with world.db.write() as session:
        drafts.db_save(session, core, actor, _draft("first"))
    key = core.vault.tag("conversation", actor.platform.value, actor.user_id)
    unwrap, dropped = core.vault.unwrap, []

    def dropped_meanwhile(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not dropped:
            dropped.append(True)
            with world.db.engine.begin() as other:
                rows, keys = Conversation.__table__, DataKey.__table__  # type: ignore[attr-defined]
                other.execute(delete(keys).where(keys.c.record_id == key))
                other.execute(delete(rows).where(rows.c.key == key))
        return unwrap(*args, **kwargs)

    monkeypatch.setattr(core.vault, "unwrap", dropped_meanwhile)
    # When the person's next turn saves their draft
    with world.db.write() as session:
        drafts.db_save(session, core, actor, _draft(f"second {CANARY}"))
    monkeypatch.undo()
    # Then what they typed is kept, and opens
    assert dropped
    with world.db.read() as session:
        draft, _expired = drafts.db_load(session, core, actor)
        assert draft is not None and draft.texts["what"] == f"second {CANARY}"
