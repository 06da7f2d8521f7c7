"""What a committee member reads while working a case: acknowledging it, asking the reporter,
moving its status, keeping a member away, placing or releasing a legal hold, and the reporter's
answer coming back. Refusals shared with other areas live in `refusals`.
"""

from __future__ import annotations


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
