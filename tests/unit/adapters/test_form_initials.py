"""What a form proposes (a designation's last day 90 days on, the determination's decider and
day) is filled in on Slack and on Teams as it is in the console, not left for the person to type."""

from __future__ import annotations

from adapters.slack import render
from adapters.teams.cards import form_card
from bot.messages import FieldKind, Form, FormField
from tests.support.slack_stand_in import block_kit_problem

FORM = Form("designate:r1", "Designate on ABCD-2345", (
    FormField("until", "Until", FieldKind.DATE, initial="2027-03-06"),
    FormField("decider", "Who decided", FieldKind.TEXT, initial="Board of Directors"),
    FormField("why", "Why", FieldKind.MULTILINE),
    FormField("on", "On", FieldKind.DATE),
), submit_label="Designate")


def test_slack_fills_in_the_proposed_date_and_text():
    view = render.form_view(FORM)
    elements = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert elements["until"]["initial_date"] == "2027-03-06"
    assert elements["decider"]["initial_value"] == "Board of Directors"
    assert "initial_date" not in elements["on"] and "initial_value" not in elements["why"]
    assert block_kit_problem("views.open", {"view": view}, {}) is None


def test_teams_fills_in_the_proposed_date_and_text():
    inputs = {i["id"]: i for i in form_card(FORM)["body"] if i["type"].startswith("Input.")}
    assert inputs["until"]["value"] == "2027-03-06" and inputs["until"]["type"] == "Input.Date"
    assert inputs["decider"]["value"] == "Board of Directors"
    assert "value" not in inputs["on"] and "value" not in inputs["why"]
