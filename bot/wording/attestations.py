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
