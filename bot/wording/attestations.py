"""What an officer reads about their annual attestation (its home line, the form, the offer to
report, the thanks) and what the committee reads of one that discloses something.
"""

from __future__ import annotations

from bot.wording import case_labels

ATTEST_ONLY_OFFICERS = "The annual attestation is for the Senior Financial Officers on the roster."


def attest_already(period: str, when: str, opens_on: str) -> str:
    return (f"You have already attested for {period} (on {when}). Thank you. "
            f"The next attestation opens on {opens_on}.")


def attest_home_done(period: str, when: str, opens_on: str) -> str:
    return f"Attested for {period} on {when}. The next attestation opens on {opens_on}."


def attest_home_due(period: str, due: str, *, overdue: bool) -> str:
    if overdue:
        return f"Your attestation for {period} was due on {due} and is overdue: please attest now."
    return f"Your attestation for {period} is due by {due}."


ATTEST_HOME_UNSCHEDULED = (
    "No attestation date is set for you; you can attest for this year at any time."
)


def attest_recorded(period: str, next_due: str) -> str:
    return (f"Thank you. Your attestation for {period} is recorded. The next one is due by "
            f"{next_due}.")


ATTEST_OFFER_REPORT = (
    "You said you know of a matter that has not been reported. Before you go on: a report "
    "made right now could be linked in time to this attestation, which is recorded with "
    "your name. Waiting a day or more hides that link, above all for an anonymous report. "
    "Would you like to report it now?"
)

ATTEST_DISCLOSURE_HINT = "Required if you answered no to complying or to conflicts of interest."

ATTEST_MUST_READ = (
    "Please read the Code first; you can attest once you have read and understood it."
)

ATTEST_EXPLAIN = "Please describe the conflict of interest or the exception here."

ATTEST_GOES_TO_COMMITTEE = (
    "What you disclosed goes to the Audit Committee privately: its channel is told only "
    "that an attestation needs review, never your words."
)

ATTEST_NEEDS_DISCLOSURE = "a disclosure"

ATTEST_NEEDS_CONFLICT = "a conflict of interest"

ATTEST_NEEDS_EXCEPTION = "an exception to compliance"

ATTEST_NEEDS_UNREPORTED = "a matter known but not reported"

VIEW_DISCLOSURE = "View attestation"


def open_attestation(officer: str, period: str) -> str:
    """The committee home's button that opens an attestation with a disclosure."""
    return f"Attestation: {officer} {period}"


# The questions every attestation asks, by the name its answer is kept under.
ATTEST_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("read_understood", "I have read and understood the Supplemental Code of Ethics."),
    ("complied", "I complied with the Code throughout the period."),
    ("no_conflict", "I have no conflict of interest that I have not disclosed."),
    ("no_unreported", "I know of no matter the Code requires me to report that I have not "
                      "reported."),
)


# The Code's title when its file has no heading line.
CODE_TITLE = "Supplemental Code of Ethics"

ATTEST_DISCLOSURE_LABEL = "Conflicts of interest or exceptions to disclose"


def attest_title(period: str) -> str:
    """The attestation form's title, and the title of an attestation the committee opens."""
    return f"Attestation {period}"


ATTEST_SUBMIT = "Attest"


# --- what the committee reads of an attestation that needs it -----------------------------------


def attest_notice_title(period: str) -> str:
    return f"An attestation for {period} needs the committee"


ATTEST_NOTICE_TEXT = (
    "An officer's annual attestation includes answers the committee should review. "
    "The attestation opens privately."
)



def attest_officer(name: str, role: str) -> str:
    return f"{name}, {role}"


ATTEST_PERIOD_LABEL = "Period"

ATTEST_ATTESTED_LABEL = "Attested"

ATTEST_NEEDS_REVIEW_LABEL = "Needs review"


def attest_answer(value: object) -> str:
    return case_labels.YES if value else case_labels.NO


ATTEST_DISCLOSED_LABEL = "Disclosed"
