"""What people read about showing a confidential reporter's name to a person the committee
designated on the case (issue 24, designations): the member's button and form, the lines the
members and the reporter read afterwards, and the refusals of this area.
"""

from __future__ import annotations

from datetime import datetime


def show_button(name: str) -> str:
    return f"Show the reporter's name to {name}"[:75]


def form_title(code: str) -> str:
    return f"Show the name: {code}"[:60]


def form_intro(name: str, affiliation: str) -> str:
    who = f"{name} ({affiliation})" if affiliation else name
    return (f"{who}, designated on this case, will see the confidential reporter's name and "
            "e-mail on the case from now on, while the designation lasts. This cannot be taken "
            "back. The reporter is told, and reads your reason and who learned their name. It is "
            "recorded that you showed it.")


REASON_PROMPT = ("Why they need the reporter's name (kept encrypted; the reporter reads it)")
SUBMIT = "Show the name"


def shown(code: str, name: str) -> str:
    return (f"The reporter's name on case {code} is now shown to {name}. The reporter is told.")


def already_shown(name: str) -> str:
    return f"The reporter's name is already shown to {name} on this case."


# --- the members' details ---------------------------------------------------------------------

SHOWN_HEADING = "Reporter's name shown to designated persons"


def shown_line(name: str, on: datetime, by: str) -> str:
    return f"{name}, on {on:%Y-%m-%d}, by {by}"


# --- the reporter's own view ------------------------------------------------------------------


def reporter_line(name: str, affiliation: str, on: datetime, reason: str | None) -> str:
    who = f"{name} ({affiliation})" if affiliation else name
    text = (f"Shown on {on:%Y-%m-%d} to {who}, a person the committee designated to work on "
            "your case, by a committee member.")
    return f"{text} Reason given: {reason}" if reason else text


# --- refusals -----------------------------------------------------------------------------------

NOT_SHOWN_TO_COMMITTEE = (
    "The reporter's name is not shown to the committee on this case, so it can't be shown to a "
    "designated person. The attempt was logged.")
NOT_DESIGNATED = (
    "That person is not designated on this case, or their designation has ended. The attempt was "
    "logged.")
