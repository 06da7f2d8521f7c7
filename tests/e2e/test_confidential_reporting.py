"""Confidential reporting (issue 24) end to end on Slack (the real Bolt app, signed requests, the
Web API stand-in): Dana reports confidentially through the modal; nothing the committee reads
(the channel alert, the case view, the case list) names her; the committee's question reaches
her by a content-free direct message; she answers without code or secret; she shows her name,
and then the members allowed on the case see it. The same in Teams (the real Agents SDK adapter,
the Bot Connector stand-in), with a canary name, e-mail, Teams id and title in her roster entry;
and on the console."""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.slack_harness import COMMITTEE, radio, text_input
from tests.e2e.slack_harness import option as choose

CANARY = "CONFq7trace"
# Dana, as the roster and the platform know her: none of it may reach the committee
TRACES = ("Dana", "dana@example.com", "U0CFO", "Chief Financial Officer", "CFO")


def committee_reads(slack) -> str:
    """Everything the committee was shown: the channel's posts and edits, and the views opened
    or pushed for its members."""
    return json.dumps([c.args for c in slack.api.calls
                       if (c.method in {"chat.postMessage", "chat.update"}
                           and c.args.get("channel") in {COMMITTEE, "DU0LEE", "DU0ALEX"})
                       or (c.method in {"views.open", "views.push", "views.publish"}
                           and c.args.get("user_id", "U0LEE") != "U0CFO"
                           and "U0CFO" not in json.dumps(c.args.get("trigger_id", "")))])


async def test_a_confidential_report_shows_no_trace_of_its_reporter_until_she_shows_her_name(slack):
    # Given Dana's confidential report, sent through the modal
    await slack.command("U0CFO", "/ethics", "report")
    form = (await slack.until(lambda: slack.api.called("views.open")))[-1].args["view"]
    assert "Confidential" in json.dumps(form) and "at least 2 of its members" in json.dumps(form)
    answer = await slack.submit("U0CFO", form["callback_id"], {
        "category": choose("fraud"), "what": text_input(f"Side letters on the Q3 deals {CANARY}"),
        "anonymous": radio("confidential")})
    receipt = json.dumps(await answer.json())
    assert "confidentially" in receipt and "Your secret" not in receipt
    (report,) = slack.reports()
    assert report.confidential and report.reporter_tag is None
    opened_before = len(slack.api.called("views.open"))

    # When the committee reads the alert, lists the cases, opens it, acknowledges and asks
    await slack.until(lambda: [m for m in slack.api.called("chat.postMessage")
                               if m.args.get("channel") == COMMITTEE])
    await slack.command("U0LEE", "/ethics", "cases")
    await slack.click("U0LEE", f"case:view:{report.id}")
    view = await slack.until(lambda: [v for v in slack.api.called("views.open")[opened_before:]
                                      if CANARY in str(v)])
    assert "Confidential reporter" in json.dumps(view[-1].args)
    await slack.acknowledge("U0LEE", report.id)
    await slack.submit("U0LEE", f"ask:{report.id}", {"question": text_input("Which deals exactly?")})

    # Then nothing the committee was shown names Dana
    seen = committee_reads(slack)
    assert CANARY in seen  # the view was looked at
    for trace in TRACES:
        assert trace not in seen, trace

    # And Dana is told there is news by a direct message that says nothing more
    news = await slack.until(lambda: [m for m in slack.api.called("chat.postMessage")
                                      if m.args.get("channel") == "DU0CFO"])
    assert "There is news on a report you made" in json.dumps(news[0].args)
    assert report.code not in json.dumps(news[0].args) and "Which deals" not in json.dumps(news[0].args)

    # And she answers from her status view, without code or secret
    await slack.command("U0CFO", "/ethics", f"status {report.code}")
    status = await slack.until(lambda: [v for v in slack.api.called("views.open") if "Which deals" in str(v)])
    assert "Sealed" in json.dumps(status[-1].args)
    elements = [e for b in status[-1].args["view"]["blocks"] if b["type"] == "actions" for e in b["elements"]]
    answer_button = next(e for e in elements if e["value"].startswith("answer:"))
    show_button = next(e for e in elements if e["value"].startswith("myname:show:"))
    await slack.click("U0CFO", answer_button["value"], view="modal")
    pushed = await slack.until(lambda: slack.api.called("views.push"))
    answered = await slack.submit("U0CFO", pushed[-1].args["view"]["callback_id"],
                                  {"answer": text_input("The Q3 ones with Northwind")})
    assert "recorded" in json.dumps(await answered.json())

    # When she shows her name to the committee, confirming it
    await slack.click("U0CFO", show_button["value"], view="modal")
    confirm = await slack.until(lambda: [v for v in slack.api.called("views.push")
                                         if "cannot be taken back" in str(v)])
    shown = await slack.submit("U0CFO", confirm[-1].args["view"]["callback_id"], {"confirm": radio("yes")})
    assert "now shown" in json.dumps(await shown.json())

    # Then a member allowed on the case sees her name
    before = len(slack.api.called("views.open"))
    await slack.click("U0ALEX", f"case:view:{report.id}")
    after = await slack.until(lambda: slack.api.called("views.open")[before:])
    assert "Dana Reyes" in json.dumps(after[-1].args)


