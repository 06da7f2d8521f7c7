"""Candor in Microsoft Teams, end to end: the Microsoft 365 Agents SDK's real CloudAdapter and
AgentApplication on Candor's aiohttp server, Activities shaped like Teams' own, and a Connector
stand-in at their serviceUrl.

Most tests run in local mode (CANDOR_TEAMS_LOCAL=true). Those with an app id run the whole of the
SDK's token validation: inbound tokens are signed by a stand-in token issuer on loopback (the one
thing replaced: where the public keys are fetched from), and only the outbound token fetch from
Microsoft Entra (MSAL) is patched to answer a fixed token."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from typing import Any

import pytest
from sqlmodel import select

from adapters.settings import Settings
from storage import references
from storage.models import AuditEvent, Conversation, ConversationRef, Report
from storage.vocabulary import CaseStatus, Category
from tests.e2e.teams_harness import (
    ACCESS_TOKEN,
    APP_ID,
    BOT,
    CHANNEL,
    TEAMS_ENV,
    TENANT,
    Teams,
    check_in_dialog,
    free_port,
    ids,
    report_by_dialog,
    secret_in,
    start,
    stop,
)
from tests.support.connector_stand_in import ChannelKeys, ConnectorStandIn

CANARY = "CANARY-t3ams"


@pytest.fixture
async def teams(tmp_path, monkeypatch):
    harness, runner = await start(tmp_path, monkeypatch)
    try:
        yield harness
    finally:
        await stop(harness, runner)


async def report_by_chat(teams: Teams) -> Report:
    await teams.start_chat_report("aad-dana")
    for text in ["3", f"Revenue is recognised before delivery {CANARY}-what", f"{CANARY}-who",
                 "done", "skip", "skip", "skip", "named", "submit"]:
        await teams.say("aad-dana", text)
    return (await teams.until(teams.reports))[0]


async def test_a_personal_chat_report_creates_one_sealed_report_and_one_clean_channel_card(teams):
    await teams.add_to_team()
    report = await report_by_chat(teams)

    assert CANARY.encode() not in report.body
    # The receipt is not in the chat: a card there opens it in a dialog, once
    posts = teams.connector.posts("a:personal-aad-dana")
    assert not any("recorded, encrypted" in str(s) or report.code in str(s) for s in posts)
    # nobody else opens it with the same button's data
    assert report.code not in json.dumps(await teams.open_dialog("aad-alex", posts[-1]))
    receipt = json.dumps(await teams.open_dialog("aad-dana", posts[-1]))
    assert "recorded, encrypted" in receipt and report.code in receipt
    assert "recorded, encrypted" not in json.dumps(await teams.open_dialog("aad-dana", posts[-1]))
    cards = await teams.until(lambda: teams.connector.posts(CHANNEL))
    assert len(cards) == 1 and report.code in str(cards[0]) and CANARY not in str(cards[0])
    assert cards[0].body["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"


def card_of(sent) -> dict[str, Any]:
    return sent.body["attachments"][0]["content"]


async def test_the_form_path_opens_the_form_in_a_dialog_from_a_card_in_the_chat(teams):
    # Given the report asked for in the chat: the chat's card has no inputs, only a button
    await teams.say("aad-dana", "ethics report")
    opener = teams.connector.posts("a:personal-aad-dana")[-1]
    assert not [item for item in card_of(opener)["body"] if item["type"].startswith("Input.")]

    # When the button opens the dialog (task/fetch), the form is there
    form = (await teams.open_dialog("aad-dana", opener))["task"]["value"]["card"]["content"]
    inputs = {item["id"]: item for item in form["body"] if item["type"].startswith("Input.")}
    assert {"category", "what", "anonymous"} <= set(inputs) and inputs["what"]["isRequired"]
    [submit] = form["actions"]

    # and it is filled in and submitted there (task/submit), twice
    posted = len(teams.connector.posts("a:personal-aad-dana"))
    value = {**submit["data"], "category": "fraud", "what": f"Kickbacks from a supplier {CANARY}",
             "anonymous": "yes"}
    first = json.dumps(await teams.invoke("aad-dana", "task/submit", value))
    again = json.dumps(await teams.invoke("aad-dana", "task/submit", value))

    # Then one anonymous report is filed, its receipt shown in the dialog both times, none in the chat
    [report] = teams.reports()
    assert report.anonymous and report.reporter_tag is None and report.category is Category.FRAUD
    assert report.code in first and report.code in again
    assert len(teams.connector.posts("a:personal-aad-dana")) == posted


async def test_the_menus_buttons_open_their_dialogs_without_a_word_in_the_chat(teams):
    # Given the menu card an officer was sent on an earlier visit
    await teams.say("aad-dana", "hello")
    menu = card_of(teams.connector.posts("a:personal-aad-dana")[-1])
    actions = {a["title"]: a["data"] for a in menu["actions"]}
    posted = len(teams.connector.posts("a:personal-aad-dana"))

    # When she uses its buttons later: each opens its dialog at once (task/fetch), no click message
    assert all(actions[t]["msteams"] == {"type": "task/fetch"}
               for t in ("Report a concern", "Check a case", "Annual attestation"))
    shown = {t: (await teams.invoke("aad-dana", "task/fetch", actions[t]))["task"]["value"]
             for t in ("Report a concern", "Check a case", "Annual attestation")}
    assert shown["Report a concern"]["title"] == "Report a concern"
    inputs = {item["id"] for item in shown["Check a case"]["card"]["content"]["body"]
              if item["type"].startswith("Input.")}
    assert inputs == {"code", "secret"}
    assert "SUPPLEMENTAL CODE OF ETHICS" in json.dumps(shown["Annual attestation"])

    # And the report is made in the dialog, its receipt there too
    form = shown["Report a concern"]["card"]["content"]
    [submit] = form["actions"]
    receipt = json.dumps(await teams.invoke("aad-dana", "task/submit", {
        **submit["data"], "category": "fraud", "what": f"Kickbacks from a supplier {CANARY}",
        "anonymous": "yes"}))
    [report] = teams.reports()
    assert report.anonymous and report.code in receipt
    # Then the chat holds nothing of that visit: no message from her, no card from Candor
    assert len(teams.connector.posts("a:personal-aad-dana")) == posted


async def test_the_report_form_as_a_dialog_on_the_sdks_task_module_routes(teams):
    # Given a button that opens the report form in a Teams dialog (task/fetch, with the verb the
    # SDK's task-module routes match and the value the core knows the form by)
    opener = {"msteams": {"type": "task/fetch"}, "verb": "candor", "candor": "cmd:ethics:report"}
    response = await teams.post(teams.personal("aad-dana", type="invoke", name="task/fetch",
                                               value={"data": opener, "context": {"theme": "default"}}))

    # Then Teams is answered with the form as the dialog's card
    assert response.status == 200
    task = (await response.json())["task"]
    assert task["type"] == "continue"
    form = task["value"]["card"]["content"]
    inputs = {item["id"] for item in form["body"] if item["type"].startswith("Input.")}
    assert {"category", "what", "anonymous"} <= inputs
    [submit] = form["actions"]

    # When it is filled in and submitted in the dialog (task/submit), twice
    value = {**submit["data"], "category": "fraud", "what": f"Kickbacks from a supplier {CANARY}", "anonymous": "yes"}
    response = await teams.post(teams.personal("aad-dana", type="invoke", name="task/submit", value={"data": value}))
    answer = json.dumps(await response.json())
    again = await teams.post(teams.personal("aad-dana", type="invoke", name="task/submit", value={"data": value}))

    # Then one anonymous report is filed, its receipt (code and secret) is shown in the dialog and
    # nothing is posted to the chat, where it would stay in history
    [report] = teams.reports()
    assert report.anonymous and report.category is Category.FRAUD
    assert report.code in answer and "Your secret" in answer and CANARY not in answer
    assert teams.connector.sent == []
    # The second submit (its first answer lost on the way) shows the same receipt, in the dialog
    repeated = json.dumps(await again.json())
    assert report.code in repeated and "Your secret" in repeated and len(teams.reports()) == 1
    assert teams.connector.sent == []


async def test_the_typed_commands_status_attest_and_help(teams):
    # An anonymous report, and its receipt with the code and the secret, in the dialog
    report, receipt = await report_by_dialog(teams)
    secret = secret_in(receipt)
    # how to check, without typing the secret into the chat
    assert "Check a case" in receipt and f"`status {report.code} {secret}`" not in receipt

    # A secret typed into the chat is exposed: the case is not shown there, a new secret opens in a dialog
    await teams.say("aad-dana", f"status {report.code} {secret}")
    answer = teams.connector.posts("a:personal-aad-dana")[-2:]
    assert "no longer works" in str(answer) and "Not asked" not in str(answer)
    assert all(report.code not in str(s) for s in answer)
    new = json.dumps(await teams.open_dialog("aad-dana", answer[-1]))
    new_secret = secret_in(new)
    assert report.code in new and new_secret != secret and new_secret not in str(answer)
    # the old secret opens nothing now; the new one opens the case, in the dialog
    assert f"Case {report.code}" not in await check_in_dialog(teams, "aad-dana", report.code, secret)
    status = await check_in_dialog(teams, "aad-dana", report.code, new_secret)
    assert f"Case {report.code}" in status and "not asked anything yet" in status

    await teams.say("aad-dana", "attest")
    attest = (await teams.open_dialog("aad-dana", teams.connector.posts("a:personal-aad-dana")[-1]))
    attest_card = attest["task"]["value"]["card"]["content"]
    assert "Attestation" in attest_card["body"][0]["text"]
    assert attest_card["actions"][0]["data"]["candor_form"].startswith("attest")

    await teams.say("aad-dana", "help")
    help_text = teams.connector.posts("a:personal-aad-dana")[-1].body["text"]
    assert "**Check a case** window" in help_text and "`attest`" in help_text and "/ethics" not in help_text
    assert "[SECRET]" not in help_text and "search and export" in help_text  # where things are kept
    assert "`ethics report` for a form" in help_text  # `report` alone starts the conversation


async def test_an_answer_that_begins_with_a_command_word_is_an_answer(teams):
    # "Status ..." and "Attest ..." mid-report are what happened, not the status or attest commands
    await teams.start_chat_report("aad-dana")
    for text in ["3", f"Status reports were altered {CANARY}-what", f"Attest forms were signed blank {CANARY}-who",
                 "done"]:
        await teams.say("aad-dana", text)
    assert "When did it happen" in str(teams.connector.posts("a:personal-aad-dana")[-1])
    for text in ["skip", "skip", "skip", "named"]:
        await teams.say("aad-dana", text)
    review = teams.connector.posts("a:personal-aad-dana")[-1]
    # The review never repeats what was typed (a chat keeps it): "given" or "not given", each answer
    # a fact of its own (a TextBlock's single line breaks run together in Teams)
    [facts] = [b["facts"] for b in review.body["attachments"][0]["content"]["body"] if b["type"] == "FactSet"]
    assert {"title": "What happened", "value": "given"} in facts
    assert {"title": "People involved", "value": "given"} in facts
    assert "Status reports were altered" not in str(review)
    await teams.say("aad-dana", "submit")
    assert len(await teams.until(teams.reports)) == 1


async def test_the_categories_are_a_list_with_whole_titles_picked_with_continue(teams):
    # Given the typed report started, at its first step
    await teams.start_chat_report("aad-dana")
    content = teams.connector.posts("a:personal-aad-dana")[-1].body["attachments"][0]["content"]
    # Then each category is offered whole, in a list, and Continue and Cancel are buttons
    [listed] = [b for b in content["body"] if b["type"] == "Input.ChoiceSet"]
    titles = [c["title"] for c in listed["choices"]]
    assert any(t.startswith("Fraud involving management or financial-reporting") and len(t) > 45 for t in titles)
    buttons = {a["title"]: a for a in content["actions"]}
    assert "Continue" in buttons and buttons["Cancel"]["associatedInputs"] == "none"
    # When the officer picks the fraud category and presses Continue (the pick rides in the submit)
    fraud = next(c["value"] for c in listed["choices"] if c["title"].startswith("Fraud"))
    before = len(teams.connector.posts())
    response = await teams.post(teams.personal("aad-dana", value={**buttons["Continue"]["data"], "candor_pick": fraud}))
    assert response.status in (200, 201, 202)
    await teams.until(lambda: len(teams.connector.posts()) > before)
    # Then the conversation moves on to what happened
    assert "What happened" in str(teams.connector.posts("a:personal-aad-dana")[-1])


def test_no_card_text_relies_on_a_single_line_break():
    from adapters.teams.cards import reply_card
    from bot.messages import Document

    card = reply_card(Document("Case K7", (("Timeline", "2026-12-01 received\n2026-12-02 acknowledged"),)))
    texts = [b["text"] for b in card["body"] if b["type"] == "TextBlock"]
    assert "2026-12-01 received\n\n2026-12-02 acknowledged" in texts


async def test_acknowledge_updates_the_same_card_in_place(teams):
    await teams.add_to_team()
    report = await report_by_chat(teams)
    card = (await teams.until(lambda: teams.connector.posts(CHANNEL)))[0]

    await teams.post(teams.in_channel("aad-lee", value={"candor": f"case:ack:{report.id}"}))

    updates = await teams.until(teams.connector.updates)
    assert CHANNEL in updates[0].path and "Lee Park" in str(updates[0]) and CANARY not in str(updates[0])
    assert updates[0].path.endswith(f"/activities/{card_id(card)}")
    assert teams.reports()[0].status is CaseStatus.ACKNOWLEDGED


def card_id(sent) -> str:
    return sent.answer_id


async def test_view_details_answers_a_member_privately_and_refuses_an_outsider(teams):
    await teams.add_to_team()
    report = await report_by_chat(teams)
    invoke = teams.in_channel("aad-alex", type="invoke", name="adaptiveCard/action",
                              value={"action": {"type": "Action.Execute", "data": {"candor": f"case:view:{report.id}"}}})
    response = await teams.post(invoke)
    assert response.status == 200
    # The invoke is answered as Teams documents it: a message whose value is its text
    assert await response.json() == {"statusCode": 200, "type": "application/vnd.microsoft.activity.message",
                                      "value": "Sent to you privately."}
    created = await teams.until(teams.connector.created)
    private = await teams.until(lambda: [s for s in teams.connector.posts() if "a:1on1-" in s.path])
    # the details open from the 1:1 chat in a dialog; the chat itself holds none of them
    assert CANARY not in str(private[-1])
    assert f"{CANARY}-what" in json.dumps(await teams.open_dialog("aad-alex", private[-1]))
    assert all(f"{CANARY}" not in str(s) for s in teams.connector.posts(CHANNEL))

    await teams.post(teams.in_channel("aad-dana", value={"candor": f"case:view:{report.id}"}))
    await teams.until(lambda: len(teams.connector.created()) > len(created))
    refusal = [s for s in teams.connector.posts() if "a:1on1-" in s.path][-1]
    assert "Audit Committee" in str(refusal) and CANARY not in str(refusal)
    with teams.candor.db.read() as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "case.refused")).first()


async def test_a_repeated_activity_changes_nothing(teams):
    await teams.start_chat_report("aad-dana")
    for text in ["3", f"Revenue is recognised early {CANARY}", "skip", "done", "skip", "skip", "skip",
                 "named"]:
        await teams.say("aad-dana", text)
    await teams.add_to_team()
    submit = teams.personal("aad-dana", text="submit")
    await teams.post(submit)
    report = (await teams.until(teams.reports))[0]
    answered = len(teams.connector.posts("a:personal-aad-dana"))
    await teams.post(submit)  # the same activity id, delivered again
    assert len(teams.connector.posts("a:personal-aad-dana")) == answered  # a turn answers before it returns
    await teams.until(lambda: teams.connector.posts(CHANNEL))

    ack = teams.in_channel("aad-lee", value={"candor": f"case:ack:{report.id}"})
    await teams.post(ack)
    await teams.until(teams.connector.updates)
    private = len(teams.connector.created())
    await teams.post(ack)  # a click Teams delivers twice
    await asyncio.sleep(0.5)

    # Nothing is done again: no second note to Lee, one report, one card, one edit
    assert len(teams.connector.created()) == private
    assert len(teams.reports()) == 1 and len(teams.connector.posts(CHANNEL)) == 1
    assert len(teams.connector.updates()) == 1


async def test_two_chats_messages_with_the_same_activity_id_are_both_answered(teams):
    # Teams numbers messages by their time in milliseconds: two people may write in the same one
    first = teams.personal("aad-dana", text="help")
    second = teams.personal("aad-alex", text="help")
    second["id"] = first["id"]
    await teams.post(first)
    await teams.post(second)

    assert "Check a case" in str(teams.connector.posts("a:personal-aad-dana")[-1])
    assert "Check a case" in str(teams.connector.posts("a:personal-aad-alex")[-1])


# --- with an app id: the SDK's authentication, both ways ---------------------------------------


@pytest.fixture
async def secured(tmp_path, monkeypatch):
    """Candor with MICROSOFT_APP_ID set: inbound tokens are checked against the stand-in issuer's
    keys; outbound, the SDK's real MSAL credentials for the app id ask Microsoft Entra for a token,
    and only that fetch is patched (it records for which app id it was asked)."""
    keys = ChannelKeys()
    keys.route(monkeypatch)
    harness, runner = await start(tmp_path, monkeypatch, MICROSOFT_APP_ID=APP_ID,
                                   MICROSOFT_APP_PASSWORD="not-a-real-secret")
    harness.keys = keys

    async def fetch(provider: Any, resource_url: str, scopes: list[str], force_refresh: bool = False) -> str:
        harness.asked_for.append(provider.configuration.CLIENT_ID)
        return ACCESS_TOKEN

    monkeypatch.setattr("microsoft_agents.authentication.msal.MsalAuth.get_access_token", fetch)
    try:
        yield harness
    finally:
        await stop(harness, runner)
        keys.close()


async def test_with_an_app_id_view_details_opens_a_private_chat_in_the_bots_name(secured):
    teams = secured
    await teams.add_to_team()
    report = await report_by_chat(teams)
    await teams.until(lambda: teams.connector.posts(CHANNEL))

    # When a committee member clicks View details on the channel card
    invoke = teams.in_channel("aad-alex", type="invoke", name="adaptiveCard/action",
                              value={"action": {"type": "Action.Execute", "data": {"candor": f"case:view:{report.id}"}}})
    response = await teams.post(invoke)
    assert response.status == 200

    # Then the bot opens a 1:1 chat with them (POST /v3/conversations) and the details go there
    created = await teams.until(teams.connector.created)
    assert created[0].body["bot"]["id"] == BOT and created[0].body["members"] == [{"id": "29:aad-alex"}]
    private = await teams.until(lambda: [s for s in teams.connector.posts() if "a:1on1-" in s.path])
    assert CANARY not in str(private[-1])  # a card opening them in a dialog
    assert f"{CANARY}-what" in json.dumps(await teams.open_dialog("aad-alex", private[-1]))
    assert all(CANARY not in str(s) for s in teams.connector.posts(CHANNEL))
    # ...in the bot's name: every call carried the token fetched for the configured app id
    assert {s.authorization for s in teams.connector.sent} == {f"Bearer {ACCESS_TOKEN}"}
    assert set(teams.asked_for) == {APP_ID}

    # And someone Teams knows but the roster does not is refused, privately too
    teams.connector.add_member("29:aad-mallory", aad_id="aad-mallory", name="Mal Lory", email="mal@example.com")
    await teams.post(teams.in_channel("aad-mallory", value={"candor": f"case:view:{report.id}"}))
    await teams.until(lambda: len(teams.connector.created()) > len(created))
    refusal = [s for s in teams.connector.posts() if "a:1on1-" in s.path][-1]
    assert "roster" in str(refusal) and CANARY not in str(refusal)
    assert teams.connector.created()[-1].body["members"] == [{"id": "29:aad-mallory"}]
    with teams.candor.db.read() as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "case.refused")).first()


async def test_with_an_app_id_unverifiable_tokens_are_refused_with_401(secured):
    teams = secured
    other = ChannelKeys()  # a forger's own key
    try:
        service = teams.connector.service_url
        forged = {
            "no token": None,
            "not a token": "not.a.token",
            "an unknown key id": other.token(app_id=APP_ID, service_url=service, kid="forger-key"),
            "the right key id, another key": other.token(app_id=APP_ID, service_url=service),
            "another bot's token": teams.keys.token(app_id="6b3f2d4e-2222-4b4b-8c8c-0123456789ab",
                                                    service_url=service),
            "a token for another service URL": teams.keys.token(app_id=APP_ID, service_url="https://evil.example/"),
            "an expired token": teams.keys.token(app_id=APP_ID, service_url=service, expires_in=-3600),
            "another issuer": teams.keys.token(app_id=APP_ID, service_url=service, issuer="https://evil.example/"),
            "another Entra tenant as issuer": teams.keys.token(
                app_id=APP_ID, service_url=service,
                issuer="https://login.microsoftonline.com/7e4b0c55-3333-4c4c-9d9d-0123456789ab/v2.0"),
        }
        for what, token in forged.items():
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            response = await teams.post(teams.personal("aad-dana", text="report"), headers=headers)
            assert response.status == 401, what
        assert teams.connector.sent == []
        with teams.candor.db.read() as session:
            assert {a for a in session.exec(select(AuditEvent.action)).all()} == {"roster.imported"}
            assert session.exec(select(ConversationRef)).all() == []
            assert session.exec(select(Conversation)).all() == []

        # The refusals are not vacuous: the same activity with a genuine token is answered
        response = await teams.post(teams.personal("aad-dana", text="report"))
        assert response.status == 202  # accepted, as the SDK answers a message
        await teams.until(lambda: teams.connector.posts("a:personal-aad-dana"))
    finally:
        other.close()


async def test_with_an_app_id_unreachable_signing_keys_answer_503_so_the_connector_retries(secured):
    teams = secured
    teams.keys.close()  # the issuer's keys cannot be fetched (first request: nothing cached yet)
    response = await teams.post(teams.personal("aad-dana", text="report"))
    assert response.status == 503
    assert teams.connector.sent == []


async def test_a_throttled_connector_delays_but_loses_no_card(teams):
    await teams.add_to_team()
    teams.connector.fail_next(status=429, retry_after=1, times=2)
    await teams.post(teams.personal("aad-dana", value={
        "candor_form": "intake", "category": "fraud", "what": f"Kickbacks from a supplier {CANARY}",
        "anonymous": "yes"}))
    cards = await teams.until(lambda: teams.connector.posts(CHANNEL), timeout=30)
    assert len(cards) == 1


# --- identity: Teams' member lookup, never the activity's own word ---------------------------


async def test_an_officer_without_a_teams_id_is_matched_by_the_e_mail_teams_gives_and_the_match_stored(teams):
    # Given Sam, on the roster by e-mail only, as Teams' directory knows him
    teams.connector.add_member("29:aad-sam", aad_id="aad-sam", name="Sam Ortiz", email="Sam@Example.com",
                               upn="sortiz@example.onmicrosoft.com")
    # When he writes for the first time (a real activity: from carries id, name and aadObjectId only)
    await teams.say("aad-sam", "report")

    # Then he is looked up once, answered as himself, and the match is kept
    assert [s.path for s in teams.connector.lookups()] == ["/v3/conversations/a:personal-aad-sam/members/29:aad-sam"]
    assert "not on" not in str(teams.connector.posts("a:personal-aad-sam")[-1])
    assert teams.identity("aad-sam") == "sam@example.com"
    await teams.say("aad-sam", "cancel")
    assert len(teams.connector.lookups()) == 1


async def test_an_activity_from_another_tenant_is_ignored(teams):
    # Given someone in another organisation whose directory says they are the CFO
    teams.connector.add_member("29:aad-dana", aad_id="aad-dana", name="Dana Reyes", email="dana@example.com")
    activity = teams.personal("aad-dana", text="report")
    activity["conversation"]["tenantId"] = "tenant-elsewhere"
    activity["channelData"]["tenant"]["id"] = "tenant-elsewhere"

    response = await teams.post(activity)

    # Then nothing is answered, even for an id the roster knows, and nobody is looked up
    assert response.status in (200, 201, 202)
    await teams.say("aad-lee", "help")  # a real member's message after it is answered
    assert teams.connector.posts("a:personal-aad-dana") == [] and teams.connector.lookups() == []
    with teams.candor.db.read() as session:
        assert session.exec(select(Conversation)).all() == []  # no draft was started


async def test_without_a_pinned_tenant_nobody_is_matched_by_e_mail(tmp_path, monkeypatch):
    # A multi-tenant bot cannot trust a directory's e-mail: only the roster's teams_id counts.
    teams, runner = await start(tmp_path, monkeypatch, MICROSOFT_APP_TENANT_ID="")
    try:
        teams.connector.add_member("29:aad-sam", aad_id="aad-sam", name="Sam Ortiz", email="sam@example.com")
        await teams.say("aad-sam", "report")
        assert "roster" in str(teams.connector.posts("a:personal-aad-sam")[-1])
        assert teams.connector.lookups() == [] and teams.identity("aad-sam") is None
    finally:
        await stop(teams, runner)


async def test_without_a_pinned_tenant_another_tenants_team_lends_nothing_to_the_committee_channel(
        tmp_path, monkeypatch):
    # Given a multi-tenant bot whose committee channel is a private channel of the committee's team
    private = "19:committee-private@thread.tacv2"
    teams, runner = await start(tmp_path, monkeypatch, MICROSOFT_APP_TENANT_ID="", CANDOR_TEAMS_CHANNEL=private)
    async with ConnectorStandIn() as elsewhere:
        try:
            # added to the committee's team, then installed by another organisation in its own team
            await teams.add_to_team()
            theirs = teams.in_channel("aad-stranger", type="conversationUpdate", membersAdded=[{"id": BOT}],
                                      channel="19:theirs@thread.tacv2", team="19:theirs@thread.tacv2")
            theirs["serviceUrl"] = elsewhere.service_url
            theirs["conversation"]["tenantId"] = theirs["channelData"]["tenant"]["id"] = "tenant-other"
            theirs["channelData"]["eventType"] = "teamMemberAdded"
            assert (await teams.post(theirs)).status in (200, 201, 202)

            # When a named report is filed
            response = await teams.post(teams.personal("aad-dana", value={
                "candor_form": "intake", "category": "fraud", "what": f"Revenue booked early {CANARY}",
                "anonymous": "no"}))
            assert response.status in (200, 201, 202)
            (report,) = await teams.until(teams.reports)
            await asyncio.sleep(1.5)  # a few of the notifier's retries
            # Then nothing goes to the other organisation's service, and the alert waits
            assert elsewhere.sent == [] and not teams.connector.posts(private)

            # When a member acts in the committee channel (Teams tells the bot where it is)
            await teams.post(teams.in_channel("aad-lee", channel=private, team=CHANNEL, text="@Candor"))
            # Then the alert is posted there, through the committee's own tenant, and only there
            await teams.until(lambda: [p for p in teams.connector.posts(private) if report.code in str(p)])
            assert elsewhere.sent == []
        finally:
            await stop(teams, runner)


async def test_an_e_mail_the_activity_claims_for_itself_is_not_believed(teams):
    # Given someone Teams knows as mal@example.com, whose activity claims to be the committee chair
    teams.connector.add_member("29:aad-mallory", aad_id="aad-mallory", name="Mal Lory", email="mal@example.com")
    activity = teams.personal("aad-mallory", text="/ethics cases")
    activity["from"]["properties"] = {"email": "lee@example.com", "userPrincipalName": "lee@example.com"}
    await teams.post(activity)

    refusal = (await teams.until(lambda: teams.connector.posts("a:personal-aad-mallory")))[-1]
    assert "roster" in str(refusal)
    assert teams.identity("aad-mallory") is None and teams.identity("aad-lee") == "lee@example.com"


# --- identity: only Teams, and only Teams' own word ---------------------------------------------


def stored_reference(teams: Teams, aad_id: str) -> str | None:
    """A person's stored 1:1 chat reference (where questions and reminders for them go)."""
    with teams.candor.db.read() as session:
        reference = references.db_load(session, teams.candor.core.vault, f"teams:user:{aad_id}")
        return None if reference is None else json.dumps(reference, sort_keys=True)


