"""The report conversation, step by step, as a reporter would drive it (and the report form,
which must come to the same draft)."""

from __future__ import annotations

from bot import intake, report_form
from bot.intake import Draft, Member, Step
from bot.messages import Choices, Text
from storage.vocabulary import Category

MEMBERS = [Member(10, "Lee Park"), Member(11, "Alex Kim")]


def _texts(outcome: intake.Outcome) -> str:
    parts = []
    for reply in outcome.replies:
        if isinstance(reply, Text):
            parts.append(reply.text)
        elif isinstance(reply, Choices):
            parts.append(reply.text + " " + " | ".join(c.label for c in reply.choices))
    return "\n".join(parts)


def drive(inputs: list[str], members: list[Member] = MEMBERS) -> intake.Outcome:
    outcome = intake.start(members)
    for text in inputs:
        assert outcome.draft is not None, f"conversation ended before {text!r}"
        outcome = intake.advance(outcome.draft, text, members)
    return outcome


FULL = [
    "intake:cat:fraud",
    "The regional controller books fictitious revenue at quarter end.",
    "R. Controller, Northern region",
    "intake:excl:10",
    "intake:excl:done",
    "Every quarter end since 2025-Q3",
    "Journal entries JE-4411 to JE-4419 in the ledger",
    "skip",
    "intake:id:anonymous",
]


def test_full_conversation_reaches_review_with_every_answer():
    outcome = drive(FULL)
    draft = outcome.draft
    assert draft is not None and draft.step == Step.REVIEW
    assert draft.category is Category.FRAUD
    assert draft.text("what") and draft.text("what").startswith("The regional controller")
    assert draft.text("who") == "R. Controller, Northern region"
    assert draft.exclude == (10,)
    assert draft.text("known") is None
    assert draft.anonymous is True
    assert "Kept away from: Lee Park" in _texts(outcome)


def test_submit_from_review_ends_the_conversation_for_submission():
    outcome = drive([*FULL, "intake:submit"])
    assert outcome.submit and outcome.draft is None


def test_review_shows_a_short_summary_not_an_echo():
    long_story = "Revenue was recognised early. " * 100
    steps = ["1", long_story[:3999], "skip", "done", "skip", "skip", "skip", "named"]
    outcome = drive(steps)
    shown = _texts(outcome)
    assert "Please check your report" in shown
    assert long_story[:3999] not in shown
    assert len(shown) < 1500


def test_back_returns_to_the_previous_question_and_keeps_answers():
    outcome = drive(["intake:cat:disclosure", "Our segment disclosure omits a loss.", "back"])
    assert outcome.draft is not None and outcome.draft.step == "what"
    assert outcome.draft.text("what") == "Our segment disclosure omits a loss."


def test_back_at_the_first_step_stays_there():
    outcome = drive(["back"])
    assert outcome.draft is not None and outcome.draft.step == Step.CATEGORY


def test_cancel_at_any_step_discards_the_draft():
    for n in range(len(FULL)):
        outcome = drive([*FULL[:n], "cancel"])
        assert outcome.draft is None and not outcome.submit
        assert "Nothing was sent" in _texts(outcome)


def test_help_explains_and_repeats_the_question():
    outcome = drive(["intake:cat:other", "help"])
    assert outcome.draft is not None and outcome.draft.step == "what"
    assert "encrypted" in _texts(outcome)


def test_oversize_text_is_refused_with_the_limit_and_the_step_repeats():
    outcome = drive(["intake:cat:fraud", "x" * 4001])
    assert outcome.draft is not None and outcome.draft.step == "what"
    assert "4001 characters; the limit here is 4000" in _texts(outcome)


def test_what_happened_cannot_be_skipped():
    outcome = drive(["intake:cat:fraud", "skip"])
    assert outcome.draft is not None and outcome.draft.step == "what"
    assert "needed" in _texts(outcome)


def test_unknown_input_at_a_choice_step_is_answered_and_the_step_repeats():
    outcome = drive(["what is this?"])
    assert outcome.draft is not None and outcome.draft.step == Step.CATEGORY
    assert "didn't understand" in _texts(outcome)


def test_a_stale_button_from_another_step_changes_nothing():
    outcome = drive(["intake:cat:fraud", "intake:id:anonymous"])
    assert outcome.draft is not None and outcome.draft.step == "what"
    assert outcome.draft.anonymous is None


def test_excluding_toggles_a_member_on_and_off():
    outcome = drive(["2", "Controls over cash are missing.", "skip", "intake:excl:11", "intake:excl:11"])
    assert outcome.draft is not None and outcome.draft.exclude == ()


def test_no_to_who_already_knows_is_an_answer_not_a_skip():
    outcome = drive([*FULL[:7], "no"])
    assert outcome.draft is not None and outcome.draft.text("known") == "No one else knows"
    skipped = drive([*FULL[:7], "skip"])
    assert skipped.draft is not None and skipped.draft.text("known") is None


def test_the_whole_committee_cannot_be_kept_away():
    outcome = drive(["2", "Controls over cash are missing.", "skip", "intake:excl:10", "intake:excl:11"])
    assert outcome.draft is not None and outcome.draft.exclude == (10,)
    assert "At least one member of the Audit Committee must be able to read" in _texts(outcome)

    errors = report_form.validate_form({"category": "fraud", "what": "Cash is missing.", "anonymous": "no",
                                        "exclude": ["10", "11"]}, MEMBERS)
    assert isinstance(errors, dict) and "At least one member" in errors["exclude"]


def test_an_unknown_member_cannot_be_excluded():
    outcome = drive(["2", "Controls over cash are missing.", "skip", "intake:excl:999"])
    assert outcome.draft is not None and outcome.draft.exclude == ()


def test_without_committee_members_the_exclusion_step_is_skipped():
    outcome = drive(["2", "Controls over cash are missing.", "skip"], members=[])
    assert outcome.draft is not None and outcome.draft.step == "when"


def test_draft_survives_a_json_round_trip():
    draft = drive(FULL).draft
    assert draft is not None
    assert Draft.from_json(draft.to_json()) == draft


def test_form_path_gives_the_same_draft_as_the_conversation():
    values = {
        "category": "fraud",
        "what": "The regional controller books fictitious revenue at quarter end.",
        "who": "R. Controller, Northern region",
        "exclude": ["10"],
        "when": "Every quarter end since 2025-Q3",
        "evidence": "Journal entries JE-4411 to JE-4419 in the ledger",
        "known": "",
        "anonymous": "yes",
    }
    checked = report_form.validate_form(values, MEMBERS)
    assert isinstance(checked, Draft)
    assert checked == drive(FULL).draft


def test_form_errors_name_each_bad_field_and_nothing_else():
    errors = report_form.validate_form(
        {"category": "nonsense", "what": "x" * 5000, "exclude": ["999"], "anonymous": None}, MEMBERS
    )
    assert isinstance(errors, dict)
    assert set(errors) == {"category", "what", "exclude", "anonymous"}
    assert "limit" in errors["what"]


def test_form_lists_members_to_exclude_only_when_there_are_any():
    names = [f.name for f in report_form.form(MEMBERS).fields]
    assert "exclude" in names
    assert "exclude" not in [f.name for f in report_form.form([]).fields]
