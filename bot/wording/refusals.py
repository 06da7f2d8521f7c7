"""Refusals and errors that any area gives: input it cannot take, a person it does not know, a
case or a record they may not open, a form too old or sent twice, something gone wrong.

Each says what happened and what to do, and nothing about a case that the asker could not
already see (`case_not_found` is one answer for every failure). Callers:
`from bot.wording import refusals`.
"""

from __future__ import annotations


def not_on_roster() -> str:
    return (
        "Candor serves the Senior Financial Officers and the Audit Committee, and I can't find you "
        "on its roster. If you think you should be on it, please ask the committee chair."
    )


def not_understood() -> str:
    return "Sorry, I didn't understand that. Please pick one of the options, or type \"help\"."


def internal_error() -> str:
    return (
        "Something went wrong on my side and nothing was recorded. Please try again in a "
        "minute; if it keeps happening, tell the committee chair (no details of your concern "
        "are needed)."
    )


def text_too_large() -> str:
    return "That message is too long for me to read. Please send it in shorter parts."


def too_long(limit: int, length: int) -> str:
    return f"That is {length} characters; the limit here is {limit}. Please shorten it."


def unreadable_text() -> str:
    return "I couldn't read that text. Please type it again."


def required_field() -> str:
    return "This one is needed for the committee to act. Please answer it."


def case_not_found() -> str:
    # One answer for every failure, so a guess learns nothing about which codes exist.
    return ("I couldn't open that case with what you gave me. Check the code (and the secret, for "
            "an anonymous report).")


def too_many_attempts() -> str:
    return "Too many attempts. Please wait a few minutes and try again."


def committee_only() -> str:
    return "That is for members of the Audit Committee."


def chair_only() -> str:
    return "That is for the committee chair."


def not_allowed_record() -> str:
    return ("You can't open this: it concerns an officer of a case you are kept away from. "
            "The refusal was logged.")


def not_allowed_case() -> str:
    return "You can't open this case. The refusal was logged."


def answer_yes_no() -> str:
    return "Please answer yes or no."


def choose_officer() -> str:
    return "Please choose the officer from the roster. Nothing was recorded."


def date_invalid() -> str:
    return "Please give the date as YYYY-MM-DD."


def date_in_future() -> str:
    return "That date is in the future. Please give the date it happened."


def date_too_early(earliest: str) -> str:
    return f"That date is before {earliest}; please check the year."


def form_expired() -> str:
    return ("This form was opened too long ago to be sent. Copy what you wrote, open a new one and "
            "send that; nothing was recorded from this one.")


def form_already_submitted() -> str:
    return ("This form was already submitted and your report is recorded; nothing was filed twice. "
            "To report something else, start a new report.")


def attest_form_already_submitted() -> str:
    return ("This attestation form was already submitted and your attestation is recorded. Thank "
            "you.")


def quarter_invalid(text: str) -> str:
    return f"{text!r} is not a quarter; write it like 2026Q4"
