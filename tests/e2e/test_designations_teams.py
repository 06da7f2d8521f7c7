"""Issue 22 on Teams, through the real Agents SDK adapter and the Bot Connector stand-in (the Slack
story, tests/e2e/test_designations_slack.py, shorter where it repeats): a member designates the
roster's outside counsel from the case's dialog; the channel's card and the adviser's 1:1 chat say
only that; the adviser opens the case in a dialog, asks the anonymous reporter, who answers in the
case-check dialog; the adviser and a member read the answer. The adviser opens nothing else, a
forged button changes nothing, and after a member ends it nothing opens; an adviser the reporter
kept away is not offered, and a forged choice of them is refused."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from storage.models import AuditEvent, Designation, Person, Report
from storage.vocabulary import CaseStatus
from tests.e2e.teams_harness import (
    CHANNEL,
    ROSTER,
    Teams,
    check_in_dialog,
    report_by_dialog,
    secret_in,
    start,
    stop,
)
from tests.support.designees import import_designees

CANARY = "CANARYt3ams-d"
OUTSIDER = "That is for members of the Audit Committee."
NOT_FOR_DESIGNEES = "That is for the company's officers and the Audit Committee."


@pytest.fixture
async def teams(tmp_path, monkeypatch):
    harness, runner = await start(tmp_path, monkeypatch)
    import_designees(harness.candor, ROSTER)
    await harness.add_to_team()
    try:
        yield harness
    finally:
        await stop(harness, runner)


def content(dialog: dict[str, Any]) -> dict[str, Any]:
    return dialog["task"]["value"]["card"]["content"]


def actions(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = list(card.get("actions", []))
    found += [a for item in card.get("body", []) if item.get("type") == "ActionSet" for a in item["actions"]]
    return {a["title"]: a["data"] for a in found}


def person_id(teams: Teams, email: str) -> int:
    with teams.candor.db.read() as session:
        found = session.exec(select(Person).where(Person.email == email)).one().id
    assert found is not None
    return found


def designations(teams: Teams) -> list[Designation]:
    with teams.candor.db.read() as session:
        return list(session.exec(select(Designation)).all())


def audited(teams: Teams, action: str) -> list[AuditEvent]:
    with teams.candor.db.read() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


async def acknowledged_report(teams: Teams, *, exclude: list[str] | None = None) -> tuple[Report, str]:
    """An anonymous report by the dialog (keeping away the people labelled `exclude`), acknowledged
    by the chair from the channel's card. (The report, its secret.)"""
    if exclude:
        form = content(await teams.invoke("aad-dana", "task/fetch", {
            "msteams": {"type": "task/fetch"}, "verb": "candor", "candor": "cmd:ethics:report"}))
        [keep] = [i for i in form["body"] if i.get("id") == "exclude"]
        values = [c["value"] for c in keep["choices"] if c["title"] in exclude]
        assert len(values) == len(exclude), [c["title"] for c in keep["choices"]]
        [submit] = form["actions"]
        receipt = json.dumps(await teams.invoke("aad-dana", "task/submit", {
            **submit["data"], "category": "fraud", "what": f"Inventory counts overridden {CANARY}-what",
            "exclude": ",".join(values), "anonymous": "yes"}))
        report = (await teams.until(teams.reports))[-1]
    else:
        report, receipt = await report_by_dialog(teams, what=f"Inventory counts overridden {CANARY}-what")
    await teams.post(teams.in_channel("aad-lee", value={"candor": f"case:ack:{report.id}"}))
    await teams.until(lambda: [r for r in teams.reports() if r.id == report.id and r.status is CaseStatus.ACKNOWLEDGED])
    return report, secret_in(receipt)


async def case_dialog(teams: Teams, user: str, report: Report) -> dict[str, Any]:
    """The case opened in a dialog (a button that opens it at once: task/fetch)."""
    return await teams.invoke(user, "task/fetch", {"msteams": {"type": "task/fetch"}, "verb": "candor",
                                                   "candor": f"case:view:{report.id}"})


