"""What a committee member reads while working a case: acknowledging it, asking the reporter,
moving its status, keeping a member away, placing or releasing a legal hold, and the reporter's
answer coming back, and the labels of its buttons and forms and of the list of open cases.
Refusals shared with other areas live in `refusals`.
"""

from __future__ import annotations

from datetime import date


def acknowledged(code: str) -> str:
    return f"You acknowledged case {code}. The channel message shows it."


def already_acknowledged(code: str, by: str) -> str:
    return f"Case {code} was already acknowledged by {by}."


def question_sent(code: str, anonymous: bool) -> str:
    if anonymous:
        return (f"Your question on case {code} is recorded. The anonymous reporter sees it when "
                "they check the case with their code and secret.")
    return f"Your question on case {code} was sent to the reporter."


def question_prompt() -> str:
    return "Your question for the reporter"


def status_moved(code: str, status: str) -> str:
    return f"Case {code} is now: {status}."


def status_reason_prompt() -> str:
    return "The reason (kept encrypted in the case file)"


def status_not_allowed(current: str, wanted: str) -> str:
    return f"A case that is {current} can't move to {wanted}."


def no_open_cases() -> str:
    return "There are no open cases."


def answer_for_committee(code: str) -> str:
    return f"The reporter answered the committee's question on case {code}"


def exclusion_prompt() -> str:
    return ("The member to keep away from this case (they will not see it or get any message about "
            "it; the channel's alert shows every member its code and category only)")


def exclusion_nobody_left() -> str:
    return "Every other member is already kept away from this case."


def exclusion_added(code: str) -> str:
    return f"Done: that member is kept away from case {code}. Only you can see this."


def hold_reason_prompt() -> str:
    return "The reason (kept encrypted in the case file)"


def hold_set(code: str) -> str:
    return f"Case {code} is under legal hold: it will not be shredded until the hold is released."


def hold_released(code: str) -> str:
    return f"The legal hold on case {code} is released; the retention period applies again."


# --- a case's buttons and forms ---------------------------------------------------------------


def acknowledge_button() -> str:
    return "Acknowledge"


def ask_button() -> str:
    return "Ask the reporter"


def move_button(status: str) -> str:
    return f"Move to: {status}"


def determine_button() -> str:
    return "Record Board determination"


def exclusion_button() -> str:
    return "Keep a member away"


def hold_action(*, release: bool) -> str:
    """The chair's button, form title and submit label for the legal hold."""
    return "Release legal hold" if release else "Place legal hold"


def hold_title(code: str, *, release: bool) -> str:
    return f"{hold_action(release=release)}: {code}"


def question_title(code: str) -> str:
    return f"Question on {code}"


def question_submit() -> str:
    return "Send question"


def move_title(code: str, status: str) -> str:
    return f"{code}: {status}"


def move_submit() -> str:
    return "Move case"


def exclusion_title(code: str) -> str:
    return f"Keep a member away: {code}"


def exclusion_submit() -> str:
    return "Keep away"


def another_member() -> str:
    """Who acknowledged a case, when they are no longer on the roster."""
    return "another member"


# --- the open cases ---------------------------------------------------------------------------


def open_cases() -> str:
    return "Open cases"


def open_case(code: str) -> str:
    return f"Open {code}"


def case_and_status(code: str, status: str) -> str:
    return f"{code}: {status}"


def category_received(category: str, received: date) -> str:
    return f"{category}; received {received:%Y-%m-%d}"