def test_on_the_console_an_anonymous_report_becomes_confidential_with_code_and_secret(tmp_path, monkeypatch):
    from tests.e2e.test_console import Session

    env = {"CANDOR_DATABASE_URL": f"sqlite:///{tmp_path / 'candor.db'}",
           "CANDOR_KEY_FILE": str(tmp_path / "candor.key"), "CANDOR_SCRYPT_LOG2_N": "4",
           "CANDOR_ANONYMOUS_DELAY_MINUTES": "0"}
    s = Session(env, monkeypatch)
    s.type("/as sam@example.com")
    shown = s.type("I have a concern")
    shown = s.pick(shown, "Fraud involving management")
    shown = s.type(f"Management overrides inventory counts at the plant {CANARY}")
    shown = s.type("skip")
    shown = s.pick(shown, "Done")
    for _ in range(3):
        shown = s.type("skip")
    assert "Report confidentially" in shown and "at least 2 of its members" in shown
    shown = s.pick(shown, "Report anonymously")
    receipt = s.pick(shown, "Submit")
    code = re.search(r"case \*{1,2}([0-9A-Z-]{9})\*{1,2}", receipt).group(1)
    secret = re.search(r"Your secret: \*{1,2}([0-9A-Z-]+)\*{1,2}", receipt).group(1)

    shown = s.type(f"/ethics status {code} {secret}")
    shown = s.pick(shown, "Put my name on this report")
    assert "links your account to this case from then on" in shown
    assert "(1) Confidential" in shown
    shown = s.type("1")
    assert "linked" in shown

    s.type("/as lee@example.com")
    shown = s.type(f"/ethics open {code}")
    assert "Confidential reporter" in shown and "Sam Ortiz" not in shown and "sam@example.com" not in shown
    s.candor.close()


# --- Teams: the real Agents SDK adapter against the Bot Connector stand-in --------------------

# Dana as the roster and Teams know her, each part a canary: none of it may reach the committee
TEAMS_TRACES = ("Qzandra", "Vellacott", "qzandra.v@example.com", "aad-dana", "General Manager")
TEAMS_ROSTER = """\
officers:
  - {name: Qzandra Vellacott, email: qzandra.v@example.com, role: General Manager, teams_id: aad-dana}
committee:
  - {name: Lee Park, email: lee@example.com, chair: true, teams_id: aad-lee}
  - {name: Alex Kim, email: alex@example.com, teams_id: aad-alex}
"""
NEWS = "There is news on a report you made"


@pytest.fixture
async def teams(tmp_path, monkeypatch):
    from tests.e2e.teams_harness import start, stop

    harness, runner = await start(tmp_path, monkeypatch, roster=TEAMS_ROSTER)
    try:
        yield harness
    finally:
        await stop(harness, runner)


def reporters_own(sent, dana_chats: set[str]) -> bool:
    """What went to Dana alone: her personal chat, the chats Candor opened with her, and the
    content-free news it posted there (the committee never sees these)."""
    return ("a:personal-aad-dana" in sent.path or any(f"/{c}/" in sent.path for c in dana_chats)
            or (sent.path.rstrip("/").endswith("/v3/conversations")
                and "aad-dana" in json.dumps(sent.body.get("members"))))


async def member_dialog(teams, member: str, value: str) -> dict:
    """A member's click on a channel card's button: the answer arrives in their 1:1 chat as a card
    whose button opens it in a dialog; what the dialog shows."""
    before = len(teams.connector.posts())
    await teams.post(teams.in_channel(member, value={"candor": value}))
    opener = (await teams.until(lambda: [s for s in teams.connector.posts()[before:]
                                         if "a:1on1-" in s.path and "candor_view" in str(s)]))[-1]
    return await teams.open_dialog(member, opener)


def card(dialog: dict) -> dict:
    return dialog["task"]["value"]["card"]["content"]


