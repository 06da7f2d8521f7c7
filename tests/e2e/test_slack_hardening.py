"""Candor in Slack against payloads that try to steer it: a reply goes only to the acting person's
own DM, and a receipt whose acknowledgement was lost is shown again on a repeat submit; work
acknowledged to Slack that fails is told to the person, and a stopping server finishes it."""

from __future__ import annotations

import asyncio
import json
import logging
import threading

import pytest
from sqlmodel import select

from adapters.slack.app import SlackBridge
from bot.wording import refusals
from tests.e2e.slack_harness import COMMITTEE, radio, start, text_input
from tests.e2e.slack_harness import option as choose
from tests.support.slack_stand_in import SlackStandIn

CANARY = "CANARY-h4rden"


@pytest.mark.parametrize("named", [COMMITTEE, "DU0ALEX"])
async def test_a_dm_naming_another_channel_is_answered_in_the_senders_own_dm(slack, named):
    # Given a DM event from Dana whose payload names the committee's channel (or Alex's DM)
    slack.counter += 1
    response = await slack.event({"type": "message", "channel": named, "user": "U0CFO", "text": "help",
                                  "ts": "1700000100.000001", "channel_type": "im"})
    assert response.status == 200
    # When Candor answers, Then the answer goes to the DM Slack opens for Dana, and nowhere else
    posts = await slack.until(lambda: slack.api.called("chat.postMessage"))
    assert [p.args["channel"] for p in posts] == ["DU0CFO"]
    assert [c.args["users"] for c in slack.api.called("conversations.open")] == ["U0CFO"]
    assert named not in slack.api.history


async def test_the_dm_channel_is_opened_once_per_person(slack):
    for text in ("help", "help", "help"):
        await slack.say("U0CFO", text)
    assert len(slack.api.called("conversations.open")) == 1
    assert {p.args["channel"] for p in slack.api.called("chat.postMessage")} == {"DU0CFO"}


def _receipt(answer: dict) -> str:
    return json.dumps(answer["view"])


async def test_an_anonymous_receipt_whose_acknowledgement_was_lost_is_shown_again_on_a_repeat_submit(slack):
    # Given Dana's report form, opened from /ethics report
    await slack.command("U0CFO", "/ethics", "report")
    opened = await slack.until(lambda: slack.api.called("views.open"))
    callback_id = opened[0].args["view"]["callback_id"]
    values = {"category": choose("fraud"), "what": text_input("Invoices split to stay under approval limits"),
              "anonymous": radio("yes")}
    # When she submits and the acknowledgement (which carries the receipt) never reaches Slack
    lost = await (await slack.submit("U0CFO", callback_id, values)).json()
    code = slack.reports()[0].code
    # Then submitting the same form again shows the same receipt, secret included, and files nothing
    again = await (await slack.submit("U0CFO", callback_id, values)).json()
    assert again["response_action"] == "update"
    assert "Your secret" in _receipt(again) and code in _receipt(again)
    assert _receipt(again) == _receipt(lost)
    assert len(slack.reports()) == 1
    # and the secret it shows opens the case
    secret = next(part for part in _receipt(again).replace("*", " ").replace("`", " ").split()
                  if part.count("-") >= 2 and part.replace("-", "").isalnum() and part != code)
    await slack.command("U0CFO", "/ethics", f"status {code} {secret}")
    status = await slack.until(lambda: [c for c in slack.api.called("views.open") if f"Case {code}" in str(c)])
    assert status


async def test_someone_else_holding_the_forms_token_gets_no_receipt(slack):
    # Given Dana's anonymous report, filed through her /ethics report form
    await slack.command("U0CFO", "/ethics", "report")
    opened = await slack.until(lambda: slack.api.called("views.open"))
    callback_id = opened[0].args["view"]["callback_id"]  # carries the form's one-time token
    values = {"category": choose("fraud"), "what": text_input("Invoices split to stay under approval limits"),
              "anonymous": radio("yes")}
    await slack.submit("U0CFO", callback_id, values)
    (report,) = slack.reports()
    # When Sam, who saw the token within the fifteen minutes, submits a form with it
    slack.api.emails["U0SAM"] = "sam@example.com"
    theirs = _receipt(await (await slack.submit("U0SAM", callback_id, values)).json())
    # Then he is told it was submitted, and sees neither Dana's case code nor her secret
    assert "already submitted" in theirs
    assert report.code not in theirs and "Your secret" not in theirs
    assert len(slack.reports()) == 1
    # while Dana, submitting again, still gets her receipt
    again = _receipt(await (await slack.submit("U0CFO", callback_id, values)).json())
    assert "Your secret" in again and report.code in again