@pytest.mark.parametrize("channel", ["webchat", "directline"])
async def test_with_an_app_id_another_bot_framework_channel_claiming_the_chairs_aad_id_gets_nothing(secured, channel):
    teams = secured
    # Given the chair's 1:1 chat with the bot, known from Teams
    await teams.say("aad-lee", "help")
    chair = stored_reference(teams, "aad-lee")
    assert chair is not None and "a:personal-aad-lee" in chair
    with teams.candor.db.read() as session:
        audited = len(session.exec(select(AuditEvent)).all())
    sent = len(teams.connector.sent)

    # When someone holding the bot's Web Chat or Direct Line secret sends activities with a valid
    # token, writing the chair's AAD id, our tenant and a committee command themselves
    async with ConnectorStandIn() as elsewhere:
        for text in ["help", "/ethics cases"]:
            activity = {"type": "message", "id": f"dl-{next(ids)}", "channelId": channel,
                        "serviceUrl": elsewhere.service_url,
                        "from": {"id": "dl_visitor", "name": "Lee Park", "aadObjectId": "aad-lee"},
                        "conversation": {"id": f"{channel}-conversation-1", "tenantId": TENANT},
                        "recipient": {"id": BOT, "name": "Candor"},
                        "channelData": {"tenant": {"id": TENANT}}, "text": text}
            response = await teams.post(activity)
            assert response.status == 202  # authenticated, accepted, and ignored
        await teams.say("aad-dana", "help")  # a real message after them is answered

        # Then they get nothing, anywhere, and the chair's reference is the chair's
        assert elsewhere.sent == [] and elsewhere.failed == []
    assert len(teams.connector.sent) == sent + 1
    assert stored_reference(teams, "aad-lee") == chair
    with teams.candor.db.read() as session:
        assert len(session.exec(select(AuditEvent)).all()) == audited


