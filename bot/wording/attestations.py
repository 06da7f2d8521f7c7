"""What an officer reads about their annual attestation (its home line, the form, the offer to
report, the thanks) and what the committee reads of one that discloses something.
"""

from __future__ import annotations


def attest_only_officers() -> str:
    return "The annual attestation is for the Senior Financial Officers on the roster."


def attest_already(period: str, when: str, opens_on: str) -> str:
    return (f"You have already attested for {period} (on {when}). Thank you. "
            f"The next attestation opens on {opens_on}.")


def attest_home_done(period: str, when: str, opens_on: str) -> str:
    return f"Attested for {period} on {when}. The next attestation opens on {opens_on}."


def attest_home_due(period: str, due: str, *, overdue: bool) -> str:
    if overdue:
        return f"Your attestation for {period} was due on {due} and is overdue: please attest now."
    return f"Your attestation for {period} is due by {due}."


def attest_home_unscheduled() -> str:
    return "No attestation date is set for you; you can attest for this year at any time."


def attest_recorded(period: str, next_due: str) -> str:
    return (f"Thank you. Your attestation for {period} is recorded. The next one is due by "
            f"{next_due}.")


def attest_offer_report() -> str:
    return ("You said you know of a matter that has not been reported. Before you go on: a report "
            "made right now could be linked in time to this attestation, which is recorded with "
            "your name. Waiting a day or more hides that link, above all for an anonymous report. "
            "Would you like to report it now?")


def attest_disclosure_hint() -> str:
    return "Required if you answered no to complying or to conflicts of interest."


def attest_must_read() -> str:
    return "Please read the Code first; you can attest once you have read and understood it."


def attest_explain() -> str:
    return "Please describe the conflict of interest or the exception here."


def attest_goes_to_committee() -> str:
    return ("What you disclosed goes to the Audit Committee privately: its channel is told only "
            "that an attestation needs review, never your words.")


def attest_needs_disclosure() -> str:
    return "a disclosure"


def attest_needs_conflict() -> str:
    return "a conflict of interest"


def attest_needs_exception() -> str:
    return "an exception to compliance"


def attest_needs_unreported() -> str:
    return "a matter known but not reported"


def view_disclosure() -> str:
    return "View attestation"


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


def code_title() -> str:
    """The Code's title when its file has no heading line."""
    return "Supplemental Code of Ethics"


def attest_disclosure_label() -> str:
    return "Conflicts of interest or exceptions to disclose"


def attest_title(period: str) -> str:
    """The attestation form's title, and the title of an attestation the committee opens."""
    return f"Attestation {period}"


def attest_submit() -> str:
    return "Attest"


# --- what the committee reads of an attestation that needs it -----------------------------------


def attest_notice_title(period: str) -> str:
    return f"An attestation for {period} needs the committee"


def attest_notice_text() -> str:
    return ("An officer's annual attestation includes answers the committee should review. "
            "The attestation opens privately.")


def attest_officer_label() -> str:
    return "Officer"


def attest_officer(name: str, role: str) -> str:
    return f"{name}, {role}"


def attest_period_label() -> str:
    return "Period"


def attest_attested_label() -> str:
    return "Attested"


def attest_needs_review_label() -> str:
    return "Needs review"


def attest_answer(value: object) -> str:
    return "Yes" if value else "No"


def attest_disclosed_label() -> str:
    return "Disclosed"
