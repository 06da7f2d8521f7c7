"""What the written notice says: the letter a determination whose action is a written notice
produces (for the chair's signature, delivered to the officer), the case view's "Notice letter"
entry, the form a member records its delivery with, and their refusals.

The letter names the company, the officer, the Board's finding, the action and the dates; never
the reporter, the case's narrative or its code (the letter leaves the committee's hands).
"""

from __future__ import annotations

from datetime import date

CODE_NAME = "Supplemental Code of Ethics for Senior Financial Officers"
# When neither CANDOR_COMPANY_NAME nor the Code's own first paragraph names the company.
DEFAULT_COMPANY = "The Company"


def long_date(day: date) -> str:
    """A date as a letter writes it: 2 November 2026."""
    return f"{day.day} {day:%B %Y}"


# --- the letter ----------------------------------------------------------------------------------

CONFIDENTIAL = "Personal and confidential"
LETTER_TITLE = "Written notice"


def addressee(officer: str, title: str | None) -> str:
    return f"To: {officer}" + (f", {title}" if title else "")


SUBJECT = f"Written notice under the {CODE_NAME}"


def salutation(officer: str) -> str:
    return f"Dear {officer},"


def opening(decided_on: date, action: str) -> str:
    return (
        f"By its determination of {long_date(decided_on)}, the Board found that you committed a "
        f"material violation of the {CODE_NAME}, and decided on the following action under the "
        f"Code's Administration section: {action}. This letter is the written notice the Code "
        "provides for."
    )


# The facts the letter states, by label.
FINDING = "The Board's finding"
OCCURRENCE = "Single or repeated"
INTENT = "Intentional or inadvertent"
ACTION = "Action"
DECIDED_BY = "Decided by"
DECIDED_ON = "Date of the determination"

CLOSING = (
    "This notice is kept in the Audit Committee's records. Under the Code, the Board weighs any "
    "prior violation when it determines the action for a later one. If you have questions about "
    "this notice, please raise them with the Chair of the Audit Committee."
)

SIGNATURE_LINE = "_______________________________"


def signed_for(decider: str) -> str:
    """"For the Board of Directors", "For the Audit Committee, designated by the Board": the
    decider as the form recorded it, with an article where it starts a name."""
    if decider.startswith("The "):
        decider = "the " + decider.removeprefix("The ")
    elif decider.startswith(("Board ", "Audit Committee")):
        decider = "the " + decider
    return f"For {decider}"


def chair_signs(chair: str | None) -> str:
    return f"{chair}, Chair of the Audit Committee" if chair else "Chair of the Audit Committee"


SIGNATURE_DATE = "Date: ____________________"
RECEIVED = "Received by the officer"


def letter_dated(company: str, dated: date) -> str:
    return f"{company}, {long_date(dated)}"


# --- in the case view and the case file ----------------------------------------------------------

def notice_heading(officer: str, decided_on: date) -> str:
    return f"Notice letter to {officer} (determination of {decided_on.isoformat()})"


def how_to_get(code: str) -> str:
    return (
        "The letter of written notice is ready for the chair's signature, as a PDF. It is never "
        "posted in a channel. An administrator writes it for you with "
        f"`candor export notice {code} --as YOUR-EMAIL`; each export is audited."
    )


def delivered(on: date, by: str, how: str | None) -> str:
    return (f"Delivered to the officer on {on.isoformat()} (recorded by {by})"
            + (f": {how}" if how else "."))


NOT_DELIVERED = "Its delivery to the officer is not recorded yet."


def delivered_step(officer: str, on: date) -> str:
    """The case's history: the step a recorded delivery adds."""
    return f"Notice letter delivered to {officer} on {on.isoformat()}"


DELIVERY = "Delivery"

# --- recording the delivery ----------------------------------------------------------------------


def delivery_button(officer: str) -> str:
    return f"Notice delivered: {officer}"


def delivery_title(code: str) -> str:
    return f"Notice delivered, {code}"


def delivery_intro(officer: str, decided_on: date) -> str:
    return (
        f"Record the day the written notice was delivered to {officer} (the Board's "
        f"determination of {decided_on.isoformat()}). The day is shown in the case's history "
        "and its file; how it was delivered is kept encrypted."
    )


DELIVERED_ON = "Delivered on"
DELIVERED_HOW = "How it was delivered (optional, e.g. by hand, by courier)"
DELIVERY_SUBMIT = "Record delivery"


def delivery_recorded(code: str, officer: str, on: date) -> str:
    return (
        f"Recorded: the written notice on case {code} was delivered to {officer} on "
        f"{on.isoformat()}."
    )


# --- refusals ------------------------------------------------------------------------------------


def no_written_notice(code: str) -> str:
    return (
        f"Case {code} has no determination whose action is a written notice, so it has no "
        "notice letter. Nothing was recorded."
    )


def already_delivered(on: date) -> str:
    return f"This notice's delivery was already recorded (on {on.isoformat()}). Nothing changed."


def before_determination(decided_on: date) -> str:
    return (
        "The notice can't have been delivered before the Board's determination "
        f"({decided_on.isoformat()})."
    )
