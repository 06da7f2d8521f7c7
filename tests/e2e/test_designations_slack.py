"""Issue 22 on Slack, through the real Bolt app and the Web API stand-in, as people use it: a member
designates the roster's outside counsel from the case's window (Designate, a form stacked on it,
submitted as a view_submission); the channel hears it without content, the adviser gets a
content-free direct message with an Open button, opens the case, asks the anonymous reporter; the
reporter answers through the status check (code and secret); the adviser and the members read the
answer. The adviser opens nothing else (another case, the waiver register, the waiver form), a
forged button value changes nothing, and nothing opens once the designation is ended by a member,
passes its date (the sweep, run at a later `now`) or the case closes. An adviser the reporter kept
away is not offered, and a forged choice of them is refused."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.sweep import Sweeper
from storage.models import AuditEvent, Designation, Person, Report
from storage.vocabulary import CaseStatus
from tests.e2e.slack_harness import COMMITTEE, ROSTER, option, radio, text_input
from tests.support.designees import import_designees

CANARY = "CANARYd3sig"
OUTSIDER = "That is for members of the Audit Committee."
NOT_FOR_DESIGNEES = "That is for the company's officers and the Audit Committee."


@pytest.fixture
async def slack(slack):
    """The harness's company, with the roster's designees imported as an operator imports them."""
    import_designees(slack.candor, ROSTER)
    return slack


def datepicker(day: str) -> dict:
    return {"value": {"type": "datepicker", "selected_date": day}}


def buttons(view_or_message: dict) -> list[dict]:
    return [e for b in view_or_message.get("blocks", []) if b["type"] == "actions"
            for e in b["elements"]]


def button(view_or_message: dict, text: str) -> str:
    found = [b["value"] for b in buttons(view_or_message) if b["text"]["text"] == text]
    assert found, f"no button {text!r} in {[b['text']['text'] for b in buttons(view_or_message)]}"
    return found[0]


def person_id(slack, email: str) -> int:
    with slack.candor.db.read() as session:
        found = session.exec(select(Person).where(Person.email == email)).one().id
    assert found is not None
    return found


def designations(slack) -> list[Designation]:
    with slack.candor.db.read() as session:
        return list(session.exec(select(Designation)).all())


def audited(slack, action: str) -> list[AuditEvent]:
    with slack.candor.db.read() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def to(slack, channel: str) -> list:
    return [c for c in slack.api.called("chat.postMessage") if c.args.get("channel") == channel]


async def anonymous_report(slack, *, keep_away: str | None = None) -> tuple[Report, str]:
    """An anonymous report by the form `/ethics report` opens, keeping away the person of the
    keep-away list labelled `keep_away`; acknowledged by the chair. (The report, its secret.)"""
    opened = len(slack.api.called("views.open"))
    await slack.command("U0CFO", "/ethics", "report")
    form = (await slack.until(lambda: slack.api.called("views.open")[opened:]))[0].args["view"]
    values = {"category": option("fraud"), "what": text_input(f"Inventory counts overridden {CANARY}-what"),
              "anonymous": radio("yes")}
    if keep_away is not None:
        [exclude] = [b for b in form["blocks"] if b.get("block_id") == "exclude"]
        [chosen] = [o for o in exclude["element"]["options"] if o["text"]["text"] == keep_away]
        values["exclude"] = {"value": {"type": "multi_static_select", "selected_options": [chosen]}}
    receipt = json.dumps(await (await slack.submit("U0CFO", form["callback_id"], values)).json())
    code = re.search(r"as case \*{1,2}([0-9A-Z]{4}-[0-9A-Z]{4})\*{1,2}", receipt).group(1)
    secret = re.search(r"Your secret: \*{1,2}([^*]+)\*{1,2}", receipt).group(1)
    report = next(r for r in slack.reports() if r.code == code)
    await slack.acknowledge("U0LEE", report.id)
    return report, secret


async def open_case(slack, user: str, report: Report, *, channel: str = COMMITTEE) -> dict:
    """A click on the case's Open (in the channel, or in the person's DM) and the window it opens."""
    opened = len(slack.api.called("views.open"))
    await slack.click(user, f"case:view:{report.id}", channel=channel)
    return (await slack.until(lambda: slack.api.called("views.open")[opened:]))[0].args["view"]


async def refused(slack, user: str, act, words: str = OUTSIDER) -> None:
    """`act()` by `user`, then the answer they get: `words`, and no window opened but one that
    carries those words (a refusal clicked in a window is answered in a window)."""
    calls = len(slack.api.calls)
    await act()
    await slack.until(lambda: words in json.dumps([c.args for c in slack.api.calls[calls:]]))
    windows = [c for c in slack.api.calls[calls:] if c.method in {"views.open", "views.push", "views.update"}]
    assert all(words in json.dumps(c.args) for c in windows), windows


async def designate(slack, report: Report, *, until: str, who: str = "robin@counsel.example",
                    by: str = "U0ALEX") -> dict:
    """Designate from the case's window: the button, the form stacked on it, submitted."""
    window = await open_case(slack, by, report)
    pushed = len(slack.api.called("views.push"))
    await slack.click(by, button(window, "Designate"), view="modal")
    form = (await slack.until(lambda: slack.api.called("views.push")[pushed:]))[0].args["view"]
    assert form["callback_id"] == f"designate:{report.id}"
    answer = await slack.submit(by, form["callback_id"], {
        "person": option(str(person_id(slack, who))), "scope": option("investigate"),
        "until": datepicker(until), "why": text_input(f"To interview the plant staff {CANARY}-why")})
    return await answer.json()


