"""Block Kit rendering stays inside Slack's limits, whatever the core hands it: Slack refuses a
whole message or view that breaks one, so a long case must shrink, never lose its buttons."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from adapters.slack import render
from bot.messages import Choice, Document, Notice, Text
from tests.support.slack_stand_in import block_kit_problem

BUTTONS = (Choice("Acknowledge", "case:ack:1"), Choice("Ask the reporter", "case:ask:1"))


def long_case(sections: int) -> Document:
    return Document("Case ABCD-2345", tuple((f"Question {i}", "Why & how <exactly>? " * 40) for i in range(sections)),
                    BUTTONS)


def test_the_checker_refuses_what_slack_refuses():
    assert block_kit_problem("chat.postMessage", {"blocks": [{"type": "section", "text": {
        "type": "mrkdwn", "text": "x" * 3001}}]}, {})
    assert block_kit_problem("views.push", {"trigger_id": "t", "view": {"type": "modal"}}, {"t": "home"})


def test_a_case_too_long_for_one_view_keeps_its_buttons_and_says_it_was_shortened():
    view = render.document_view(long_case(80))
    assert block_kit_problem("views.open", {"view": view}, {}) is None
    assert len(view["blocks"]) == 100 and view["blocks"][-1]["type"] == "actions"
    assert view["blocks"][-2]["type"] == "context"

    message = render.message(long_case(80))
    assert block_kit_problem("chat.postMessage", message, {}) is None
    assert message["blocks"][-1]["type"] == "actions"


@given(st.text(alphabet="ab &<>\n", max_size=7000))
def test_any_text_becomes_sections_slack_accepts_and_loses_nothing(text):
    message = render.message(Text(text))
    assert block_kit_problem("chat.postMessage", message, {}) is None
    joined = "".join(b["text"]["text"] for b in message["blocks"] if b["type"] == "section")
    unescaped = joined.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert unescaped == text or (text == "" and unescaped == " ")


@given(st.text(alphabet="&<>x", min_size=1, max_size=3000))
def test_notice_fields_are_cut_without_breaking_an_escape(value):
    message = render.notice(Notice("Reminder", fields=(("Officer", value),)))
    assert block_kit_problem("chat.postMessage", message, {}) is None
    field = message["blocks"][1]["fields"][0]["text"]
    assert "&" not in field.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")