async def test_in_teams_a_confidential_report_shows_no_trace_of_its_reporter_until_she_shows_her_name(teams):
    from tests.e2e.teams_harness import CHANNEL

    await teams.add_to_team()
    # Given Dana's confidential report, made in the Teams dialog
    form = card(await teams.invoke("aad-dana", "task/fetch", {
        "msteams": {"type": "task/fetch"}, "verb": "candor", "candor": "cmd:ethics:report"}))
    choices = next(i for i in form["body"] if i.get("id") == "anonymous")["choices"]
    assert {"title": "Confidential", "value": "confidential"} in choices
    assert "at least 2 of its members" in json.dumps(form)
    [submit] = form["actions"]
    receipt = json.dumps(await teams.invoke("aad-dana", "task/submit", {
        **submit["data"], "category": "fraud", "what": f"Side letters on the Q3 deals {CANARY}",
        "anonymous": "confidential"}))
    assert "You reported confidentially" in receipt and "Your secret" not in receipt
    (report,) = await teams.until(teams.reports)
    assert report.confidential and not report.anonymous and report.reporter_tag is None
    seen: list[str] = []  # what the members' dialogs showed them

    # When the committee reads the channel's card, lists the cases, opens the case in a dialog,
    # acknowledges it and asks the reporter a question
    (alert,) = await teams.until(lambda: teams.connector.posts(CHANNEL))
    assert report.code in str(alert)
    await teams.say("aad-lee", "cases")
    lister = (await teams.until(lambda: [s for s in teams.connector.posts("a:personal-aad-lee")
                                         if "cmd:ethics:cases" in str(s)]))[-1]
    listed = json.dumps(await teams.open_dialog("aad-lee", lister))
    assert report.code in listed
    view = json.dumps(await member_dialog(teams, "aad-lee", f"case:view:{report.id}"))
    assert CANARY in view and "Confidential reporter" in view
    await teams.post(teams.in_channel("aad-lee", value={"candor": f"case:ack:{report.id}"}))
    ask = card(await member_dialog(teams, "aad-lee", f"case:ask:{report.id}"))
    [send] = ask["actions"]
    asked = json.dumps(await teams.invoke("aad-lee", "task/submit",
                                          {**send["data"], "question": "Which deals exactly?"}))
    seen += [listed, view, asked]

    # Then Dana is told there is news by a message in a chat of her own that says nothing more
    news = await teams.until(lambda: [s for s in teams.connector.posts() if NEWS in str(s)])
    dana_chats = {s.path.split("/")[3] for s in news}
    for message in news:
        assert "a:1on1-" in message.path or "a:personal-aad-dana" in message.path
        assert report.code not in str(message) and "Which deals" not in str(message)
        assert CANARY not in str(message)

    # And she opens her reports from it, her case in a dialog, and answers, without code or secret
    before = len(teams.connector.posts("a:personal-aad-dana"))
    await teams.click("aad-dana", news[-1].body["attachments"][0]["content"]["actions"][0]["data"]["candor"])
    mine = (await teams.until(lambda: [s for s in teams.connector.posts("a:personal-aad-dana")[before:]
                                       if "candor_view" in str(s)]))[-1]
    assert report.code not in str(mine)  # the list opens in a dialog, not in the chat
    [open_case] = card(await teams.open_dialog("aad-dana", mine))["actions"]
    status = card(await teams.invoke("aad-dana", "task/submit", open_case["data"]))
    assert "Which deals exactly?" in json.dumps(status) and "Sealed" in json.dumps(status)
    buttons = {a["data"]["candor"].split(":")[0]: a["data"] for a in status["actions"]}
    [reply] = card(await teams.invoke("aad-dana", "task/submit", buttons["answer"]))["actions"]
    answered = json.dumps(await teams.invoke("aad-dana", "task/submit",
                                             {**reply["data"], "answer": "The Q3 ones with Northwind"}))
    assert "is recorded" in answered

    # And nothing the committee was shown (the channel, the members' chats, their dialogs) names her
    committee = [str(s) for s in teams.connector.sent + teams.connector.failed
                 if not reporters_own(s, dana_chats)]
    assert any("Lee Park" in s for s in committee)  # the ack's update is there to be searched
    for trace in TEAMS_TRACES:  # in any case, and so in an address the cards defang too
        for shown in [*committee, *seen]:
            assert trace.lower() not in shown.lower(), trace

    # When she shows her name to the committee, confirming it in the dialog
    show = card(await teams.invoke("aad-dana", "task/submit", buttons["myname"]))
    assert "cannot be taken back" in json.dumps(show)
    [confirm] = show["actions"]
    shown = json.dumps(await teams.invoke("aad-dana", "task/submit", {**confirm["data"], "confirm": "yes"}))
    assert "now shown" in shown

    # Then a member allowed on the case sees her name, and she is told, content-free, once more
    after = json.dumps(await member_dialog(teams, "aad-alex", f"case:view:{report.id}"))
    assert "Qzandra Vellacott" in after and "qzandra.v@" in after  # the card defangs the address
    await teams.until(lambda: len([s for s in teams.connector.posts() if NEWS in str(s)]) > len(news))
    # and the channel still names nobody
    assert all(t.lower() not in str(s).lower()
               for s in teams.connector.posts(CHANNEL) + teams.connector.updates() for t in TEAMS_TRACES)


