"""`candor designations list | end CODE EMAIL` (issue 22) through typer's CliRunner, on both
databases: the list shows no content; ending tells the designee and shuts the case to them."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from storage.models import AuditEvent, Designation, Report
from tests.support.designees import ADVISER, add_designee
from tests.support.world import text_of

CANARY = "CANARY-d35g"


def test_designations_list_and_end(world, run):
    name, email, affiliation = ADVISER
    world.people["adviser"] = add_designee(world.db, world.core.vault, name=name, email=email,
                                           affiliation=affiliation)
    world.submit("cfo", "intake", {"category": "fraud", "what": f"Invoices split {CANARY}",
                                   "anonymous": "no"})
    with world.db.read() as session:
        report = session.exec(select(Report)).one()
    world.click("chair", f"case:ack:{report.id}")
    until = (world.core.today() + timedelta(days=30)).isoformat()
    world.submit("member", f"designate:{report.id}", {
        "person": str(world.people["adviser"].id), "scope": "determine", "until": until,
        "why": f"{CANARY}-why"})

    listed = run("designations", "list")
    assert listed.exit_code == 0, listed.output
    for fact in (report.code, "Robin Vale", "outside counsel", "investigate and determine", until, "Alex Kim"):
        assert fact in listed.output, fact
    assert CANARY not in listed.output

    assert run("designations", "end", report.code, "nobody@example.com").exit_code == 1
    ended = run("designations", "end", report.code.lower(), email)
    assert ended.exit_code == 0, ended.output
    assert run("designations", "end", report.code, email).exit_code == 1  # nothing in force now
    assert "No designation is in force" in run("designations", "list").output
    with world.db.read() as session:
        row = session.exec(select(Designation)).one()
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "designation.ended")).all()
    assert row.end_reason == "operator" and [e.actor for e in events] == ["cli"]
    assert "members of the Audit Committee" in text_of(world.click("adviser", f"case:view:{report.id}"))
    assert "designations" in run("--help").output
