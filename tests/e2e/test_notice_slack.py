"""The written notice on Slack, through the real Bolt app and the Web API stand-in: a member records
a determination of written notice in a modal, opens the case's details, reads the Notice letter
entry, clicks Notice delivered (a form stacked on the details) and submits the day; the delivery
is recorded and audited, and nothing of the finding or the letter is posted in a chat or a
channel."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from storage.models import AuditEvent, NoticeDelivery, Person
from tests.e2e.slack_harness import option, radio, text_input

FINDING = "NOTICEFINDINGq7"


def datepicker(day: str) -> dict:
    return {"value": {"type": "datepicker", "selected_date": day}}


def buttons(view: dict) -> list[dict]:
    return [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]


async def test_a_member_records_a_notice_delivered_from_the_case_view_in_slack(slack):
    today = datetime.now(UTC).date()
    # Given a named report, acknowledged, with a determination of written notice made in a modal
    await slack.submit("U0CFO", "intake", {"category": option("fraud"),
                                           "what": text_input("Revenue booked before delivery"),
                                           "anonymous": radio("no")})
    report = (await slack.until(slack.reports))[0]
    await slack.acknowledge("U0LEE", report.id)
    with slack.candor.db.read() as session:
        sam = session.exec(select(Person).where(Person.email == "sam@example.com")).one()
    await slack.submit("U0ALEX", f"determine:{report.id}", {
        "subject": option(str(sam.id)), "violation": radio("yes"), "action": option("written_notice"),
        "nature": text_input(f"Side letters hidden from the auditors {FINDING}"),
        "occurrence": option("single"), "intent": option("inadvertent"), "advised": radio("no"),
        "prior": text_input("None"), "decider": text_input("Board of Directors"),
        "decided_on": datepicker((today - timedelta(days=1)).isoformat()),
        "reasoning": text_input("A first lapse")})

    # When the chair opens the case's details
    await slack.click("U0LEE", f"case:view:{report.id}")
    details = (await slack.until(lambda: slack.api.called("views.open")))[-1].args["view"]

    # Then they read how to get the letter, and a Notice delivered button
    shown = json.dumps(details)
    assert "Notice letter to Sam Ortiz" in shown and f"candor export notice {report.code}" in shown
    (deliver,) = [b for b in buttons(details) if b["value"].startswith("case:notice:")]
    assert deliver["text"]["text"] == "Notice delivered: Sam Ortiz"

    # When they click it in the modal, the form is stacked on the details
    await slack.click("U0LEE", deliver["value"], view="modal")
    form = (await slack.until(lambda: slack.api.called("views.push")))[-1].args["view"]
    assert form["callback_id"].startswith(f"notice:{report.id}:")
    assert "datepicker" in json.dumps(form)

    # A day in the future is refused beside its field, and nothing is recorded
    refused = await slack.submit("U0LEE", form["callback_id"], {
        "delivered_on": datepicker((today + timedelta(days=3)).isoformat())})
    assert (await refused.json())["response_action"] == "errors"

    # And today is recorded, with how
    answer = await slack.submit("U0LEE", form["callback_id"], {
        "delivered_on": datepicker(today.isoformat()), "how": text_input("By hand")})
    assert answer.status == 200
    rows = await slack.until(lambda: _deliveries(slack))
    assert [r.delivered_on for r in rows] == [today]
    with slack.candor.db.read() as session:
        audited = session.exec(select(AuditEvent).where(
            AuditEvent.action == "notice_letter.delivered")).all()
    assert len(audited) == 1

    # And the details show it in the history; the button is gone
    await slack.click("U0ALEX", f"case:view:{report.id}")
    again = await slack.until(lambda: [c for c in slack.api.called("views.open")
                                       if "Notice letter delivered" in json.dumps(c.args)])
    assert not [b for b in buttons(again[-1].args["view"]) if b["value"].startswith("case:notice:")]
    # Nothing of the finding was posted in a chat or a channel (those stay in history)
    posted = [json.dumps(c.args) for c in slack.api.calls
              if c.method in {"chat.postMessage", "chat.update", "chat.postEphemeral"}]
    assert not [p for p in posted if FINDING in p or "Notice letter" in p]


def _deliveries(slack) -> list[NoticeDelivery]:
    with slack.candor.db.read() as session:
        return list(session.exec(select(NoticeDelivery)).all())