async def test_an_adviser_designated_in_slack_investigates_and_opens_nothing_else(slack):
    today = slack.candor.core.today()
    until = (today + timedelta(days=90)).isoformat()
    report, secret = await anonymous_report(slack)
    other, _ = await anonymous_report(slack)

    # Given Alex opens the case: the Designate form offers the designees, the 90 days filled in
    window = await open_case(slack, "U0ALEX", report)
    await slack.click("U0ALEX", button(window, "Designate"), view="modal")
    form = (await slack.until(lambda: slack.api.called("views.push")))[0].args["view"]
    blocks = {b.get("block_id"): b for b in form["blocks"]}
    assert [o["text"]["text"] for o in blocks["person"]["element"]["options"]] == [
        "Casey Moss (forensic accountant)", "Robin Vale (outside counsel)"]
    assert blocks["until"]["element"].get("initial_date") == until

    # When he designates Robin
    done = await designate(slack, report, until=until)
    assert done["response_action"] == "update"
    assert f"Robin Vale is designated on case {report.code} until {until}" in json.dumps(done)
    [row] = designations(slack)
    assert CANARY.encode() not in row.body

    # Then the channel is told who designated what kind of person, without content or name
    notice = f"Case {report.code}: Alex Kim designated an investigator (outside counsel) until {until}"
    [post] = await slack.until(lambda: [c for c in to(slack, COMMITTEE) if notice in json.dumps(c.args)])
    assert "Robin" not in json.dumps(post.args) and CANARY not in json.dumps(post.args)
    # And Robin gets a direct message saying only that, with a button that opens the case
    [dm] = await slack.until(lambda: to(slack, "DU0ROBIN"))
    assert f"The Audit Committee designated you on case {report.code}" in json.dumps(dm.args)
    assert CANARY not in json.dumps(dm.args) and "Alex" not in json.dumps(dm.args)
    assert [b["value"] for b in buttons(dm.args)] == [f"case:view:{report.id}"]

    # When Robin opens it from that message: the case, privately, audited; he may ask and add notes, nothing more
    window = await open_case(slack, "U0ROBIN", report, channel="DU0ROBIN")
    assert f"{CANARY}-what" in json.dumps(window)
    assert [b["text"]["text"] for b in buttons(window)] == ["Ask the reporter", "Add note"]
    robin = person_id(slack, "robin@counsel.example")
    assert audited(slack, "case.opened")[-1].actor == f"person:{robin}"
    # and asks the anonymous reporter a question
    pushed = len(slack.api.called("views.push"))
    await slack.click("U0ROBIN", button(window, "Ask the reporter"), view="modal")
    ask = (await slack.until(lambda: slack.api.called("views.push")[pushed:]))[0].args["view"]
    asked = await slack.submit("U0ROBIN", ask["callback_id"],
                               {"question": text_input(f"Who signed off the counts? {CANARY}-q")})
    assert asked.status == 200 and audited(slack, "case.question")

    # Then the reporter reads it as the investigator's, with code and secret, and answers
    opened = len(slack.api.called("views.open"))
    await slack.command("U0CFO", "/ethics", f"status {report.code} {secret}")
    status = (await slack.until(lambda: slack.api.called("views.open")[opened:]))[0].args["view"]
    assert "The Audit Committee's investigator asks" in json.dumps(status)
    assert f"{CANARY}-q" in json.dumps(status) and "Robin" not in json.dumps(status)
    pushed = len(slack.api.called("views.push"))
    await slack.click("U0CFO", buttons(status)[0]["value"], view="modal")
    answer_form = (await slack.until(lambda: slack.api.called("views.push")[pushed:]))[0].args["view"]
    answered = await slack.submit("U0CFO", answer_form["callback_id"],
                                  {"answer": text_input(f"The plant controller {CANARY}-a")})
    assert "is recorded" in json.dumps(await answered.json())

    # And Robin hears there is news (no content), and reads the answer; so does a member
    news = await slack.until(lambda: [c for c in to(slack, "DU0ROBIN")
                                      if f"There is news on case {report.code}" in json.dumps(c.args)])
    assert CANARY not in json.dumps(news[0].args)
    assert f"{CANARY}-a" in json.dumps(await open_case(slack, "U0ROBIN", report, channel="DU0ROBIN"))
    assert f"{CANARY}-a" in json.dumps(await open_case(slack, "U0LEE", report))

    # His home and case list hold his one case
    await slack.event({"type": "app_home_opened", "user": "U0ROBIN", "channel": "DU0ROBIN",
                       "tab": "home", "event_ts": "1.5"})
    [home] = await slack.until(lambda: slack.api.called("views.publish"))
    assert report.code in json.dumps(home.args) and other.code not in json.dumps(home.args)
    assert CANARY not in json.dumps(home.args) and "Attestation roll" not in json.dumps(home.args)
    responses = len(slack.api.called("response_url"))
    await slack.command("U0ROBIN", "/ethics", "cases")
    listed = await slack.until(lambda: slack.api.called("views.open")[-1]
                               if "My designated cases" in json.dumps(slack.api.called("views.open")[-1].args)
                               else None)
    assert report.code in json.dumps(listed.args) and other.code not in json.dumps(listed.args)
    assert len(slack.api.called("response_url")) == responses

    # But he opens nothing else: another case, the waiver register, the waiver form, attestation
    before = len(audited(slack, "case.refused"))
    await refused(slack, "U0ROBIN", lambda: slack.click("U0ROBIN", f"case:view:{other.id}", channel="DU0ROBIN"))
    await refused(slack, "U0ROBIN", lambda: slack.command("U0ROBIN", "/ethics", f"open {other.code}"))
    for args in ("waivers", "waiver", "report", "status"):
        await refused(slack, "U0ROBIN", lambda a=args: slack.command("U0ROBIN", "/ethics", a), NOT_FOR_DESIGNEES)
    await refused(slack, "U0ROBIN", lambda: slack.command("U0ROBIN", "/attest", ""), NOT_FOR_DESIGNEES)
    # And a forged button value (a member's, on his own case) changes nothing
    for value in (f"case:designate:{report.id}", f"case:move:{report.id}:closed",
                  f"case:determine:{report.id}", f"case:exclude:{report.id}", f"case:hold:{report.id}",
                  f"designation:end:{row.id}", f"designation:renew:{row.id}", f"case:ask:{other.id}"):
        await refused(slack, "U0ROBIN", lambda v=value: slack.click("U0ROBIN", v, view="modal"))
    forged = await slack.submit("U0ROBIN", f"enddesignation:{row.id}", {"why": text_input("forged")})
    assert OUTSIDER in json.dumps(await forged.json())
    forged = await slack.submit("U0ROBIN", f"move:{report.id}:closed", {"reason": text_input("forged")})
    assert OUTSIDER in json.dumps(await forged.json())
    assert len(audited(slack, "case.refused")) >= before + 11
    [row] = designations(slack)
    assert row.ended_at is None and slack.reports()[0].status is not CaseStatus.CLOSED
    assert all(r.status is CaseStatus.ACKNOWLEDGED for r in slack.reports())

    # When Alex ends the designation from the case's window
    window = await open_case(slack, "U0ALEX", report)
    pushed = len(slack.api.called("views.push"))
    await slack.click("U0ALEX", button(window, "End designation: Robin Vale"), view="modal")
    end = (await slack.until(lambda: slack.api.called("views.push")[pushed:]))[0].args["view"]
    ended = await slack.submit("U0ALEX", end["callback_id"], {"why": text_input(f"Interviews done {CANARY}-end")})
    assert "has ended" in json.dumps(await ended.json())

    # Then Robin is told (no content) and the case opens for him no more, from any button
    await slack.until(lambda: [c for c in to(slack, "DU0ROBIN")
                               if f"Your designation on case {report.code} has ended" in json.dumps(c.args)])
    await refused(slack, "U0ROBIN", lambda: slack.click("U0ROBIN", f"case:view:{report.id}", channel="DU0ROBIN"))
    await refused(slack, "U0ROBIN", lambda: slack.command("U0ROBIN", "/ethics", f"open {report.code}"))
    asked_before = len(audited(slack, "case.question"))
    late = await slack.submit("U0ROBIN", f"ask:{report.id}", {"question": text_input("One more")})
    assert OUTSIDER in json.dumps(await late.json())
    assert len(audited(slack, "case.question")) == asked_before
    # And nothing of the case reached any chat or channel (those keep their history)
    posted = json.dumps([c.args for c in slack.api.calls
                         if c.method in {"chat.postMessage", "chat.update", "chat.postEphemeral"}])
    assert CANARY not in posted