async def test_the_tenant_is_the_conversations_never_the_channel_datas(teams):
    # Given an activity whose conversation carries no tenant, while its channelData names ours
    activity = teams.personal("aad-dana", text="report")
    del activity["conversation"]["tenantId"]

    response = await teams.post(activity)

    assert response.status in (200, 201, 202)
    await teams.say("aad-lee", "help")
    assert teams.connector.posts("a:personal-aad-dana") == [] and stored_reference(teams, "aad-dana") is None


async def test_an_activity_without_an_aad_object_id_names_nobody(teams):
    # Given an activity whose from.id is the chair's AAD id, but which carries no AAD object id
    activity = teams.personal("aad-lee", text="/ethics cases")
    activity["from"] = {"id": "aad-lee", "name": "Lee Park"}

    await teams.post(activity)

    await teams.say("aad-dana", "help")
    assert teams.connector.posts("a:personal-aad-lee") == [] and stored_reference(teams, "aad-lee") is None


async def test_a_chat_reference_is_stored_only_once_the_roster_knows_the_person(teams):
    # A stranger is answered (refused) in their chat, but their chat is not kept
    await teams.say("aad-mallory", "help")
    assert "roster" in str(teams.connector.posts("a:personal-aad-mallory")[-1])
    assert stored_reference(teams, "aad-mallory") is None

    # Someone matched by Teams' e-mail on their first message: kept, from that message on
    teams.connector.add_member("29:aad-sam", aad_id="aad-sam", name="Sam Ortiz", email="sam@example.com")
    await teams.say("aad-sam", "help")
    assert "a:personal-aad-sam" in (stored_reference(teams, "aad-sam") or "")


