"""Candor in Slack, end to end: signed requests in, Web API calls out, nothing confidential in
the channel, nothing twice, nothing lost."""

from __future__ import annotations

import json
import time

import pytest
from sqlmodel import select

from bot.sanitize import neutralise
from storage.models import AuditEvent, OutboxMessage
from storage.vocabulary import CaseStatus, OutboxState
from tests.e2e.slack_harness import COMMITTEE, radio, running, text_input
from tests.e2e.slack_harness import option as choose
from tests.support.slack_stand_in import SlackStandIn

CANARY = "CANARY-s1ack"


@pytest.fixture
async def slack(tmp_path, monkeypatch):
    async with SlackStandIn(emails={"U0SAM": "sam@example.com"}) as api:
        async with running(tmp_path, api, monkeypatch) as harness:
            yield harness
        # Whatever the test did, Candor never sent Slack something it would refuse.
        assert api.invalid == [], "\n".join(f"{why}: {str(call)[:300]}" for call, why in api.invalid)


def channel_posts(slack):
    return [c for c in slack.api.called("chat.postMessage") if c.args.get("channel") == COMMITTEE]


async def type_here(slack, user: str = "U0CFO") -> None:
    """`report` in the Messages tab, then the choice to type it there despite the warning."""
    before = len(slack.api.called("chat.postMessage"))
    await slack.dm(user, "report")
    await slack.until(lambda: len(slack.api.called("chat.postMessage")) >= before + 2)
    await slack.click(user, "chatreport:start", channel=f"D{user}")
    await slack.until(lambda: len(slack.api.called("chat.postMessage")) >= before + 4)


async def dm_report(slack, user: str = "U0CFO", what: str = f"Revenue is booked before delivery {CANARY}-what") -> None:
    """A named report typed in the Messages tab; the receipt comes privately (ephemeral)."""
    await type_here(slack, user)
    for text in ["3", what, f"{CANARY}-who", "done", "skip", "skip", "skip", "named"]:
        await slack.say(user, text)
    receipts = len(slack.api.called("chat.postEphemeral"))
    await slack.dm(user, "submit")
    await slack.until(lambda: len(slack.api.called("chat.postEphemeral")) > receipts)


def section_texts(view: dict) -> list[str]:
    return [b["text"]["text"] for b in view["blocks"] if b["type"] == "section" and "text" in b]


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


async def test_url_verification_answers_the_challenge(slack):
    body = json.dumps({"token": "legacy", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                       "type": "url_verification"})
    response = await slack.post(body, "application/json")
    assert response.status == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in await response.text()


async def test_a_dm_report_creates_one_sealed_report_and_one_clean_channel_notice(slack):
    await dm_report(slack)

    reports = await slack.until(slack.reports)
    assert len(reports) == 1 and CANARY.encode() not in reports[0].body
    # The receipt is shown to the reporter only (ephemeral), never posted into the chat
    receipt = await slack.until(lambda: [c for c in slack.api.called("chat.postEphemeral")
                                         if "recorded, encrypted" in str(c)])
    assert receipt[0].args["channel"] == "DU0CFO" and receipt[0].args["user"] == "U0CFO"
    assert "recorded, encrypted" not in str(slack.api.called("chat.postMessage"))
    posts = await slack.until(lambda: channel_posts(slack))
    assert len(posts) == 1 and reports[0].code in str(posts[0]) and CANARY not in str(posts[0])
    assert "Dana" not in str(posts[0])


async def test_web_api_calls_reuse_kept_alive_connections(slack):
    await dm_report(slack)
    await slack.until(lambda: channel_posts(slack))

    calls = len(slack.api.calls)
    assert calls >= 10
    # slack_sdk alone opens a connection per call (with Slack: a TLS handshake each time).
    assert len(slack.api.connections) <= calls // 3, (len(slack.api.connections), calls)


