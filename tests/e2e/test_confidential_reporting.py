"""Confidential reporting (issue 24) end to end on Slack (the real Bolt app, signed requests, the
Web API stand-in): Dana reports confidentially through the modal; nothing the committee reads
(the channel alert, the case view, the case list) names her; the committee's question reaches
her by a content-free direct message; she answers without code or secret; she shows her name,
and then the members allowed on the case see it."""

from __future__ import annotations

import json
import re

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