# --- the committee channel: any channel of the team -------------------------------------------


async def test_the_committee_channel_may_be_any_channel_of_the_team(tmp_path, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="candor.teams")
    general, committee = "19:general-team-id@thread.tacv2", "19:private-committee@thread.tacv2"
    teams, runner = await start(tmp_path, monkeypatch, CANDOR_TEAMS_CHANNEL=committee)
    try:
        # Given the bot added to the team (Teams says so in General), and the committee's channel configured
        await teams.add_to_team(team=general)
        assert general in caplog.text  # the operator finds the team's id in the log

        # When a report is made
        report = await report_by_chat(teams)

        # Then its card goes to the committee's channel, not General, and is acknowledged in place there
        card = (await teams.until(lambda: teams.connector.posts(committee)))[0]
        assert report.code in str(card) and teams.connector.posts(general) == []
        await teams.post(teams.in_channel("aad-lee", channel=committee, team=general,
                                          value={"candor": f"case:ack:{report.id}"}))
        update = (await teams.until(teams.connector.updates))[0]
        assert update.path == f"/v3/conversations/{committee}/activities/{card.answer_id}"
    finally:
        await stop(teams, runner)


# --- cards ------------------------------------------------------------------------------------


def _action_lists(node: Any) -> list[list[dict[str, Any]]]:
    if isinstance(node, dict):
        found = [node["actions"]] if isinstance(node.get("actions"), list) else []
        return found + [lists for value in node.values() for lists in _action_lists(value)]
    if isinstance(node, list):
        return [lists for value in node for lists in _action_lists(value)]
    return []