async def test_a_modal_report_opens_a_form_and_shows_the_receipt_in_the_modal(slack):
    response = await slack.command("U0CFO", "/ethics", "report")
    assert response.status == 200
    opened = await slack.until(lambda: slack.api.called("views.open"))
    assert opened[0].args["view"]["callback_id"].startswith("intake:")

    response = await slack.submit("U0CFO", "intake", {
        "category": choose("control_deficiency"),
        "what": text_input(f"Cash reconciliations are never reviewed {CANARY}"),
        "anonymous": radio("yes"),
    })
    answer = await response.json()
    assert answer["response_action"] == "update"
    assert "Your secret" in json.dumps(answer["view"])
    reports = slack.reports()
    assert len(reports) == 1 and reports[0].anonymous and reports[0].reporter_tag is None
    posts = await slack.until(lambda: channel_posts(slack))
    assert len(posts) == 1 and CANARY not in str(posts[0])
    # The secret was shown in the modal only: no message carries it.
    assert "Your secret" not in str(slack.api.called("chat.postMessage"))


async def test_modal_validation_errors_come_back_as_field_errors(slack):
    response = await slack.submit("U0CFO", "intake", {"category": choose("fraud"), "what": text_input("x" * 4500),
                                                       "anonymous": radio("no")})
    answer = await response.json()
    assert answer["response_action"] == "errors" and "what" in answer["errors"]
    assert slack.reports() == []


async def test_acknowledging_updates_the_same_channel_message(slack):
    await dm_report(slack)
    await slack.until(lambda: channel_posts(slack))
    report = slack.reports()[0]

    await slack.click("U0LEE", f"case:ack:{report.id}")

    updates = await slack.until(lambda: slack.api.called("chat.update"))
    with slack.candor.db.read() as session:
        alert = session.exec(select(OutboxMessage).where(OutboxMessage.platform_message_id.is_not(None))).first()
    # The edit targets the very message the alert was posted as (the ts Slack gave back).
    assert updates[0].args["channel"] == COMMITTEE and updates[0].args["ts"] == alert.platform_message_id
    assert [m["ts"] for m in slack.api.history[COMMITTEE]] == [alert.platform_message_id]
    assert "Lee Park" in str(updates[0]) and CANARY not in str(updates[0])
    assert slack.reports()[0].status is CaseStatus.ACKNOWLEDGED


async def test_view_details_opens_a_modal_for_a_member_and_refuses_an_outsider(slack):
    await dm_report(slack)
    report = slack.reports()[0]

    await slack.click("U0ALEX", f"case:view:{report.id}")
    views = await slack.until(lambda: slack.api.called("views.open"))
    assert f"{CANARY}-what" in str(views[0])

    await slack.click("U0CFO", f"case:view:{report.id}")  # an officer, not on the committee
    refusal = await slack.until(lambda: [c for c in slack.api.called("chat.postEphemeral")
                                         if "recorded, encrypted" not in str(c)])
    assert refusal[0].args["user"] == "U0CFO" and CANARY not in str(refusal[0])
    assert len(slack.api.called("views.open")) == 1
    with slack.candor.db.read() as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "case.refused")).first()


async def test_a_bad_signature_or_an_old_timestamp_gets_401_and_changes_nothing(slack):
    body = json.dumps({"type": "event_callback", "team_id": "T0TEST", "event_id": "EvBAD",
                       "event": {"type": "message", "channel": "DU0CFO", "user": "U0CFO", "text": "report",
                                 "channel_type": "im", "ts": "1.1"}})
    assert (await slack.post(body, "application/json", secret="wrong")).status == 401
    assert (await slack.post(body, "application/json", timestamp=int(time.time()) - 6 * 60)).status == 401
    await slack.dm("U0CFO", "report", timestamp=int(time.time()) - 6 * 60)
    assert slack.api.called("chat.postMessage") == []
    with slack.candor.db.read() as session:
        actions = set(session.exec(select(AuditEvent.action)).all())
    assert actions == {"roster.imported"}