# --- the case file export (`candor export case`) -----------------------------------------------

# Dana as the world's roster (and the console's demo roster) has her: her name, e-mail (views may
# defang an address), Slack id and title
WORLD_TRACES = ("Dana", "Reyes", "dana@", "U0CFO", "Chief Financial Officer", "CFO")


def test_the_case_file_of_a_confidential_report_names_its_reporter_only_once_she_shows_her_name(
        world, run, tmp_path):
    from tests.e2e.test_exports import pdf_text

    # Given Dana's confidential report, acknowledged and asked about
    world.submit("cfo", "intake", {"category": "fraud", "what": f"Side letters on the Q3 deals {CANARY}",
                                   "anonymous": "confidential"})
    (report,) = world_reports(world)
    world.click("chair", f"case:ack:{report.id}")
    world.submit("member", f"ask:{report.id}", {"question": "Which deals exactly?"})

    # When a member exports its case file, in Markdown and as a PDF
    before_md, before_pdf = tmp_path / "before.md", tmp_path / "before.pdf"
    assert run("export", "case", report.code, "--as", "alex@example.com", "--out",
               str(before_md)).exit_code == 0
    assert run("export", "case", report.code, "--as", "alex@example.com", "--format", "pdf",
               "--out", str(before_pdf)).exit_code == 0

    # Then the file says "Confidential reporter" and nothing that names her
    for text in (before_md.read_text(encoding="utf-8"), pdf_text(before_pdf)):
        assert CANARY in text and "Confidential reporter" in text
        for trace in WORLD_TRACES:
            assert trace not in text, trace

    # When she shows her name to the committee
    world.submit("cfo", f"myname-show:{report.id}", {"confirm": "yes"})

    # Then the case file names her, and says how and when her name was shown
    after = tmp_path / "after.md"
    result = run("export", "case", report.code, "--as", "alex@example.com", "--out", str(after))
    assert result.exit_code == 0, result.output
    text = after.read_text(encoding="utf-8")
    assert "Dana Reyes" in text and "dana@example.com" in text and "shown by the reporter" in text


def world_reports(world):
    from sqlmodel import select

    from storage.models import Report

    with world.db.read() as session:
        return list(session.exec(select(Report)).all())


# --- the console -------------------------------------------------------------------------------


def test_on_the_console_a_confidential_reporter_shows_her_name_and_the_committee_then_sees_it(
        tmp_path, monkeypatch):
    from tests.e2e.test_console import Session

    env = {"CANDOR_DATABASE_URL": f"sqlite:///{tmp_path / 'candor.db'}",
           "CANDOR_KEY_FILE": str(tmp_path / "candor.key"), "CANDOR_SCRYPT_LOG2_N": "4",
           "CANDOR_ANONYMOUS_DELAY_MINUTES": "0"}
    s = Session(env, monkeypatch)
    # Given Dana's confidential report, typed on the console
    s.type("/as dana@example.com")
    shown = s.type("I have a concern")
    shown = s.pick(shown, "Fraud involving management")
    shown = s.type(f"Side letters on the Q3 deals {CANARY}")
    shown = s.type("skip")
    shown = s.pick(shown, "Done")
    for _ in range(3):
        shown = s.type("skip")
    shown = s.pick(shown, "Report confidentially")
    receipt = s.pick(shown, "Submit")
    code = re.search(r"case code is ([0-9A-Z-]{9})", receipt).group(1)
    assert "You reported confidentially" in receipt and "Your secret" not in receipt

    # The committee sees a confidential reporter
    s.type("/as lee@example.com")
    shown = s.type(f"/ethics open {code}")
    assert CANARY in shown and "Confidential reporter" in shown
    for trace in WORLD_TRACES:
        assert trace not in shown, trace

    # When Dana opens her case and shows her name, confirming it
    s.type("/as dana@example.com")
    shown = s.type(f"/ethics status {code}")
    assert "Sealed" in shown
    shown = s.pick(shown, "Show my name to the committee")
    assert "cannot be taken back" in shown
    shown = s.type("yes")
    assert "now shown" in shown
    shown = s.type(f"/ethics status {code}")
    assert "Shown to the committee on" in shown and "Show my name to the committee" not in shown

    # Then a member of the committee sees her name
    s.type("/as alex@example.com")
    shown = s.type(f"/ethics open {code}")
    assert "Dana Reyes" in shown and "dana@" in shown and "shown by the reporter" in shown
    s.candor.close()