async def in_dialog(teams: Teams, user: str, dialog: dict[str, Any], title: str, **values: str) -> dict[str, Any]:
    """A dialog's button (or, with `values`, its form submitted) and the dialog that follows."""
    return await teams.invoke(user, "task/submit", {**actions(content(dialog))[title], **values})


def to_robin(teams: Teams, words: str) -> list:
    """What the bot posted in Robin's 1:1 chat (one it opened itself, or his own once he wrote)
    that says `words`."""
    chats, opening = {"a:personal-aad-robin"}, False
    for sent in teams.connector.sent:
        if sent in teams.connector.created():
            opening = [m["id"] for m in sent.body["members"]] == ["aad-robin"]
        elif opening and "/conversations/a:1on1-" in sent.path:
            chats.add(sent.path.split("/")[3])
            opening = False
    return [s for s in teams.connector.posts() if s.path.split("/")[3] in chats and words in json.dumps(s.body)]


async def test_an_adviser_designated_in_teams_investigates_and_opens_nothing_else(teams):
    until = (teams.candor.core.today() + timedelta(days=90)).isoformat()
    report, secret = await acknowledged_report(teams)
    other, _ = await acknowledged_report(teams)

    # Alex opens the case's dialog and its Designate button: the form, the 90 days filled in
    form = await in_dialog(teams, "aad-alex", await case_dialog(teams, "aad-alex", report), "Designate")
    inputs = {i["id"]: i for i in content(form)["body"] if i["type"].startswith("Input.")}
    assert [c["title"] for c in inputs["person"]["choices"]] == [
        "Casey Moss (forensic accountant)", "Robin Vale (outside counsel)"]
    assert inputs["until"]["value"] == until
    done = await in_dialog(teams, "aad-alex", form, "Designate", person=str(person_id(teams, "robin@counsel.example")),
                           scope="investigate", until=until, why=f"To interview the plant staff {CANARY}-why")
    assert f"Robin Vale is designated on case {report.code}" in json.dumps(done)

    # The channel's card and Robin's chat say only that
    notice = f"Case {report.code}: Alex Kim designated an investigator (outside counsel) until {until}"
    [card] = await teams.until(lambda: [s for s in teams.connector.posts(CHANNEL) if notice in json.dumps(s.body)])
    assert "Robin" not in json.dumps(card.body) and CANARY not in json.dumps(card.body)
    [dm] = await teams.until(lambda: to_robin(teams, f"The Audit Committee designated you on case {report.code}"))
    assert CANARY not in json.dumps(dm.body)
    [open_button] = dm.body["attachments"][0]["content"]["actions"]
    assert open_button["data"] == {"candor": f"case:view:{report.id}"}

    # Robin's click on it: a card in his chat whose button opens the case in a dialog
    await teams.click("aad-robin", open_button["data"]["candor"])
    opener = teams.connector.posts("a:personal-aad-robin")[-1]
    assert CANARY not in json.dumps(opener.body)
    window = await teams.open_dialog("aad-robin", opener)
    assert f"{CANARY}-what" in json.dumps(window)
    assert list(actions(content(window))) == ["Ask the reporter", "Add note"]
    ask = await in_dialog(teams, "aad-robin", window, "Ask the reporter")
    await in_dialog(teams, "aad-robin", ask, list(actions(content(ask)))[0],
                    question=f"Who signed off the counts? {CANARY}-q")
    assert audited(teams, "case.question")

    # The reporter reads it as the investigator's in the case-check dialog, and answers there
    status = await check_in_dialog(teams, "aad-dana", report.code, secret)
    assert "The Audit Committee's investigator asks" in status and f"{CANARY}-q" in status
    assert "Robin" not in status
    answer_form = await in_dialog(teams, "aad-dana", json.loads(status), "Answer the committee")
    answered = await in_dialog(teams, "aad-dana", answer_form, list(actions(content(answer_form)))[0],
                               answer=f"The plant controller {CANARY}-a")
    assert "is recorded" in json.dumps(answered)

    # Robin hears there is news (no content) and reads the answer; so does a member
    [news] = await teams.until(lambda: to_robin(teams, f"There is news on case {report.code}"))
    assert CANARY not in json.dumps(news.body)
    assert f"{CANARY}-a" in json.dumps(await case_dialog(teams, "aad-robin", report))
    assert f"{CANARY}-a" in json.dumps(await case_dialog(teams, "aad-lee", report))

    # His case list holds his one case
    await teams.say("aad-robin", "cases")
    listing = json.dumps(await teams.open_dialog("aad-robin", teams.connector.posts("a:personal-aad-robin")[-1]))
    assert report.code in listing and other.code not in listing

    # Nothing else opens for him; forged buttons change nothing
    before = len(audited(teams, "case.refused"))
    [row] = designations(teams)
    for value in (f"case:view:{other.id}", f"case:ask:{other.id}", f"case:move:{report.id}:closed",
                  f"case:designate:{report.id}", f"case:determine:{report.id}", f"designation:end:{row.id}"):
        shown = await teams.invoke("aad-robin", "task/fetch", {"msteams": {"type": "task/fetch"},
                                                               "verb": "candor", "candor": value})
        assert OUTSIDER in json.dumps(shown), value
    for typed in ("ethics waivers", "ethics waiver", "attest", "ethics report"):
        await teams.say("aad-robin", typed)
        said = json.dumps(teams.connector.posts("a:personal-aad-robin")[-1].body)
        # refused, or (a word that is not theirs) their own menu; never the form
        assert NOT_FOR_DESIGNEES in said or "the cases the Audit Committee designated you on" in said, typed
        assert "candor_form" not in said and "SUPPLEMENTAL CODE" not in said, typed
    forged = await teams.invoke("aad-robin", "task/submit", {"verb": "candor", "candor_form": f"move:{report.id}:closed",
                                                             "reason": "forged"})
    assert OUTSIDER in json.dumps(forged)
    assert len(audited(teams, "case.refused")) >= before + 7
    assert [r.ended_at for r in designations(teams)] == [None]
    assert all(r.status is CaseStatus.ACKNOWLEDGED for r in teams.reports())

    # Alex ends it from the case's dialog; Robin is told, and nothing opens for him any more
    end = await in_dialog(teams, "aad-alex", await case_dialog(teams, "aad-alex", report), "End designation: Robin Vale")
    ended = await in_dialog(teams, "aad-alex", end, "End designation", why="Interviews done")
    assert "has ended" in json.dumps(ended)
    await teams.until(lambda: to_robin(teams, f"Your designation on case {report.code} has ended"))
    assert OUTSIDER in json.dumps(await case_dialog(teams, "aad-robin", report))
    late = await teams.invoke("aad-robin", "task/submit", {"verb": "candor", "candor_form": f"ask:{report.id}",
                                                           "question": "More?"})
    assert OUTSIDER in json.dumps(late)
    # Nothing of the case was posted in a chat or the channel (they keep their history)
    assert CANARY not in json.dumps([s.body for s in teams.connector.sent])


async def test_an_adviser_the_reporter_kept_away_is_not_offered_in_teams(teams):
    report, _ = await acknowledged_report(teams, exclude=["Robin Vale (outside counsel, may be designated)"])
    form = await in_dialog(teams, "aad-alex", await case_dialog(teams, "aad-alex", report), "Designate")
    [person] = [i for i in content(form)["body"] if i.get("id") == "person"]
    assert [c["title"] for c in person["choices"]] == ["Casey Moss (forensic accountant)"]
    until = (teams.candor.core.today() + timedelta(days=30)).isoformat()
    refused = await in_dialog(teams, "aad-alex", form, "Designate", person=str(person_id(teams, "robin@counsel.example")),
                              scope="investigate", until=until, why="counsel")
    assert "kept away" in json.dumps(refused)
    assert designations(teams) == []
    assert OUTSIDER in json.dumps(await case_dialog(teams, "aad-robin", report))
