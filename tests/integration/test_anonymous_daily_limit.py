"""One person files at most CANDOR_ANONYMOUS_DAILY_LIMIT anonymous reports a day: past it, a plain
answer and nothing filed. The count is kept under a keyed tag of the person and the day, with no
report id and no time finer than the day, so it ties no report to anyone."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot import filing
from bot.messages import FormErrors
from bot.sweep import Sweeper
from storage.models import PendingReport, Report, ReportCount
from tests.support.world import World, build_world, text_of

MOMENT = datetime(2026, 11, 2, 10, 17, 43, tzinfo=UTC)


@pytest.fixture(params=[60, 0], ids=["held", "at-once"])
def world(request, database, vault) -> World:
    world = build_world(database, vault)
    world.core.schedule = replace(world.core.schedule, anonymous_delay_minutes=request.param,
                                  anonymous_daily_limit=2)
    world.clock.moment = MOMENT
    return world


def form(world: World, who: str, n: int, *, anonymous: bool = True) -> list:
    return world.submit(who, f"intake:tok-{who}-{n}", {
        "category": "fraud", "what": "Invoices are split to stay under the approval limit",
        "anonymous": "yes" if anonymous else "no"})


def filed(world: World) -> int:
    with world.db.read() as session:
        return len(session.exec(select(Report)).all()) + len(session.exec(select(PendingReport)).all())


def test_past_the_daily_limit_an_anonymous_report_is_refused_plainly_and_nothing_is_filed(world):
    # Given Sam filed his two anonymous reports of the day
    assert all("Your secret" in text_of(form(world, "controller", n)) for n in (1, 2))
    # When he sends a third by the form
    refused = form(world, "controller", 3)
    # Then the form says why, beside the choice, and nothing is filed or counted
    assert isinstance(refused[0], FormErrors) and "as many anonymous reports today" in refused[0].errors["anonymous"]
    assert filed(world) == 2
    # The same form, sent again with his name, is filed (the refusal spent nothing)
    assert "recorded" in text_of(form(world, "controller", 3, anonymous=False))
    assert filed(world) == 3
    # Nor by the typed conversation, which keeps his draft
    for line in ["report", "2", "Expenses inflated", "skip", "done", "skip", "skip", "skip", "anonymous"]:
        world.say("controller", line)
    said = text_of(world.say("controller", "submit"))
    assert "as many anonymous reports today" in said and "Your secret" not in said
    assert filed(world) == 3
    # Someone else still files anonymously; and the next day Sam does again
    assert "Your secret" in text_of(form(world, "cfo", 1))
    world.clock.moment = MOMENT + timedelta(days=1)
    assert "Your secret" in text_of(form(world, "controller", 5))
    assert filed(world) == 5


def test_the_count_is_keyed_by_person_and_day_and_holds_nothing_else(world):
    receipt = text_of(form(world, "controller", 1))
    code = re.search(r"case \*([0-9A-Z]{4}-[0-9A-Z]{4})\*", receipt).group(1)  # type: ignore[union-attr]
    with world.db.read() as session:
        [count] = session.exec(select(ReportCount)).all()
    person = str(world.people["controller"].id)
    assert count.subject == world.core.vault.tag("anonymous-daily", person, "2026-11-02")
    assert (count.day.isoformat(), count.reports) == ("2026-11-02", 1)
    assert code not in str(count) and person != count.subject
    # The sweep forgets past days
    world.clock.moment = MOMENT + timedelta(days=1)
    Sweeper(world.db, world.core, world.core.schedule).run(world.clock())
    with world.db.read() as session:
        assert session.exec(select(ReportCount)).all() == []


def test_two_anonymous_reports_of_one_person_at_the_same_moment_both_count(world):
    # Given one anonymous report of Sam's counted in a transaction not yet committed
    person = world.people["controller"]

    def count_another() -> None:
        with world.db.write() as session:
            filing._db_count_anonymous(session, world.core, person)

    with world.db.write() as session:
        filing._db_count_anonymous(session, world.core, person)
        # When a second one of his is counted meanwhile (on PostgreSQL it waits for the first's
        # row; on SQLite for the writer)
        other = threading.Thread(target=count_another)
        other.start()
        other.join(timeout=0.5)
    other.join(timeout=30)
    # Then both count, and neither failed
    assert not other.is_alive()
    with world.db.read() as session:
        [count] = session.exec(select(ReportCount)).all()
    assert count.reports == 2
