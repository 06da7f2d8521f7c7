"""Showing a confidential reporter's name by a quorum or by consent (issue 24), end to end: in
the console as a person types it, and in Slack through the real Bolt app with signed requests.
One member's request is not enough; a second member's agreement reveals; the reporter is told,
with the reason, in their private view; a member kept away is neither asked nor shown; a lapsed
request reveals nothing; a consent request answered yes reveals, no doesn't. The reason never
reaches a message that stays in a chat."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from bot.roster import db_import_roster
from bot.roster_file import parse_roster
from storage.models import Person, RevealRequest
from tests.e2e.slack_harness import option as choose
from tests.e2e.slack_harness import radio, running, text_input
from tests.e2e.test_console import Session, env  # noqa: F401  (the console and its fixture)
from tests.support.slack_stand_in import SlackStandIn

REASON = "CANARY-r3v3al the auditors must interview the reporter"


def console_report(s: Session, *, exclude: str = "") -> str:
    """Dana reports confidentially by the form (keeping away the members numbered `exclude`)."""
    s.type("/as dana@example.com")
    s.type("/ethics report")
    s.type("3")  # fraud
    s.type("Revenue is booked before delivery")
    s.type("")  # who
    s.type(exclude)  # members kept away: (1) Alex Kim (2) Jordan Blake (3) Lee Park
    for _ in range(3):
        s.type("")
    receipt = s.type("2")  # Confidential
    match = re.search(r"case code is ([0-9A-Z-]{9})", receipt)
    assert match and "confidentially" in receipt, receipt
    return match.group(1)


def dms(shown: str) -> list[str]:
    """The direct messages the console printed, each with its lines."""
    return ["[DM to" + part.split("\nbot>", 1)[0] for part in shown.split("[DM to")[1:]]


def test_console_one_request_is_not_enough_a_second_agreement_reveals_and_jordan_sees_nothing(
        env, monkeypatch):  # noqa: F811
    s = Session(env, monkeypatch)
    code = console_report(s, exclude="2")  # Jordan kept away

    # Alex asks, with a reason
    s.type("/as alex@example.com")
    shown = s.pick(s.type(f"/ethics open {code}"), "Ask to reveal the reporter")
    assert "2 of the 2 members allowed" in shown
    asked = s.type(REASON)
    assert "The other member allowed on the case is asked privately" in asked
    # Lee alone is asked, by a message with no case and no reason
    [dm] = dms(asked)
    assert "A committee member asks for your view" in dm
    assert code not in dm and "CANARY" not in dm

    # Lee opens the request from the message's button, reads the reason, agrees
    s.type("/as lee@example.com")
    form = s.type("1")  # the message's [1] Open the request
    assert "Alex Kim asks to show the name" in form and "the auditors must interview" in form
    # One member's request is not enough
    assert "1 of the 2 members needed agree so far" in form
    s.type("1")  # Agree
    agreed = s.type("")  # no reason needed to agree
    assert "the quorum is reached" in agreed
    told = dms(agreed)
    assert any("dana@example.com" in d and "There is news on a report you made" in d for d in told)
    assert all(code not in d and "CANARY" not in d and "Dana Reyes" not in d for d in told)
    assert "Dana Reyes" in s.type(f"/ethics open {code}")

    # Jordan, kept away, was asked nothing, is told nothing and is shown nothing
    s.type("/as jordan@example.com")
    assert code not in s.type("/ethics cases")
    assert "can't open this case" in s.type(f"/ethics open {code}")

    # The reporter reads, privately, when and why their name was shown
    s.type("/as dana@example.com")
    mine = s.type(f"/ethics status {code}")
    assert "the auditors must interview" in mine and "Your name" in mine


def test_console_consent_no_keeps_the_name_sealed_and_yes_shows_it(env, monkeypatch):  # noqa: F811
    s = Session(env, monkeypatch)
    code = console_report(s)
    s.type("/as alex@example.com")
    s.pick(s.type(f"/ethics open {code}"), "Ask the reporter for their name")
    asked = s.type(REASON)
    assert "The reporter is told there is news" in asked
    [dm] = dms(asked)
    assert "dana@example.com" in dm and code not in dm and "CANARY" not in dm

    s.type("/as dana@example.com")
    mine = s.type(f"/ethics status {code}")
    assert "A committee member asks for your name" in mine and "the auditors must interview" in mine
    assert "Alex" not in mine
    assert "stays sealed" in s.pick(mine, "No, keep my name sealed")
    s.type("/as lee@example.com")
    shown = s.type(f"/ethics open {code}")
    assert "The reporter's answer: Declined" in shown and "Dana" not in shown

    s.pick(shown, "Ask the reporter for their name")
    s.type("We must interview you ourselves")
    s.type("/as dana@example.com")
    assert "now shown" in s.pick(s.type(f"/ethics status {code}"), "Yes, show my name")
    s.type("/as jordan@example.com")
    assert "Dana Reyes" in s.type(f"/ethics open {code}")


def test_console_a_lapsed_request_reveals_nothing(env, monkeypatch):  # noqa: F811
    s = Session(env, monkeypatch)
    code = console_report(s)
    s.type("/as alex@example.com")
    s.pick(s.type(f"/ethics open {code}"), "Ask to reveal the reporter")
    s.type(REASON)
    waited = s.type("/wait 8d")
    assert "There is news on a request you made" in waited
    shown = s.type(f"/ethics open {code}")
    assert "Lapsed after seven days" in shown and "Confidential reporter" in shown
    s.type("/as lee@example.com")
    assert "Confidential reporter" in s.type(f"/ethics open {code}")


# --- Slack: the real Bolt app, signed requests, the Web API stand-in -------------------------

JORDAN = """\
officers: []
committee:
  - {name: Jordan Blake, email: jordan@example.com, slack_id: U0JORD}