async def test_every_category_and_cancel_stay_reachable_on_the_menu_card(teams):
    await teams.start_chat_report("aad-dana")
    menu = teams.connector.posts("a:personal-aad-dana")[-1].body["attachments"][0]["content"]

    rows = _action_lists(menu)
    assert rows and all(len(row) <= 5 for row in rows)  # Teams drops what is past its sixth action
    buttons = {action["title"]: action["data"].get("candor") for row in rows for action in row}
    # a category is a button, or (its title too long for one) an item of the list Continue sends
    listed = {c["title"]: c["value"] for b in menu["body"] if b["type"] == "Input.ChoiceSet" for c in b["choices"]}
    reachable = {**buttons, **listed}
    assert set(reachable.values()) - {None} == {f"intake:cat:{c.value}" for c in Category} | {"intake:cancel"}
    assert {"Other concern", "Cancel"} <= set(reachable) and (not listed or "Continue" in buttons)


# --- the Connector unreachable, and local mode only on purpose ---------------------------------


async def test_a_reply_waits_out_a_connector_that_refuses_connections(teams):
    # Given a Connector that refuses connections for 6 s: longer than an HTTP client's own
    # retries of a refused connection would last
    late = ConnectorStandIn(port=free_port())
    activity = teams.personal("aad-dana", text="report")
    activity["serviceUrl"] = f"http://127.0.0.1:{late.port}/"

    async def listen_later() -> None:
        await asyncio.sleep(6)
        await late.__aenter__()

    starting = asyncio.ensure_future(listen_later())
    try:
        # When Dana writes, Then her answer reaches her once the Connector listens again
        response = await teams.post(activity)
        assert response.status in (200, 201, 202)
        await starting
        await teams.until(lambda: any("chatreport:start" in str(s) for s in late.posts()), timeout=30)
    finally:
        await starting
        await late.__aexit__()