@pytest.mark.parametrize("how", ["expiry", "close"])
async def test_after_its_date_passes_or_the_case_closes_nothing_opens_for_the_adviser(slack, how):
    today = slack.candor.core.today()
    report, _ = await anonymous_report(slack)
    await designate(slack, report, until=(today + timedelta(days=10)).isoformat())
    await slack.until(lambda: to(slack, "DU0ROBIN"))
    assert f"{CANARY}-what" in json.dumps(await open_case(slack, "U0ROBIN", report, channel="DU0ROBIN"))

    if how == "expiry":
        # Eleven days later, by the clock the service reads, before the sweep runs: nothing opens
        later = slack.candor.core.now() + timedelta(days=11)
        slack.candor.core.now = lambda: later
        await refused(slack, "U0ROBIN", lambda: slack.click("U0ROBIN", f"case:view:{report.id}",
                                                            channel="DU0ROBIN"))
        # and the sweep at that moment ends it
        Sweeper(slack.candor.db, slack.candor.core, slack.candor.core.schedule).run(later)
    else:
        window = await open_case(slack, "U0LEE", report)
        pushed = len(slack.api.called("views.push"))
        await slack.click("U0LEE", button(window, "Move to: Closed"), view="modal")
        close = (await slack.until(lambda: slack.api.called("views.push")[pushed:]))[0].args["view"]
        await slack.submit("U0LEE", close["callback_id"], {"reason": text_input("Resolved")})

    [row] = designations(slack)
    assert row.ended_at is not None and row.end_reason == {"expiry": "expired", "close": "case_closed"}[how]
    await slack.until(lambda: [c for c in to(slack, "DU0ROBIN")
                               if f"Your designation on case {report.code} has ended" in json.dumps(c.args)])
    await refused(slack, "U0ROBIN", lambda: slack.click("U0ROBIN", f"case:view:{report.id}", channel="DU0ROBIN"))
    opened = len(slack.api.called("views.open"))
    await slack.command("U0ROBIN", "/ethics", "cases")
    listed = await slack.until(lambda: slack.api.called("views.open")[opened:])
    assert "not designated on any case" in json.dumps(listed[0].args)