async def test_a_retried_event_creates_nothing_twice(slack):
    await type_here(slack)
    for text in ["3", f"Revenue is booked before delivery {CANARY}", "skip", "done", "skip", "skip",
                 "skip", "named"]:
        await slack.say("U0CFO", text)
    event = {"type": "message", "channel": "DU0CFO", "user": "U0CFO", "text": "submit", "ts": "1700000999.1",
             "channel_type": "im"}
    await slack.event(event, event_id="EvSUBMIT")
    await slack.event(event, event_id="EvSUBMIT", headers={"X-Slack-Retry-Num": "1",
                                                          "X-Slack-Retry-Reason": "http_timeout"})
    await slack.until(lambda: channel_posts(slack))
    assert len(slack.reports()) == 1
    assert len([c for c in slack.api.called("chat.postEphemeral") if "recorded, encrypted" in str(c)]) == 1


async def test_bot_messages_edits_and_deletions_are_ignored(slack):
    await slack.event({"type": "message", "subtype": "message_changed", "channel": "DU0CFO", "channel_type": "im",
                       "message": {"text": "report", "user": "U0CFO"}, "ts": "1.2"})
    await slack.event({"type": "message", "channel": "DU0CFO", "user": "U0BOT", "bot_id": "B0BOT", "text": "report",
                       "channel_type": "im", "ts": "1.3"})
    await slack.event({"type": "message", "subtype": "message_deleted", "channel": "DU0CFO", "channel_type": "im",
                       "ts": "1.4"})
    await slack.dm("U0CFO", "hello")  # a real message after them is answered
    await slack.until(lambda: slack.api.called("chat.postMessage"))
    assert len(slack.api.called("chat.postMessage")) == 1


async def test_an_unknown_slack_user_is_matched_by_email_once(slack):
    await slack.dm("U0SAM", "hello")
    await slack.until(lambda: slack.api.called("chat.postMessage"))
    assert len(slack.api.called("users.info")) == 1
    await slack.dm("U0SAM", "hello")
    await slack.until(lambda: len(slack.api.called("chat.postMessage")) >= 2)
    assert len(slack.api.called("users.info")) == 1  # the match was stored
    assert "can't find you" not in str(slack.api.called("chat.postMessage"))


async def test_app_home_shows_the_committee_its_open_cases(slack):
    await dm_report(slack)
    report = slack.reports()[0]
    await slack.event({"type": "app_home_opened", "user": "U0LEE", "channel": "DU0LEE", "tab": "home",
                       "event_ts": "1.5"})
    published = await slack.until(lambda: slack.api.called("views.publish"))
    assert report.code in str(published[0]) and CANARY not in str(published[0])
    assert "Attestation roll" in str(published[0])


async def test_attest_opens_a_modal_with_the_code_and_records_the_attestation(slack):
    await slack.command("U0CFO", "/attest", "")
    opened = await slack.until(lambda: slack.api.called("views.open"))
    assert "SUPPLEMENTAL CODE OF ETHICS" in str(opened[0])
    response = await slack.submit("U0CFO", "attest", {
        "read_understood": radio("yes"), "complied": radio("yes"), "no_conflict": radio("yes"),
        "no_unreported": radio("yes"),
    })
    answer = await response.json()
    assert "is recorded" in json.dumps(answer)


async def test_a_429_storm_delays_but_loses_no_notice(slack):
    slack.api.fail_next("chat.postMessage", status=429, retry_after=1, times=4)
    await slack.command("U0CFO", "/ethics", "report")
    await slack.until(lambda: slack.api.called("views.open"))
    await slack.submit("U0CFO", "intake", {"category": choose("fraud"), "what": text_input(f"Bribes paid {CANARY}"),
                                           "anonymous": radio("yes")})
    await slack.until(lambda: channel_posts(slack), timeout=60)

    def delivered() -> list[OutboxMessage]:
        # The post reaching Slack comes before the relay records it: wait for the record itself.
        with slack.candor.db.read() as session:
            rows = list(session.exec(select(OutboxMessage)).all())
        return rows if rows and all(r.state is OutboxState.DELIVERED for r in rows) else []

    (row,) = await slack.until(delivered)
    assert len(channel_posts(slack)) == 1 and len(slack.api.failed) == 4
    assert row.attempts == 5 and row.platform_message_id


