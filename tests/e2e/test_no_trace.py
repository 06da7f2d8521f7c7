"""Slack's chat keeps what is posted in it (exports, the Discovery API): an anonymous report made
the recommended way, followed and answered (by the committee and by the adviser it designated,
issue 22), leaves no canary, no secret and no case code beside a secret in any message the bot
posts or edits; a secret typed into the chat is spent."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlmodel import select

from storage.models import AuditEvent, Person
from tests.e2e.slack_harness import COMMITTEE, ROSTER, radio, text_input
from tests.e2e.slack_harness import option as choose
from tests.support.designees import import_designees

FIELDS = ["what", "who", "when", "evidence", "known", "question", "answer", "note",
          "why", "dq"]  # issue 22: why a designation was made, the designee's question
CANARY = {name: f"TRACE{name.upper()}q9" for name in FIELDS}


def posted(slack) -> list[str]:
    """Every message the bot posted or edited: what stays in a chat's or a channel's history."""
    return [json.dumps(c.args) for c in slack.api.calls if c.method in {"chat.postMessage", "chat.update"}]


def buttons(call) -> list[dict]:
    return [e for b in call.args.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


async def anonymous_report_by_the_form(slack, user: str = "U0CFO") -> tuple[str, str]:
    """`report` typed in the Messages tab, its Open the form button, the modal; returns the
    code and the secret the modal showed."""
    await slack.dm(user, "report")
    offer = await slack.until(lambda: [c for c in slack.api.called("chat.postMessage")
                                       if "Open the form" in str(c)])
    await slack.click(user, buttons(offer[0])[0]["value"], channel=f"D{user}")
    opened = await slack.until(lambda: slack.api.called("views.open"))
    form = opened[-1].args["view"]
    assert form["callback_id"].startswith("intake:")
    c = CANARY
    answer = await slack.submit(user, form["callback_id"], {
        "category": choose("fraud"), "what": text_input(f"Side letters on Q3 deals {c['what']}"),
        "who": text_input(f"Regional sales VP {c['who']}"), "when": text_input(f"Since May {c['when']}"),
        "evidence": text_input(f"CRM exports {c['evidence']}"), "known": text_input(f"No one {c['known']}"),
        "anonymous": radio("yes")})
    receipt = json.dumps(await answer.json())
    code = re.search(r"as case \*{1,2}([0-9A-Z]{4}-[0-9A-Z]{4})\*{1,2}", receipt).group(1)
    secret = re.search(r"Your secret: \*{1,2}([^*]+)\*{1,2}", receipt).group(1)
    return code, secret


async def test_an_anonymous_report_followed_and_answered_leaves_nothing_in_any_chat(slack):
    c = CANARY
    # Given an anonymous report made the recommended way
    code, secret = await anonymous_report_by_the_form(slack)
    report = slack.reports()[0]
    assert report.anonymous and report.code == code

    # When the committee acknowledges it and asks a question
    await slack.acknowledge("U0LEE", report.id)
    await slack.submit("U0LEE", f"ask:{report.id}", {"question": text_input(f"Which deals? {c['question']}")})
    # And a member notes a finding and takes the lead (issue 22)
    await slack.submit("U0ALEX", f"note:{report.id}", {"note": text_input(f"Side letters seen {c['note']}"),
                                                       "recommendation": radio("no")})
    await slack.click("U0ALEX", f"case:lead:{report.id}")

    # And designates outside counsel (why: a canary), who asks a question of their own
    import_designees(slack.candor, ROSTER)
    with slack.candor.db.read() as session:
        robin = session.exec(select(Person).where(Person.email == "robin@counsel.example")).one()
    until = (slack.candor.core.today() + timedelta(days=60)).isoformat()
    done = await slack.submit("U0LEE", f"designate:{report.id}", {
        "person": choose(str(robin.id)), "scope": choose("investigate"),
        "until": {"value": {"type": "datepicker", "selected_date": until}},
        "why": text_input(f"Interview the VP {c['why']}")})
    assert "is designated" in json.dumps(await done.json())
    await slack.until(lambda: [m for m in slack.api.called("chat.postMessage") if m.args.get("channel") == "DU0ROBIN"])
    await slack.submit("U0ROBIN", f"ask:{report.id}", {"question": text_input(f"Who signed? {c['dq']}")})

    # And the reporter checks the case with /ethics status (slash text is not kept) and answers
    await slack.command("U0CFO", "/ethics", f"status {code} {secret}")
    status = await slack.until(lambda: [v for v in slack.api.called("views.open") if c["question"] in str(v)])
    answer_button = [b for b in status[0].args["view"]["blocks"] if b["type"] == "actions"][0]["elements"][0]
    await slack.click("U0CFO", answer_button["value"], view="modal")
    pushed = await slack.until(lambda: slack.api.called("views.push"))
    answered = await slack.submit("U0CFO", pushed[0].args["view"]["callback_id"],
                                  {"answer": text_input(f"The Q3 ones {c['answer']}")})
    assert "is recorded" in json.dumps(await answered.json())
    await slack.until(lambda: len([m for m in slack.api.called("chat.postMessage")
                                   if m.args.get("channel") == COMMITTEE]) >= 2)

    # Then no message the bot posted or edited holds a canary, the secret, or the code beside it
    messages = posted(slack)
    assert messages
    for message in messages:
        for canary in CANARY.values():
            assert canary not in message
        assert secret not in message
        assert not (code in message and secret.replace("-", "") in message.replace("-", ""))
    # ... while the private views did carry them (the test looked in the right place)
    views = json.dumps([c.args for c in slack.api.calls if c.method in {"views.open", "views.push"}])
    assert c["question"] in views and c["dq"] in views
    # The adviser was told, with an Open button, and nothing more
    assert [m for m in messages if "designated you on case" in m]
    await slack.click("U0LEE", f"case:view:{report.id}")
    await slack.until(lambda: c["note"] in str(slack.api.called("views.open")))


async def test_report_typed_in_the_chat_offers_the_form_and_warns_before_the_typed_path(slack):
    await slack.dm("U0CFO", "report")
    offer, warning = await slack.until(lambda: slack.api.called("chat.postMessage")[:2]
                                       if len(slack.api.called("chat.postMessage")) >= 2 else None)
    assert [b["text"]["text"] for b in buttons(offer)] == ["Open the form"]
    assert "stays in this chat's history" in str(warning) and "administrators can export" in str(warning)
    assert [b["value"] for b in buttons(warning)] == ["chatreport:start"]
    assert slack.api.called("views.open") == []

    # The typed path: nothing typed is repeated, and "anonymously" says the chat links the messages
    await slack.click("U0CFO", "chatreport:start", channel="DU0CFO")
    await slack.until(lambda: len(slack.api.called("chat.postMessage")) >= 4)
    for text in ["3", f"Revenue pulled forward {CANARY['what']}", f"The controller {CANARY['who']}", "done",
                 "skip", "skip", "skip"]:
        await slack.say("U0CFO", text)
    await slack.say("U0CFO", "anonymously")
    await slack.until(lambda: "What happened: given" in " ".join(posted(slack)[-2:]))
    after = " ".join(posted(slack)[-2:])
    assert "links these messages to your account" in after
    await slack.dm("U0CFO", "submit")
    receipt = await slack.until(lambda: slack.api.called("chat.postEphemeral"))
    assert "Your secret" in str(receipt[0]) and receipt[0].args["user"] == "U0CFO"
    for message in posted(slack):
        assert CANARY["what"] not in message and CANARY["who"] not in message and "Your secret" not in message


async def test_a_secret_typed_into_the_chat_is_replaced_and_the_case_not_shown(slack):
    code, secret = await anonymous_report_by_the_form(slack, "U0CFO")

    # When the reporter types code and secret into the Messages tab
    await slack.dm("U0CFO", f"status {code} {secret}")

    # Then the chat is told why, the case is not shown, and a new secret comes privately only
    told = await slack.until(lambda: [m for m in slack.api.called("chat.postMessage") if "typed your secret" in str(m)])
    assert code not in str(told[0]) and slack.api.called("views.open")[1:] == []
    private = await slack.until(lambda: [e for e in slack.api.called("chat.postEphemeral") if "new secret" in str(e)])
    new_secret = re.search(r"Your new secret: \*{1,2}([^*]+)\*{1,2}", json.dumps(private[0].args)).group(1)
    assert new_secret != secret and private[0].args["user"] == "U0CFO"
    assert not any(new_secret in m for m in posted(slack))

    # And the old secret opens nothing; the new one does
    await slack.command("U0CFO", "/ethics", f"status {code} {secret}")
    refused = await slack.until(lambda: slack.api.called("response_url"))
    assert "couldn't open that case" in str(refused[-1])
    await slack.command("U0CFO", "/ethics", f"status {code} {new_secret}")
    opened = await slack.until(lambda: [v for v in slack.api.called("views.open") if f"Case {code}" in str(v)])
    assert opened
    # The audit log records the replacement, never a secret
    with slack.candor.db.read() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "case.secret_replaced")).all()
    assert len(events) == 1 and secret not in events[0].detail and new_secret not in events[0].detail


async def test_typed_commands_that_show_a_case_answer_with_a_button_that_opens_it(slack):
    code, _secret = await anonymous_report_by_the_form(slack)
    def to_lee():
        return [c for c in slack.api.called("chat.postMessage") if c.args.get("channel") == "DU0LEE"]

    await slack.dm("U0LEE", "cases")
    await slack.until(lambda: len(to_lee()) == 1)
    await slack.dm("U0LEE", f"open {code}")
    offers = await slack.until(lambda: to_lee() if len(to_lee()) == 2 else None)
    assert [b["text"]["text"] for o in offers for b in buttons(o)] == ["Open", "Open"]
    assert not any("Side letters" in str(o) or "Fraud" in str(o) for o in offers)

    await slack.click("U0LEE", buttons(offers[1])[0]["value"], channel="DU0LEE")
    opened = await slack.until(lambda: [v for v in slack.api.called("views.open") if CANARY["what"] in str(v)])
    assert opened
