"""Issue 24's last rule on Slack, through the real Bolt app and the Web API stand-in: Dana reports
confidentially and shows her name to the committee; Robin Vale (outside counsel), designated on
the case, still reads "Confidential reporter"; Alex shows him the name from the case's window
(the button, the form stacked on it, a reason); Robin then reads it, Dana is told by a content-free
direct message and her status view says to whom and why. Robin cannot show it himself."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.e2e.slack_harness import ROSTER, radio, text_input
from tests.e2e.slack_harness import option as choose
from tests.e2e.test_designations_slack import audited, button, buttons, designate, open_case, to
from tests.support.designees import import_designees

REASON = "CANARYr0b1n counsel interviews the reporter first"
TRACES = ("Dana", "dana@example.com", "U0CFO")


@pytest.fixture
async def slack(slack):
    """The harness's company, with the roster's designees imported as an operator imports them."""
    import_designees(slack.candor, ROSTER)
    return slack


async def test_a_member_shows_the_reporters_name_to_the_adviser_in_slack(slack):
    # Given Dana's confidential report, acknowledged, and Robin designated on it
    await slack.command("U0CFO", "/ethics", "report")
    form = (await slack.until(lambda: slack.api.called("views.open")))[-1].args["view"]
    await slack.submit("U0CFO", form["callback_id"], {
        "category": choose("fraud"), "what": text_input("Side letters on the Q3 deals"),
        "anonymous": radio("confidential")})
    (report,) = slack.reports()
    await slack.acknowledge("U0LEE", report.id)
    until = (slack.candor.core.today() + timedelta(days=90)).isoformat()
    await designate(slack, report, until=until)
    await slack.until(lambda: to(slack, "DU0ROBIN"))

    # And Dana shows her name to the committee: Alex reads it, Robin does not
    shown = await slack.submit("U0CFO", f"myname-show:{report.id}", {"confirm": radio("yes")})
    assert "now shown" in json.dumps(await shown.json())
    window = await open_case(slack, "U0ALEX", report)
    assert "Dana Reyes" in json.dumps(window)
    robin_reads = json.dumps(await open_case(slack, "U0ROBIN", report, channel="DU0ROBIN"))
    assert "Confidential reporter" in robin_reads
    for trace in TRACES:
        assert trace not in robin_reads, trace
    # Robin is offered no way to show it, and a forged click of his is refused
    robin_buttons = [b["value"] for b in buttons(json.loads(robin_reads))]
    assert not [v for v in robin_buttons if "revealto" in v]
    value = button(window, "Show the reporter's name to Robin Vale")
    refused_before = len(audited(slack, "case.refused"))
    await slack.click("U0ROBIN", value, view="modal")
    await slack.until(lambda: len(audited(slack, "case.refused")) > refused_before)
    # (his refusal's window is pushed after the refusal is audited: wait for it too, so it is not
    # taken for Alex's form below)
    await slack.until(lambda: [c for c in slack.api.called("views.push")
                               if "That is for members" in json.dumps(c.args)])

    # When Alex picks "Show the reporter's name to Robin Vale" and gives the reason
    pushed = len(slack.api.called("views.push"))
    await slack.click("U0ALEX", value, view="modal")
    form = (await slack.until(lambda: slack.api.called("views.push")[pushed:]))[0].args["view"]
    assert "Robin Vale (outside counsel)" in json.dumps(form)
    answer = await slack.submit("U0ALEX", form["callback_id"], {"reason": text_input(REASON)})
    assert "now shown to Robin Vale" in json.dumps(await answer.json())

    # Then Robin reads the name
    assert "Dana Reyes" in json.dumps(await open_case(slack, "U0ROBIN", report, channel="DU0ROBIN"))
    # And Dana is told by a direct message that says nothing more, her view saying to whom and why
    news = await slack.until(lambda: [m for m in to(slack, "DU0CFO")
                                      if "There is news on a report you made" in json.dumps(m.args)])
    assert all("Robin" not in json.dumps(m.args) and "CANARY" not in json.dumps(m.args) for m in news)
    await slack.command("U0CFO", "/ethics", f"status {report.code}")
    status = await slack.until(lambda: [v for v in slack.api.called("views.open")
                                        if "to Robin Vale (outside counsel)" in json.dumps(v.args)])
    assert "counsel interviews the reporter first" in json.dumps(status[-1].args)
    # And it is audited: Alex showed it, to Robin
    [revealed] = [e for e in audited(slack, "reporter.revealed") if '"how":"designation"' in e.detail]
    assert revealed.actor.startswith("person:") and "CANARY" not in revealed.detail
