"""One case, three views: the committee's details, the case file an export writes, and the
reporter's status view say each shared thing in the same words (on SQLite and PostgreSQL).

The case is made through the service, as a member and a reporter make it; the three views are
taken from the use cases that show them (`case:view`, `records.db_case_file`, `status CODE`).
"""

from __future__ import annotations

from datetime import date

from sqlmodel import col, select

from bot import board, records
from bot.messages import Document
from storage.models import Person, Report
from storage.vocabulary import BoardAction
from tests.support.world import World, choice_values

REPORT_FIELDS = ("What happened", "People involved", "When", "Evidence", "Already known to others")
MESSAGES = ("Question", "Answer")  # how a message's heading starts


def line(label: str, text: str) -> str:
    """An item as a reader reads it: its label, a colon, its text (or the text alone)."""
    return f"{label}: {text}" if label else text


def a_case_with_everything(world: World) -> Report:
    """A named report, acknowledged, with a question and its answer, a move with a reason, a
    member kept away, and a Board determination recorded without who decided it (as one
    recorded before the form asked)."""
    world.submit("cfo", "intake", {"category": "fraud", "what": "Revenue booked early at the plant",
                                   "who": "the plant controller", "when": "Last quarter",
                                   "anonymous": "no"})
    with world.db.read() as session:
        report = session.exec(select(Report).order_by(col(Report.received_at).desc())).first()
    world.clock.advance(hours=1)
    world.click("chair", f"case:ack:{report.id}")
    world.clock.advance(hours=1)
    world.submit("member", f"ask:{report.id}", {"question": "Which ledger first?"})
    world.clock.advance(hours=1)
    status = world.command("cfo", "ethics", f"status {report.code}")
    token = next(v for v in choice_values(status) if v.startswith("answer:"))
    world.submit("cfo", token, {"answer": "The general ledger, in September"})
    world.clock.advance(hours=1)
    world.submit("chair", f"move:{report.id}:under_review",
                 {"reason": "Engaging forensic accountants"})
    world.submit("chair", f"exclude:{report.id}", {"member": str(world.people["member2"].id)})
    world.clock.advance(hours=1)
    with world.db.write() as session:
        member = session.get(Person, world.people["member"].id)
        board.db_record(session, world.core, member=member, report=session.get(Report, report.id),
                        decision=board.Decision(
                            subject_id=world.people["controller"].id, violation=True,
                            action=BoardAction.CENSURE, decided_on=date(2026, 11, 2),
                            nature="Revenue recognised a quarter early", occurrence="repeated",
                            intent="intentional", advised=True, prior="None before this case",
                            reasoning="The Board weighed the ledger", decider=""))
    return report


def test_details_case_file_and_reporters_view_word_a_case_alike(world):
    # Given a case with messages, status changes, a member kept away and a determination
    report = a_case_with_everything(world)

    # When the chair opens its details, the chair's case file is made, and its reporter checks it
    [details] = world.click("chair", f"case:view:{report.id}")
    with world.db.write() as session:
        chair = session.get(Person, world.people["chair"].id)
        case_file = records.db_case_file(session, world.core, chair, report.code)
    [status] = world.command("cfo", "ethics", f"status {report.code}")

    # Then every heading, message, history step and determination line they share is the same
    assert isinstance(details, Document) and isinstance(status, Document)
    shown = dict(details.sections)
    filed = {heading: dict(items) for heading, items in case_file.sections}
    filed_lines = {heading: [line(label, text) for label, text in items]
                   for heading, items in case_file.sections}
    reporter = dict(status.sections)
    facts = {**filed["Summary"], **filed["The report"]}

    # the case's facts, under the same labels
    for label in ("Status", "Received"):
        assert shown[label] == facts[label] == reporter[label], label
    for label in ("Category", *REPORT_FIELDS):
        assert shown[label] == facts[label], label
    # the roster's own e-mail stays an e-mail a member can click or copy, in both
    assert shown["Reporter"] == facts["Reporter"] == "Dana Reyes (dana@example.com)"

    # the member kept away, under one heading (the chair's views only; never the reporter's)
    [kept_away] = [h for h in shown if h.startswith("Kept away")]
    assert kept_away in filed
    assert list(filed[kept_away].values()) == [shown[kept_away]] == ["Jordan Blake"]
    assert not [h for h in reporter if h.startswith("Kept away")]

    # each message: the committee's two views alike; the reporter's the same but for who asked
    committee_messages = [line(h, t) for h, t in details.sections if h.startswith(MESSAGES)]
    assert committee_messages == filed_lines["Follow-up"]
    assert len(committee_messages) == 2 and "Alex Kim" in committee_messages[0]
    reporter_messages = [line(h, t) for h, t in status.sections if h.startswith(MESSAGES)]
    assert reporter_messages == [m.replace(" (Alex Kim)", "") for m in committee_messages]
    assert "Alex Kim" not in str(status.sections)  # who asked is the committee's to know

    # each step of the history
    assert "History" in filed_lines
    assert shown["History"].split("\n") == filed_lines["History"]
    moved = "Acknowledged -> Under review: Engaging forensic accountants"
    assert [step for step in filed_lines["History"] if step.endswith(moved)]

    # the determination, in board's words: no "decided by" when none was recorded
    [decided] = [h for h in shown if h.startswith("Board determination")]
    assert decided in filed_lines
    assert shown[decided].split("\n") == filed_lines[decided]
    assert "Decided on 2026-11-02 (recorded by Alex Kim)" in filed_lines[decided]
    assert "Not recorded" not in str(case_file.sections)
    assert not [h for h in reporter if h.startswith("Board determination")]
