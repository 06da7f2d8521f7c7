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


QUESTION_PROMPT = "Your question for the reporter"


def status_moved(code: str, status: str) -> str:
    return f"Case {code} is now: {status}."


# Asked when a case moves, and when it is put under legal hold.
REASON_PROMPT = "The reason (kept encrypted in the case file)"


def status_not_allowed(current: str, wanted: str) -> str:
    return f"A case that is {current} can't move to {wanted}."


NO_OPEN_CASES = "There are no open cases."


def answer_for_committee(code: str) -> str:
    return f"The reporter answered the committee's question on case {code}"


EXCLUSION_PROMPT = (
    "The member to keep away from this case (they will not see it or get any message about "
    "it; the channel's alert shows every member its code and category only)"
)

EXCLUSION_NOBODY_LEFT = "Every other member is already kept away from this case."


def exclusion_added(code: str) -> str:
    return f"Done: that member is kept away from case {code}. Only you can see this."


def hold_set(code: str) -> str:
    return f"Case {code} is under legal hold: it will not be shredded until the hold is released."


def hold_released(code: str) -> str:
    return f"The legal hold on case {code} is released; the retention period applies again."


# --- a case's buttons and forms ---------------------------------------------------------------


ACKNOWLEDGE_BUTTON = "Acknowledge"

ASK_BUTTON = "Ask the reporter"


def move_button(status: str) -> str:
    return f"Move to: {status}"


DETERMINE_BUTTON = "Record Board determination"

EXCLUSION_BUTTON = "Keep a member away"


def hold_action(*, release: bool) -> str:
    """The chair's button, form title and submit label for the legal hold."""
    return "Release legal hold" if release else "Place legal hold"


def hold_title(code: str, *, release: bool) -> str:
    return f"{hold_action(release=release)}: {code}"


def question_title(code: str) -> str:
    return f"Question on {code}"


QUESTION_SUBMIT = "Send question"


MOVE_SUBMIT = "Move case"


def exclusion_title(code: str) -> str:
    return f"Keep a member away: {code}"


EXCLUSION_SUBMIT = "Keep away"

# Who acknowledged a case, when they are no longer on the roster.
ANOTHER_MEMBER = "another member"


# --- the open cases ---------------------------------------------------------------------------


OPEN_CASES = "Open cases"


def open_case(code: str) -> str:
    return f"Open {code}"


def case_and_status(code: str, status: str) -> str:
    """A case in a list, and the title of the form that moves it to `status`."""
    return f"{code}: {status}"


def category_received(category: str, received: date) -> str:
    return f"{category}; received {received:%Y-%m-%d}"