def test_without_an_app_id_candor_serve_refuses_to_start_unless_local_mode_is_asked_for(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in TEAMS_ENV and not k.startswith("SLACK_")}
    env.update(CANDOR_DATABASE_URL=f"sqlite:///{tmp_path / 'candor.db'}", CANDOR_KEY_FILE=str(tmp_path / "k"),
               CANDOR_TEAMS_CHANNEL=CHANNEL, CANDOR_HOST="127.0.0.1", CANDOR_PORT=str(port),
               CANDOR_ADMIN_PORT="0")
    try:
        result = subprocess.run([sys.executable, "-m", "adapters.cli", "serve"], env=env, capture_output=True,
                                text=True, timeout=60, cwd=tmp_path)
    except subprocess.TimeoutExpired:
        pytest.fail("candor serve started Teams without an app id and without CANDOR_TEAMS_LOCAL")
    assert result.returncode != 0
    message = " ".join(result.stderr.split())
    assert "MICROSOFT_APP_ID" in message and "CANDOR_TEAMS_LOCAL=true" in message
    assert "Traceback" not in result.stderr

    local = Settings(_env_file=None, CANDOR_TEAMS_CHANNEL=CHANNEL, CANDOR_TEAMS_LOCAL="true")
    secured = Settings(_env_file=None, CANDOR_TEAMS_CHANNEL=CHANNEL, MICROSOFT_APP_ID=APP_ID)
    assert local.teams_enabled and secured.teams_enabled
    assert not Settings(_env_file=None).teams_enabled


