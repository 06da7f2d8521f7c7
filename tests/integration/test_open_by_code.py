"""`open CODE` answers someone outside the committee the same way whether the code is a case's,
a report's still held for its delay, or nobody's: they learn nothing of which codes exist."""

from __future__ import annotations

import re
from dataclasses import replace

from sqlmodel import select

from storage.models import AuditEvent
from tests.support.world import World, build_world, text_of


def file(world: World, who: str, *, anonymous: bool) -> str:
    form = world.command(who, "ethics", "report")[0]
    receipt = text_of(world.submit(who, form.form_id, {  # type: ignore[attr-defined]
        "category": "fraud", "what": "Kickbacks from a supplier", "anonymous": "yes" if anonymous else "no"}))
    found = re.search(r"case \*([0-9A-Z]{4}-[0-9A-Z]{4})\*", receipt)
    assert found, receipt
    return found.group(1)


def test_open_code_tells_someone_outside_the_committee_nothing_of_whether_the_code_exists(database, vault):
    world = build_world(database, vault)
    recorded = file(world, "cfo", anonymous=False)
    world.core.schedule = replace(world.core.schedule, anonymous_delay_minutes=60)
    held = file(world, "cfo", anonymous=True)

    # When an officer outside the committee types `open` with a real code, a held one and a made-up one
    answers = {code: text_of(world.command("controller", "ethics", f"open {code}"))
               for code in (recorded, held, "ZZZZ-ZZZZ")}

    # Then every answer is the same sentence
    assert len(set(answers.values())) == 1, answers
    assert "members of the Audit Committee" in answers["ZZZZ-ZZZZ"]
    # And the attempt on the real case is still audited, against the officer
    with world.db.read() as session:
        refused = session.exec(select(AuditEvent).where(AuditEvent.action == "case.refused")).all()
    assert [e.actor for e in refused] == [f"person:{world.people['controller'].id}"]
    # While a member is told plainly that an unknown code is no case
    assert "couldn't open that case" in text_of(world.command("member", "ethics", "open ZZZZ-ZZZZ"))
    assert f"Case {recorded}" in text_of(world.command("member", "ethics", f"open {recorded}"))
