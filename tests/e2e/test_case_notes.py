"""Notes on a case and its lead (issue 22) end to end: on Slack (the real Bolt app, signed
requests, the Web API stand-in), on Teams (the Agents SDK, the Connector stand-in) and in the
console, a member adds a note through its form and reads it back in the case's details, and the
note's canary is in no message posted to a channel or a chat; `candor export case` writes the
notes into the PDF."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.sweep import Sweeper
from storage.clock import utcnow
from storage.models import CaseLead, CaseNote, Report
from tests.e2e.slack_harness import COMMITTEE, radio, text_input
from tests.e2e.teams_harness import CHANNEL, report_by_dialog, start, stop
from tests.e2e.test_console import Session as ConsoleSession
from tests.e2e.test_console import env  # noqa: F401  the console's environment fixture
from tests.e2e.test_exports import pdf_text, report
from tests.e2e.test_no_trace import anonymous_report_by_the_form, posted

NOTE = "NOTECANARYz4"


def led(db) -> set[str]:
    """The cases someone leads."""
    with db.read() as session:
        return {row.report_id for row in session.exec(select(CaseLead)).all()}


def notes_in(db) -> list[CaseNote]:
    with db.read() as session:
        return list(session.exec(select(CaseNote)).all())


# --- Slack ----------------------------------------------------------------------------------------


async def test_on_slack_a_member_adds_a_note_in_a_modal_and_reads_it_in_the_details(slack):
    # Given an anonymous report, acknowledged
    await anonymous_report_by_the_form(slack)
    report = slack.reports()[0]
    await slack.acknowledge("U0LEE", report.id)

    # When Alex opens the case from the channel, picks Add note in its details, and submits it
    await slack.click("U0ALEX", f"case:view:{report.id}")
    details = await slack.until(lambda: [v for v in slack.api.called("views.open") if f"Case {report.code}" in str(v)])
    values = [e["value"] for b in details[-1].args["view"]["blocks"] if b["type"] == "actions"
              for e in b["elements"]]
    assert f"case:note:{report.id}" in values and f"case:lead:{report.id}" in values
    await slack.click("U0ALEX", f"case:note:{report.id}", view="modal")
    pushed = await slack.until(lambda: [v for v in slack.api.called("views.push")
                                        if v.args["view"].get("callback_id") == f"note:{report.id}"])
    form = pushed[-1].args["view"]
    assert [b["block_id"] for b in form["blocks"] if b["type"] == "input"] == ["note", "recommendation"]
    answer = await slack.submit("U0ALEX", form["callback_id"], {
        "note": text_input(f"Interviewed the sales VP {NOTE}"), "recommendation": radio("yes")})
    assert answer.status == 200 and "is recorded" in json.dumps(await answer.json())
    assert len(notes_in(slack.candor.db)) == 1

    # And takes the lead; then the chair opens the details and reads the note and the lead
    await slack.click("U0ALEX", f"case:lead:{report.id}", view="modal")
    await slack.until(lambda: led(slack.candor.db))
    await slack.click("U0LEE", f"case:view:{report.id}")
    opened = await slack.until(lambda: [v for v in slack.api.called("views.open") if NOTE in str(v)])
    shown = json.dumps(opened[-1].args["view"])
    assert "Latest recommendation" in shown and "Alex Kim" in shown and "Recommendation, " in shown

    # Then no message posted or edited, in the channel or a chat, holds the note
    assert posted(slack) and all(NOTE not in message for message in posted(slack))
    assert not [c for c in slack.api.called("chat.postMessage") if c.args.get("channel") == COMMITTEE
                and "note" in str(c).lower()]


async def test_on_slack_an_outsider_or_a_forged_value_adds_no_note(slack):
    await anonymous_report_by_the_form(slack)
    report = slack.reports()[0]
    # An officer's submission of the form's id, and a member's with a forged case id
    await slack.submit("U0CFO", f"note:{report.id}", {"note": text_input(NOTE), "recommendation": radio("no")})
    await slack.submit("U0ALEX", "note:forged", {"note": text_input(NOTE), "recommendation": radio("no")})
    await slack.click("U0CFO", f"case:lead:{report.id}")
    assert notes_in(slack.candor.db) == [] and led(slack.candor.db) == set()


# --- Teams ----------------------------------------------------------------------------------------


@pytest.fixture
async def teams(tmp_path, monkeypatch):
    harness, runner = await start(tmp_path, monkeypatch)
    try:
        yield harness
    finally:
        await stop(harness, runner)


async def test_on_teams_a_member_adds_a_note_in_a_dialog_and_reads_it_in_the_details(teams):
    await teams.add_to_team()
    report, _receipt = await report_by_dialog(teams)
    await teams.until(lambda: teams.connector.posts(CHANNEL))

    # When Lee picks Add note (its dialog opens from the private chat's card) and submits the note
    await teams.post(teams.in_channel("aad-lee", value={"candor": f"case:note:{report.id}"}))
    opener = (await teams.until(lambda: [s for s in teams.connector.posts() if "a:1on1-" in s.path]))[-1]
    dialog = await teams.open_dialog("aad-lee", opener)
    card = dialog["task"]["value"]["card"]["content"]
    assert {"note", "recommendation"} <= {f.get("id") for f in card["body"]}
    [send] = card["actions"]
    done = json.dumps(await teams.invoke("aad-lee", "task/submit", {**send["data"], "note": f"Met the auditors {NOTE}",
                                                                    "recommendation": "no"}))
    assert "is recorded" in done and NOTE not in done

    # Then the details, opened the same way, show it with its author and day
    before = len(teams.connector.posts())
    await teams.post(teams.in_channel("aad-alex", value={"candor": f"case:view:{report.id}"}))
    await teams.until(lambda: len(teams.connector.posts()) > before)
    opener = [s for s in teams.connector.posts() if "a:1on1-" in s.path][-1]
    shown = json.dumps(await teams.open_dialog("aad-alex", opener))
    assert NOTE in shown and "(Lee Park)" in shown
    # And no activity posted to the channel or a chat holds it
    assert all(NOTE not in str(s) for s in teams.connector.sent + teams.connector.failed)


# --- the console ----------------------------------------------------------------------------------


def test_in_the_console_a_member_adds_a_note_and_reads_it_back(env, monkeypatch):  # noqa: F811
    s = ConsoleSession(env, monkeypatch)
    s.type("/as dana@example.com")
    s.type("/ethics report")
    s.type("6")  # securities laws
    for answer in (f"Insider sales before the announcement {NOTE}-report", "", "", "", "", "", "1"):  # with my name
        receipt = s.type(answer)
    code = re.search(r"case \*{1,2}([0-9A-Z-]{9})\*{1,2}", receipt).group(1)

    s.type("/as alex@example.com")
    shown = s.type(f"/ethics open {code}")
    shown = s.pick(shown, "Add note")
    assert "Note on " + code in shown
    s.type(f"Called the controller {NOTE}")
    done = s.type("1")  # a recommendation: Yes
    assert "recommendation on case" in done and NOTE not in done
    shown = s.pick(s.type(f"/ethics open {code}"), "Take the lead")
    assert "You took the lead" in shown

    s.type("/as lee@example.com")
    shown = s.type(f"/ethics open {code}")
    assert f"Called the controller {NOTE}" in shown and "Lead: Alex Kim" in shown
    assert "Latest recommendation" in shown
    assert "lead: Alex Kim" in s.type("/ethics cases")
    # The channel never carried it
    assert all(NOTE not in line for line in s.screen.getvalue().splitlines() if "[#committee]" in line)
    s.candor.close()


# --- the export -----------------------------------------------------------------------------------


def test_the_case_file_pdf_holds_the_notes_and_the_lead(world, run, tmp_path):
    case = report(world, what="Invoices split to avoid approval")
    world.click("chair", f"case:ack:{case.id}")
    world.submit("member", f"note:{case.id}", {"note": f"Interview summary {NOTE}", "recommendation": "no"})
    world.submit("chair", f"note:{case.id}", {"note": "Recommend a written notice", "recommendation": "yes"})
    world.click("member", f"case:lead:{case.id}")
    path = tmp_path / "case.pdf"

    result = run("export", "case", case.code, "--as", "jordan@example.com", "--format", "pdf", "--out", str(path))

    assert result.exit_code == 0, result.output
    text = " ".join(pdf_text(path).split())
    for phrase in ("Notes", f"Interview summary {NOTE}", "Recommend a written notice", "(Alex Kim)",
                   "Latest recommendation", "Lead", "Alex Kim"):
        assert phrase in text, phrase


# --- the lead's deadline reminder, delivered ------------------------------------------------------


async def test_on_slack_the_lead_gets_the_deadline_reminder_in_a_dm_that_names_no_case(slack):
    # Given an acknowledged case that Alex leads, received 80 days ago (its reporter is due
    # feedback within three months of receipt)
    await anonymous_report_by_the_form(slack)
    report = slack.reports()[0]
    await slack.acknowledge("U0LEE", report.id)
    await slack.click("U0ALEX", f"case:lead:{report.id}")
    await slack.until(lambda: led(slack.candor.db))
    now = utcnow()
    with slack.candor.db.write() as session:
        row = session.get(Report, report.id)
        row.received_at = now - timedelta(days=80)
        session.add(row)

    # When the scheduler's sweep runs, and the notifier delivers what it wrote
    Sweeper(slack.candor.db, slack.candor.core, slack.candor.core.schedule).run(now)

    # Then the channel gets its reminder, with the case, and Alex a direct message without it
    def to_alex():
        return [c for c in slack.api.called("chat.postMessage") if "ALEX" in str(c.args.get("channel"))
                and "you lead" in str(c)]
    [dm] = await slack.until(to_alex, timeout=30)
    channel = await slack.until(lambda: [c for c in slack.api.called("chat.postMessage")
                                         if c.args.get("channel") == COMMITTEE and "feedback" in str(c).lower()])
    assert report.code in str(channel[-1])
    assert report.code not in str(dm) and "Fraud" not in str(dm)
    assert f"case:view:{report.id}" in str(dm)  # its Open button opens the case, through the gate