async def test_a_receipt_is_no_longer_shown_once_the_sweep_has_shredded_it(slack):
    await slack.command("U0CFO", "/ethics", "report")
    opened = await slack.until(lambda: slack.api.called("views.open"))
    callback_id = opened[0].args["view"]["callback_id"]
    values = {"category": choose("fraud"), "what": text_input("Invoices split"), "anonymous": radio("yes")}
    await slack.submit("U0CFO", callback_id, values)
    # When the sweep runs more than fifteen minutes later
    from datetime import timedelta

    from bot import housekeeping
    from storage.models import DataKey, FormReceipt

    later = slack.candor.core.now() + timedelta(minutes=16)
    slack.candor.core.now = lambda: later
    with slack.candor.db.write() as session:
        counts = housekeeping.db_sweep(session, slack.candor.core, now=later)
    assert counts["receipts_shredded"] == 1
    with slack.candor.db.read() as session:
        assert session.exec(select(FormReceipt)).all() == []
        assert session.exec(select(DataKey).where(DataKey.record_kind == "form_receipt")).all() == []
    # Then a repeat submit says it was filed, without the secret
    again = await (await slack.submit("U0CFO", callback_id, values)).json()
    assert "already submitted" in _receipt(again) and "Your secret" not in _receipt(again)
    assert len(slack.reports()) == 1


async def test_an_oversized_request_gets_a_clear_answer_and_changes_nothing(slack):
    # Given a signed DM event of more than the server's 1 MiB, a report pasted into it
    pad = "Invoices split to stay under approval limits. " * 24_000
    response = await slack.dm("U0CFO", pad)
    # Then the server refuses it as too large, and Candor neither answers nor records anything
    assert response.status == 413
    assert "large" in (response.reason or "").lower() and await response.text()
    assert slack.api.called("chat.postMessage") == [] and slack.reports() == []
    # and it stays up: the next message is answered
    await slack.say("U0CFO", "help")
    assert slack.api.called("chat.postMessage")


async def test_work_failing_after_the_acknowledgement_is_told_to_the_person_and_logged_by_type(
        slack, monkeypatch, caplog):
    # Given the core failing, with a message that carries what the officer typed
    def broken(turn):
        raise RuntimeError(f"could not file {CANARY}")

    monkeypatch.setattr(slack.candor.service, "attempt", broken)
    caplog.set_level(logging.DEBUG)
    # When Dana writes to the bot, and when Lee types a command
    assert (await slack.dm("U0CFO", f"Revenue is booked early {CANARY}")).status == 200
    assert (await slack.command("U0LEE", "/ethics", "cases")).status == 200
    # Then Slack had its answer at once, and each of them is told, in their own DM, that it
    # went wrong and nothing was recorded
    posts = await slack.until(lambda: len(slack.api.called("chat.postMessage")) >= 2
                              and slack.api.called("chat.postMessage"))
    assert sorted(p.args["channel"] for p in posts) == ["DU0CFO", "DU0LEE"]
    assert all(p.args["text"] == refusals.INTERNAL_ERROR for p in posts)
    # and the log names the failure by its type only
    assert caplog.text.count("Slack listener failed: RuntimeError") == 2
    assert CANARY not in caplog.text and CANARY not in str(slack.api.history)


async def test_a_failure_to_tell_the_person_is_logged_by_type_and_nothing_escapes(
        slack, monkeypatch, caplog):
    # Given the core failing, and the DM that would say so failing too, each with a message that
    # quotes what the officer typed
    def broken(turn):
        raise RuntimeError(f"could not file {CANARY}")

    async def unreachable(self, user, replies):
        raise ConnectionError(f"no route for {CANARY}")

    monkeypatch.setattr(slack.candor.service, "attempt", broken)
    monkeypatch.setattr(SlackBridge, "dm", unreachable)
    caplog.set_level(logging.DEBUG)
    # When Dana writes to the bot
    assert (await slack.dm("U0CFO", f"Revenue is booked early {CANARY}")).status == 200
    await slack.until(lambda: "could not tell the user" in caplog.text)
    await asyncio.sleep(0.1)
    # Then both failures are logged by their type, and nothing else is (no traceback of an
    # unhandled task, which would carry the messages)
    assert "Slack listener failed: RuntimeError" in caplog.text
    assert "could not tell the user about the failure: ConnectionError" in caplog.text
    assert CANARY not in caplog.text and "never retrieved" not in caplog.text


@pytest.mark.parametrize("kind", ["message", "command"])
async def test_a_stopping_server_finishes_the_work_it_acknowledged_to_slack(tmp_path, monkeypatch,
                                                                           kind):
    async with SlackStandIn() as api:
        harness, runner = await start(tmp_path, api, monkeypatch)
        gate = threading.Event()
        stopping = None
        try:
            answer = harness.candor.service.attempt

            def slow(turn):
                gate.wait(10)
                return answer(turn)

            monkeypatch.setattr(harness.candor.service, "attempt", slow)
            # Given Dana's message (or Lee's command), acknowledged to Slack while its answer is
            # still being worked out
            if kind == "message":
                response, answered = await harness.dm("U0CFO", "help"), "chat.postMessage"
            else:
                response, answered = (await harness.command("U0LEE", "/ethics", "help"),
                                      "response_url")
            assert response.status == 200 and api.called(answered) == []
            # When the server is told to stop meanwhile
            stopping = asyncio.create_task(runner.cleanup())
            await asyncio.sleep(0.3)
            assert not stopping.done()
            gate.set()
            await stopping
            # Then it stopped only after the answer was given
            assert len(api.called(answered)) == 1
            if kind == "message":
                assert api.called(answered)[0].args["channel"] == "DU0CFO"
        finally:
            gate.set()
            if stopping is None:
                await runner.cleanup()
            await harness.http.close()
            harness.candor.close()
