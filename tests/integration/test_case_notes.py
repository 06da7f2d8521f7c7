"""Notes on a case and its lead (issue 22), on SQLite and PostgreSQL, through the service as the
members use it: a note is sealed, read back in the details with its author and day by the members
allowed on the case, never by one kept away nor by the reporter; the latest recommendation is
shown; the case file holds the notes; retention shreds them and a legal hold keeps them. A member
takes the lead, hands it back, another takes it over (all audited); the lists show the lead; the
lead gets the case's deadline reminders by a direct message that names no case; a lead kept away
stops leading."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from sqlmodel import col, select

from bot import records
from bot.messages import Document, Form, FormErrors, Text
from bot.sweep import Sweeper
from bot.wording import notes as wording
from bot.wording import refusals
from storage.models import AuditEvent, CaseLead, CaseNote, DataKey, OutboxMessage, Person, Report
from tests.support.world import World, choice_values, text_of

CANARY = "CANARY-n0tes"


def a_case(world: World, *, anonymous: bool = False) -> Report:
    with world.db.read() as session:
        before = set(session.exec(select(Report.id)).all())
    world.submit("cfo", "intake", {"category": "fraud", "what": f"Revenue booked early {CANARY}-what",
                                   "anonymous": "yes" if anonymous else "no"})
    with world.db.read() as session:
        [report] = [r for r in session.exec(select(Report)).all() if r.id not in before]
    world.click("chair", f"case:ack:{report.id}")
    return report


def add_note(world: World, who: str, report: Report, text: str, recommendation: str = "no"):
    return world.submit(who, f"note:{report.id}", {"note": text, "recommendation": recommendation})


def details(world: World, who: str, report: Report) -> Document:
    [shown] = world.click(who, f"case:view:{report.id}")
    assert isinstance(shown, Document), shown
    return shown


def audited(world: World, action: str) -> list[AuditEvent]:
    with world.db.read() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_a_note_is_sealed_and_read_back_by_members_with_its_author_and_day(world):
    report = a_case(world)
    # Given the details offer Add note, whose form asks for the text and whether it recommends
    assert f"case:note:{report.id}" in choice_values([details(world, "member", report)])
    [form] = world.click("member", f"case:note:{report.id}")
    assert isinstance(form, Form) and [f.name for f in form.fields] == ["note", "recommendation"]

    # When Alex adds a note
    world.clock.moment = datetime(2026, 11, 3, 15, tzinfo=UTC)
    [answer] = add_note(world, "member", report, f"Interviewed the controller {CANARY}-note")
    assert isinstance(answer, Text) and report.code in answer.text and CANARY not in answer.text

    # Then the row is sealed: no plain column holds the text, and it opens with the key
    with world.db.read() as session:
        [row] = session.exec(select(CaseNote)).all()
        assert CANARY.encode() not in row.body and row.author_id == world.people["member"].id
        opened = world.core.vault.unseal(session, kind="case_note", record_id=row.id, blob=row.body)
    assert opened == {"text": f"Interviewed the controller {CANARY}-note", "recommendation": False}
    # And the audit log says a note was added, without its content
    [event] = audited(world, "case.note_added")
    assert event.actor == f"person:{world.people['member'].id}" and CANARY not in event.detail

    # And every member allowed on the case reads it, headed by its kind, day and author
    for who in ("chair", "member2", "member"):
        shown = dict(details(world, who, report).sections)
        assert shown["Note, 2026-11-03 (Alex Kim)"] == f"Interviewed the controller {CANARY}-note"
        assert "2026-11-03 15:00, Alex Kim: Note added" in shown["History"]


def test_a_member_kept_away_and_the_reporter_never_see_a_note(world):
    report = a_case(world)
    add_note(world, "member", report, f"Findings so far {CANARY}-note")
    world.submit("chair", f"exclude:{report.id}", {"member": str(world.people["member2"].id)})

    # The member kept away is refused the case, its note form and its notes; audited
    kept_away = world.click("member2", f"case:view:{report.id}")
    assert CANARY not in text_of(kept_away)
    refused = world.submit("member2", f"note:{report.id}", {"note": "sneaky", "recommendation": "no"})
    assert text_of(refused) == refusals.NOT_ALLOWED_CASE
    assert CANARY not in text_of(world.click("member2", f"case:note:{report.id}"))
    assert [e.detail for e in audited(world, "case.refused")][-1] == '{"attempt":"note"}'
    with world.db.read() as session:
        assert len(session.exec(select(CaseNote)).all()) == 1  # the refused note changed nothing

    # The reporter's own view of the case shows no note, nor that there are any
    status = text_of(world.command("cfo", "ethics", f"status {report.code}"))
    assert f"Case {report.code}" in status
    assert CANARY not in status and "Note" not in status and "Recommendation" not in status
    # An officer clicking the note button is refused as anyone outside the committee
    assert "Audit Committee" in text_of(world.click("cfo", f"case:note:{report.id}"))


def test_bad_input_is_answered_beside_the_field_and_records_nothing(world):
    report = a_case(world)
    cases = [({"note": "   ", "recommendation": "no"}, "note"),
             ({"note": "x" * 2001, "recommendation": "no"}, "note"),
             ({"note": "A finding", "recommendation": "perhaps"}, "recommendation"),
             ({"note": ["not", "text"], "recommendation": "yes"}, "note")]
    for values, field in cases:
        [answer] = world.submit("member", f"note:{report.id}", values)
        assert isinstance(answer, FormErrors) and field in answer.errors, (values, answer)
    # A forged report id is the answer any unknown case gets
    assert "couldn't open that case" in text_of(world.submit("member", "note:nope", {"note": "x"}))
    with world.db.read() as session:
        assert session.exec(select(CaseNote)).all() == []
    assert audited(world, "case.note_added") == []


def test_the_latest_recommendation_is_shown_to_the_members(world):
    report = a_case(world)
    world.clock.moment = datetime(2026, 11, 3, 10, tzinfo=UTC)
    add_note(world, "member", report, "Recommend a censure", "yes")
    world.clock.moment = datetime(2026, 11, 4, 10, tzinfo=UTC)
    add_note(world, "chair", report, "Recommend a written notice", "yes")
    world.clock.moment = datetime(2026, 11, 5, 10, tzinfo=UTC)
    add_note(world, "member", report, "Spoke to the auditors", "no")

    shown = dict(details(world, "member2", report).sections)
    assert shown["Latest recommendation"] == "Lee Park, 2026-11-04: Recommend a written notice"
    assert shown["Recommendation, 2026-11-03 (Alex Kim)"] == "Recommend a censure"
    assert "2026-11-04 10:00, Lee Park: Recommendation added" in shown["History"]


def test_the_case_file_export_includes_the_notes(world):
    report = a_case(world)
    world.clock.moment = datetime(2026, 11, 3, 10, tzinfo=UTC)
    add_note(world, "member", report, f"Interview summary {CANARY}-file")
    add_note(world, "member", report, "Recommend a censure", "yes")
    with world.db.write() as session:
        chair = session.get(Person, world.people["chair"].id)
        case_file = records.db_case_file(session, world.core, chair, report.code)
    filed = {heading: dict(items) for heading, items in case_file.sections}
    assert filed["Notes"] == {
        "Latest recommendation": "Alex Kim, 2026-11-03: Recommend a censure",
        "Note, 2026-11-03 (Alex Kim)": f"Interview summary {CANARY}-file",
        "Recommendation, 2026-11-03 (Alex Kim)": "Recommend a censure"}
    assert filed["Summary"]["Lead"] == "No one yet"


def test_retention_shreds_notes_with_the_case_and_a_legal_hold_keeps_them(world):
    world.clock.moment = datetime(2026, 11, 2, 10, tzinfo=UTC)
    shredded, held = a_case(world), a_case(world)
    for report in (shredded, held):
        add_note(world, "member", report, f"Working note {CANARY}")
        world.click("member", f"case:lead:{report.id}")
        world.submit("chair", f"move:{report.id}:closed", {"reason": "Resolved"})
    world.submit("chair", f"hold:{held.id}", {"reason": "Litigation"})

    moment = datetime(2033, 11, 3, 14, tzinfo=UTC)
    world.clock.moment = moment
    assert Sweeper(world.db, world.core, world.core.schedule).run(moment).cases_shredded == 1
    with world.db.read() as session:
        notes = {n.report_id: n for n in session.exec(select(CaseNote)).all()}
        keys = {(k.record_kind, k.record_id) for k in session.exec(select(DataKey)).all()}
        gone = session.get(Report, shredded.id)
        leads = {row.report_id for row in session.exec(select(CaseLead)).all()}
    assert ("case_note", notes[shredded.id].id) not in keys  # the note can never be opened again
    assert ("case_note", notes[held.id].id) in keys  # the held case's note still opens
    assert gone.shredded_at is not None and leads == {held.id}  # the tombstone names no lead
    shown = dict(details(world, "chair", held).sections)
    assert f"Working note {CANARY}" in shown.values()


def test_take_hand_back_and_take_over_the_lead_audited_and_shown_in_the_lists(world):
    report = a_case(world)
    assert "Take the lead" in text_of([details(world, "member", report)])

    # Alex takes the lead: the details, the case list and the committee home show it
    assert "You took the lead" in text_of(world.click("member", f"case:lead:{report.id}"))
    assert dict(details(world, "chair", report).sections)["Lead"] == "Alex Kim"
    assert "Hand back the lead" in text_of([details(world, "member", report)])
    assert "Take over the lead" in text_of([details(world, "chair", report)])
    assert "lead: Alex Kim" in text_of(world.command("member2", "ethics", "cases"))
    [home] = world.service.home(world.actor("member2"))
    assert f"{report.code}: Acknowledged, " in text_of([home]) and "lead: Alex Kim" in text_of([home])

    # Jordan takes it over; Alex can no longer hand it back; Jordan hands it back
    assert "took over the lead from Alex Kim" in text_of(world.click("member2", f"case:lead:{report.id}"))
    assert "do not lead" in text_of(world.click("member", f"case:unlead:{report.id}"))
    assert "handed back" in text_of(world.click("member2", f"case:unlead:{report.id}"))
    assert dict(details(world, "chair", report).sections)["Lead"] == wording.NO_LEAD
    assert "lead:" not in text_of(world.command("chair", "ethics", "cases"))

    alex, jordan = (world.people[k].id for k in ("member", "member2"))
    taken = audited(world, "case.lead_taken")
    assert [(e.actor, e.detail) for e in taken] == [
        (f"person:{alex}", "{}"), (f"person:{jordan}", f'{{"from":"person:{alex}"}}')]
    assert [e.actor for e in audited(world, "case.lead_released")] == [f"person:{jordan}"]
    # An officer cannot lead, and the attempt is audited as any outsider's
    assert "Audit Committee" in text_of(world.click("cfo", f"case:lead:{report.id}"))
    with world.db.read() as session:
        assert session.get(CaseLead, report.id) is None


def deadline_notices(world: World) -> list[tuple[str, dict]]:
    with world.db.read() as session:
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.created_at))).all()
        return [(r.key, world.core.vault.unseal(session, kind="outbox", record_id=r.id, blob=r.body))
                for r in rows if r.key.startswith("feedback-deadline")]


def test_the_lead_gets_the_deadline_reminders_by_a_direct_message_naming_no_case(world):
    # Given a case received on 2 November, acknowledged, led by Alex
    world.clock.moment = datetime(2026, 11, 2, 10, tzinfo=UTC)
    report = a_case(world)
    world.click("member", f"case:lead:{report.id}")

    # When the sweep comes two weeks before the reporter is due feedback
    moment = datetime(2027, 1, 19, 12, tzinfo=UTC)
    world.clock.moment = moment
    Sweeper(world.db, world.core, world.core.schedule).run(moment)

    # Then the channel is reminded as before, and Alex gets a direct message too
    sent = deadline_notices(world)
    channel = [body for key, body in sent if body["target"] == "channel"]
    to_lead = [(key, body) for key, body in sent if body["target"] == f"person:{world.people['member'].id}"]
    assert len(channel) == 1 and report.code in json_of(channel[0])
    [(key, body)] = to_lead
    # naming no case, no category, no date: only that there is a deadline, and an Open button
    assert report.code not in json_of(body) and "Fraud" not in json_of(body) and "2027" not in json_of(body)
    assert [c["value"] for c in body["notice"]["choices"]] == [f"case:view:{report.id}"]
    # its plain key names the case (retention drops it with the case), the lead only as a keyed tag
    assert re.fullmatch(rf"feedback-deadline:{report.id}:d-14:lead:[0-9a-f]{{32}}@console", key), key
    # And the button opens the case for the lead
    assert f"Case {report.code}" in text_of(world.click("member", f"case:view:{report.id}"))

    # A second sweep writes nothing new; a new lead gets the step once too
    Sweeper(world.db, world.core, world.core.schedule).run(moment)
    assert len(deadline_notices(world)) == len(sent)
    world.click("member2", f"case:lead:{report.id}")
    Sweeper(world.db, world.core, world.core.schedule).run(moment)
    assert [b["target"] for _k, b in deadline_notices(world)[len(sent):]] == [
        f"person:{world.people['member2'].id}"]


def test_a_lead_kept_away_from_the_case_stops_leading(world):
    world.clock.moment = datetime(2026, 11, 2, 10, tzinfo=UTC)
    report = a_case(world)
    world.click("member", f"case:lead:{report.id}")
    world.submit("chair", f"exclude:{report.id}", {"member": str(world.people["member"].id)})

    # Then no list shows a lead, the details offer the lead to others, and no reminder goes to Alex
    assert dict(details(world, "chair", report).sections)["Lead"] == wording.NO_LEAD
    assert "lead:" not in text_of(world.command("member2", "ethics", "cases"))
    assert "Take the lead" in text_of([details(world, "member2", report)])
    moment = datetime(2027, 1, 19, 12, tzinfo=UTC)
    world.clock.moment = moment
    Sweeper(world.db, world.core, world.core.schedule).run(moment)
    assert [b["target"] for _k, b in deadline_notices(world)] == ["channel"]
    # And Alex can neither hand it back nor take it again
    assert "Hand back" not in text_of(world.click("member", f"case:unlead:{report.id}"))
    assert "took" not in text_of(world.click("member", f"case:lead:{report.id}"))


def json_of(value: object) -> str:
    return json.dumps(value)
