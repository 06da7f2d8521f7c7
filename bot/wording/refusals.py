"""Refusals and errors that any area gives: input it cannot take, a person it does not know, a
case or a record they may not open, a form too old or sent twice, something gone wrong.

Each says what happened and what to do, and nothing about a case that the asker could not
already see (`CASE_NOT_FOUND` is one answer for every failure). Callers:
`from bot.wording import refusals`.
"""

from __future__ import annotations

NOT_ON_ROSTER = (
    "Candor serves the Senior Financial Officers and the Audit Committee, and I can't find you "
    "on its roster. If you think you should be on it, please ask the committee chair."
)

NOT_UNDERSTOOD = (
    "Sorry, I didn't understand that. Please pick one of the options, or type \"help\"."
)

INTERNAL_ERROR = (
    "Something went wrong on my side and nothing was recorded. Please try again in a "
    "minute; if it keeps happening, tell the committee chair (no details of your concern "
    "are needed)."
)

TEXT_TOO_LARGE = "That message is too long for me to read. Please send it in shorter parts."


def too_long(limit: int, length: int) -> str:
    return f"That is {length} characters; the limit here is {limit}. Please shorten it."


UNREADABLE_TEXT = "I couldn't read that text. Please type it again."

REQUIRED_FIELD = "This one is needed for the committee to act. Please answer it."

CASE_NOT_FOUND = (
    "I couldn't open that case with what you gave me. Check the code (and the secret, for "
    "an anonymous report)."
)


COMMITTEE_ONLY = "That is for members of the Audit Committee."

CHAIR_ONLY = "That is for the committee chair."

NOT_ALLOWED_RECORD = (
    "You can't open this: it concerns an officer of a case you are kept away from. "
    "The refusal was logged."
)

NOT_ALLOWED_CASE = "You can't open this case. The refusal was logged."

ANSWER_YES_NO = "Please answer yes or no."

CHOOSE_OFFICER = "Please choose the officer from the roster. Nothing was recorded."

DATE_INVALID = "Please give the date as YYYY-MM-DD."

DATE_IN_FUTURE = "That date is in the future. Please give the date it happened."


def date_too_early(earliest: str) -> str:
    return f"That date is before {earliest}; please check the year."


FORM_EXPIRED = (
    "This form was opened too long ago to be sent. Copy what you wrote, open a new one and "
    "send that; nothing was recorded from this one."
)

FORM_ALREADY_SUBMITTED = (
    "This form was already submitted and your report is recorded; nothing was filed twice. "
    "To report something else, start a new report."
)

ATTEST_FORM_ALREADY_SUBMITTED = (
    "This attestation form was already submitted and your attestation is recorded. Thank "
    "you."
)


def quarter_invalid(text: str) -> str:
    return f"{text!r} is not a quarter; write it like 2026Q4"