async def test_a_persons_conversation_reference_is_not_rewritten_per_message(teams):
    # Given a person who writes to the bot a few times (a report typed in the chat)
    await teams.say("aad-dana", "help")
    with teams.candor.db.read() as session:
        first = session.exec(select(ConversationRef).where(ConversationRef.kind == "teams:user")).one()
    await report_by_chat(teams)

    # Then the stored reference was not written again (the same sealed bytes, the same day as its
    # time), and what it holds has no message id
    with teams.candor.db.read() as session:
        row = session.exec(select(ConversationRef).where(ConversationRef.kind == "teams:user")).one()
    assert (row.key, row.body, row.updated_at) == (first.key, first.body, first.updated_at)
    assert (row.updated_at.hour, row.updated_at.minute, row.updated_at.second) == (0, 0, 0)
    reference = stored_reference(teams, "aad-dana")
    assert reference is not None and "a:personal-aad-dana" in reference and "act-in" not in reference


async def test_an_oversized_activity_gets_a_clear_answer_and_changes_nothing(teams):
    # Given a personal-chat activity of more than the server's 1 MiB, a report pasted into it
    pad = "Revenue is recognised early. " * 40_000
    response = await teams.post(teams.personal("aad-dana", text=f"report {pad}"))
    # Then the server refuses it as too large, and Candor neither answers nor records anything
    assert response.status == 413
    assert "large" in (response.reason or "").lower() and await response.text()
    assert teams.connector.posts() == [] and teams.reports() == []
    # and it stays up: the next message is answered
    await teams.say("aad-dana", "help")