async def test_a_long_report_with_ampersands_opens_whole_in_a_view_slack_accepts(slack):
    # Given a narrative near the 4000-character limit, full of characters Slack escapes
    what = ("Q3 P&L restated <again> after the M&A close; R&D costs moved to capex. " * 56)[:3990].strip()
    await dm_report(slack, what=what)
    report = slack.reports()[0]

    # When a member opens it
    await slack.click("U0ALEX", f"case:view:{report.id}")
    view = (await slack.until(lambda: slack.api.called("views.open")))[0].args["view"]

    # Then every section is within Slack's limit (the fixture checks every call) and, joined
    # back, the sections hold the whole narrative (angle brackets made inert, nothing cut)
    assert neutralise(what) in "".join(unescape(t) for t in section_texts(view))


async def test_app_home_buttons_open_a_window_and_buttons_in_a_modal_stack_on_it(slack):
    await slack.click("U0CFO", "menu:attest", view="home")
    opened = await slack.until(lambda: slack.api.called("views.open"))
    assert opened[0].args["view"]["callback_id"].startswith("attest:") and slack.api.called("views.push") == []

    await dm_report(slack)
    report = slack.reports()[0]
    await slack.click("U0LEE", f"case:ask:{report.id}", view="modal")
    pushed = await slack.until(lambda: slack.api.called("views.push"))
    assert pushed[0].args["view"]["callback_id"] == f"ask:{report.id}"


async def test_a_form_asked_for_in_the_messages_tab_opens_from_a_button(slack):
    await slack.say("U0CFO", "attest")
    offer = slack.api.called("chat.postMessage")[-1]
    buttons = [e for b in offer.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons] == ["Open the form"]

    await slack.click("U0CFO", buttons[0]["value"], channel="DU0CFO")
    opened = await slack.until(lambda: slack.api.called("views.open"))
    assert opened[0].args["view"]["callback_id"].startswith("attest:")
    assert "SUPPLEMENTAL CODE OF ETHICS" in str(opened[0])


async def test_a_click_from_someone_off_the_roster_is_refused_and_audited(slack):
    await dm_report(slack)
    report = slack.reports()[0]

    await slack.click("U0ZED", f"case:view:{report.id}")

    refusal = await slack.until(lambda: [c for c in slack.api.called("chat.postEphemeral")
                                         if c.args["user"] == "U0ZED"])
    assert "can't find you" in str(refusal[0])
    assert slack.api.called("views.open") == []
    with slack.candor.db.read() as session:
        refused = session.exec(select(AuditEvent).where(AuditEvent.action == "case.refused")).one()
    assert refused.record_id == report.id and refused.actor == "outsider:slack:U0ZED"


async def test_a_blank_question_comes_back_as_a_field_error(slack):
    await dm_report(slack)
    report = slack.reports()[0]

    response = await slack.submit("U0LEE", f"ask:{report.id}", {"question": text_input("   ")})

    answer = await response.json()
    assert answer["response_action"] == "errors" and "question" in answer["errors"]
    with slack.candor.db.read() as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "case.question")).all() == []


async def test_an_answer_to_a_click_in_a_window_opens_in_a_window_not_in_the_dm(slack):
    # A button clicked inside a modal (a case's details, a reporter's status view) is answered in
    # a window on top of it: a DM would keep the answer (a case code, "your name is now shown")
    # in the chat's history.
    await dm_report(slack)
    [report] = await slack.until(slack.reports)
    dms = len([c for c in slack.api.called("chat.postMessage") if c.args.get("channel") == "DU0LEE"])
    assert (await slack.click("U0LEE", f"case:ack:{report.id}", view="modal")).status == 200
    pushed = await slack.until(lambda: [c for c in slack.api.called("views.push") if report.code in str(c.args)])
    assert "acknowledged" in str(pushed[0].args["view"]).lower()
    assert len([c for c in slack.api.called("chat.postMessage") if c.args.get("channel") == "DU0LEE"]) == dms
