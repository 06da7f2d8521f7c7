"""What people read about showing a confidential reporter's name by a quorum of the committee or
by the reporter's consent (issue 24): the case's buttons and forms, the content-free direct
messages, the request as a member opens it, the request as the reporter reads it, and the
refusals of this area.
"""

from __future__ import annotations

from datetime import datetime

# --- the case's buttons and the asking forms ---------------------------------------------------

ASK_QUORUM_BUTTON = "Ask to reveal the reporter"
ASK_CONSENT_BUTTON = "Ask the reporter for their name"
ANSWER_REQUEST_BUTTON = "Answer the request to reveal the reporter"
REASON_PROMPT = ("Why the committee needs the reporter's name (kept encrypted; the reporter "
                 "reads it)")
ASK_QUORUM_SUBMIT = "Ask the other members"
ASK_CONSENT_SUBMIT = "Ask the reporter"


def quorum_title(code: str) -> str:
    return f"Reveal the reporter: {code}"[:60]


def consent_title(code: str) -> str:
    return f"Ask for the name: {code}"[:60]


def quorum_intro(quorum: int, allowed: int) -> str:
    return (f"The name is shown only if {quorum} of the {allowed} members allowed on this case "
            "agree within seven days (you count as one). The others are asked privately; the "
            "members kept away from the case are not asked. The reporter is told when their name "
            "is shown, and why.")


CONSENT_INTRO = (
    "The reporter is told there is news, and reads your reason in their private view. Only if "
    "they say yes within seven days is their name shown to the members allowed on this case."
)


def quorum_asked(code: str, others: int, quorum: int) -> str:
    asked = ("The other member allowed on the case is" if others == 1
             else f"The {others} other members allowed on the case are")
    return (f"Your request on case {code} is recorded. {asked} asked privately; the name is "
            f"shown once {quorum} of you agree within seven days.")


def consent_asked(code: str) -> str:
    return (f"Your request on case {code} is recorded. The reporter is told there is news and "
            "answers in their private view; the case shows their answer.")


# --- the direct messages (they stay in chats: no case, no reason, no name) ---------------------

ASKED_TITLE = "A committee member asks for your view on a request"
ASKED_TEXT = "Open it here; it is shown only to you."
OPEN_REQUEST = "Open the request"
DECIDED_TITLE = "There is news on a request you made to the committee"
DECIDED_TEXT = "Open it here; it is shown only to you."

# --- the request, as a member allowed on the case opens it -----------------------------------

DECISION_PROMPT = "Your answer"
AGREE = "Agree: show the reporter's name to the members allowed on this case"
DECLINE = "Decline"
DECLINE_REASON_PROMPT = "If you decline, why (kept encrypted)"
VOTE_SUBMIT = "Send my answer"


def vote_title(code: str) -> str:
    return f"Reveal the reporter? {code}"[:60]


def request_intro(*, code: str, asked_by: str, asked_at: datetime, reason: str, quorum: int,
                  agreed: int, lapses_at: datetime) -> str:
    return (f"{asked_by} asks to show the name of case {code}'s confidential reporter to the "
            f"members allowed on the case, on {asked_at:%Y-%m-%d}, because:\n{reason}\n\n"
            f"{agreed} of the {quorum} members needed agree so far. The request lapses on "
            f"{lapses_at:%Y-%m-%d %H:%M UTC}. The reporter is told if their name is shown, and "
            "why.")


def vote_recorded(code: str, *, agree: bool) -> str:
    if agree:
        return f"Your agreement on case {code} is recorded."
    return f"Your refusal on case {code} is recorded."


def revealed_now(code: str) -> str:
    return (f"Your agreement on case {code} is recorded, and the quorum is reached: the reporter's "
            "name is now shown on the case to the members allowed on it. The reporter is told.")


REQUEST_TITLE = "A request to reveal the reporter"
YOU_ASKED = "You made this request; you count as agreeing."


def already_answered(*, agree: bool) -> str:
    said = "agreed" if agree else "declined"
    return f"You have {said} already; an answer can't be changed."


# --- on the case view --------------------------------------------------------------------------

REQUESTS_HEADING = "Requests to reveal the reporter"


def request_line(*, path: str, asked_by: str, asked_at: datetime, state: str,
                 reason: str) -> str:
    return f"{asked_at:%Y-%m-%d}, {asked_by} ({path}): {state}. Reason: {reason}"


def tally_line(*, agreed: tuple[str, ...], declined: tuple[str, ...], quorum: int,
               lapses_at: datetime) -> str:
    return (f"Agreed: {', '.join(agreed) or 'no one'} ({len(agreed)} of {quorum} needed). "
            f"Declined: {', '.join(declined) or 'no one'}. "
            f"Lapses on {lapses_at:%Y-%m-%d %H:%M UTC}.")


def reporter_answer(state: str, at: datetime | None) -> str:
    return f"The reporter's answer: {state}" + (f" on {at:%Y-%m-%d}." if at else ".")


def decided_line(state: str, at: datetime | None, *, agreed: tuple[str, ...],
                 declined: tuple[str, ...]) -> str:
    when = f" on {at:%Y-%m-%d}" if at else ""
    return (f"{state}{when}. Agreed: {', '.join(agreed) or 'no one'}. "
            f"Declined: {', '.join(declined) or 'no one'}.")


# --- the reporter's private view -------------------------------------------------------------

CONSENT_HEADING = "A committee member asks for your name"


def consent_text(*, asked_at: datetime, reason: str, lapses_at: datetime) -> str:
    return (f"On {asked_at:%Y-%m-%d} a member of the Audit Committee asked you to let the members "
            f"allowed on your case see your name. Their reason:\n{reason}\n\nIf you say yes, your "
            "name is shown to them (never to a member kept away from the case). If you say no, "
            f"nothing changes and the committee is told you declined. Please answer by "
            f"{lapses_at:%Y-%m-%d}; without an answer, nothing is shown.")


CONSENT_YES = "Yes, show my name"
CONSENT_NO = "No, keep my name sealed"


def consent_given(code: str) -> str:
    return (f"Thank you. Your name is now shown on case {code} to the members of the committee "
            "allowed on it.")


def consent_refused(code: str) -> str:
    return (f"Your name stays sealed on case {code}. The members allowed on the case see that you "
            "declined.")


# --- refusals -----------------------------------------------------------------------------------

NOT_CONFIDENTIAL = "This case has no confidential reporter: there is no name to reveal."
ALREADY_SHOWN = "The reporter's name is already shown on this case."
NO_QUORUM_POSSIBLE = (
    "No quorum is possible on this case: fewer than two members of the committee are allowed on "
    "it, and one member alone can never reveal a reporter. You can ask the reporter instead."
)


def request_open(path: str) -> str:
    return f"A request of this kind is already open on this case ({path}). Please answer it first."


def request_closed(state: str) -> str:
    return f"This request is closed: {state}."


NOT_YOUR_REQUEST = "That request is not one you can answer. The attempt was logged."
CHOOSE_AGREE_OR_DECLINE = "Please choose agree or decline."
REQUEST_NOT_FOUND = "I couldn't find that request. Its case may have been closed and shredded."