async def test_an_adviser_the_reporter_kept_away_is_not_offered_nor_designated_by_a_forged_choice(slack):
    report, _ = await anonymous_report(slack, keep_away="Robin Vale (outside counsel, may be designated)")

    # The Designate form offers only Casey
    window = await open_case(slack, "U0ALEX", report)
    await slack.click("U0ALEX", button(window, "Designate"), view="modal")
    form = (await slack.until(lambda: slack.api.called("views.push")))[0].args["view"]
    [person] = [b for b in form["blocks"] if b.get("block_id") == "person"]
    assert [o["text"]["text"] for o in person["element"]["options"]] == ["Casey Moss (forensic accountant)"]

    # A submission naming Robin anyway is refused beside the field, recorded nowhere but the audit
    answer = await designate(slack, report, until=(slack.candor.core.today() + timedelta(days=30)).isoformat())
    assert answer["response_action"] == "errors" and "kept away" in answer["errors"]["person"]
    assert designations(slack) == []
    assert [e for e in audited(slack, "designation.refused") if "kept_away" in e.detail]
    assert not to(slack, "DU0ROBIN")
    assert not [c for c in to(slack, COMMITTEE) if "designated" in json.dumps(c.args)]
    # And Robin cannot open it
    await refused(slack, "U0ROBIN", lambda: slack.click("U0ROBIN", f"case:view:{report.id}", channel="DU0ROBIN"))