"""


@pytest.fixture
async def slack(tmp_path, monkeypatch):
    async with SlackStandIn() as api:
        async with running(tmp_path, api, monkeypatch) as harness:
            with harness.candor.db.write() as session:  # a third member, whom the case keeps away
                db_import_roster(session, parse_roster(JORDAN), prune=False,
                                 vault=harness.candor.core.vault, audit=harness.candor.core.audit,
                                 actor="test")
            yield harness
        assert api.invalid == [], "\n".join(f"{why}: {str(c)[:300]}" for c, why in api.invalid)


def slack_ids(slack) -> dict[str, int]:
    with slack.candor.db.read() as session:
        return {p.email: p.id for p in session.exec(select(Person)).all()}


def posted(slack) -> str:
    """Everything the bot posted or edited in a chat or a channel: what stays in history."""
    return "\n".join(str(c) for c in slack.api.calls
                     if c.method in {"chat.postMessage", "chat.update", "chat.postEphemeral"})


async def test_slack_quorum_reveal_asks_only_the_members_allowed(slack):
    # Given a confidential report made in a modal, and the chair keeping Jordan away
    await slack.submit("U0CFO", "intake", {"category": choose("fraud"),
                                           "what": text_input("Revenue is booked early"),
                                           "anonymous": radio("confidential")})
    [report] = await slack.until(slack.reports)
    assert report.confidential
    ids = slack_ids(slack)
    await slack.submit("U0LEE", f"exclude:{report.id}",
                       {"member": choose(str(ids["jordan@example.com"]))})

    # When Alex asks to reveal the reporter, with a reason
    await slack.click("U0ALEX", f"case:reveal:{report.id}", view="modal")
    await slack.until(lambda: "Reveal the reporter" in str(slack.api.calls))
    answer = await slack.submit("U0ALEX", f"reveal-ask:{report.id}",
                                {"reason": text_input(REASON)})
    assert answer.status == 200

    # Then Lee alone gets a message naming no case and no reason, with a button
    asked = await slack.until(lambda: [c for c in slack.api.called("chat.postMessage")
                                       if "asks for your view" in str(c)])
    assert [c.args["channel"] for c in asked] == ["DU0LEE"]
    assert report.code not in str(asked) and "CANARY" not in str(asked)
    with slack.candor.db.read() as session:
        [request] = session.exec(select(RevealRequest)).all()
    # One member's request is not enough
    assert request.state == "open"

    # When Lee opens the request (a window with the reason) and agrees
    await slack.click("U0LEE", f"reveal:open:{request.id}", channel="DU0LEE")
    await slack.until(lambda: "the auditors must interview" in str(slack.api.called("views.open")))
    agreed = await slack.submit("U0LEE", f"reveal-vote:{request.id}",
                                {"decision": choose("agree"), "reason": text_input("")})
    assert agreed.status == 200

    # Then the reporter is told there is news, content-free, and Alex sees the name
    await slack.until(lambda: [c for c in slack.api.called("chat.postMessage")
                               if c.args.get("channel") == "DU0CFO" and "There is news" in str(c)])
    await slack.click("U0ALEX", f"case:view:{report.id}", view="modal")
    await slack.until(lambda: "Dana Reyes" in str(slack.api.calls[-1]))
    # Jordan was asked nothing and told nothing; the reason never stayed in a chat
    assert not [c for c in slack.api.called("chat.postMessage") if c.args.get("channel") == "DU0JORD"]
    assert "CANARY" not in posted(slack)
