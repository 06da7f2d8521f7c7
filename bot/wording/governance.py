"""What the Board's and the committee's records of the Code say: a determination on a case (the
factors the Code names, the refusals of an incomplete one) and waivers of the Code with their
public disclosure. The form labels live beside the sentences.
"""

from __future__ import annotations

from datetime import date

# Each factor the Code's "Administration" section names, as a sentence refers to it: a refusal
# asks for it ("Please record the nature and ..."), and a case's views show it, capitalised, as
# the label of what the Board found.
DETERMINATION_FACTORS: dict[str, str] = {
    "nature": "the nature and severity of the violation",
    "occurrence": "whether it was a single occurrence or repeated occurrences",
    "intent": "whether it appears intentional or inadvertent",
    "advised": "whether the officer had been advised beforehand of the proper course",
    "prior": "the officer's prior violations",
}


def determination_intro(prior: str) -> str:
    return (
        "Record the Board's determination on this case. The Code asks the Board to weigh each "
        "factor below; the factors and the reasoning are kept encrypted in the case file.\n"
        f"Earlier determinations against the officers on the roster:\n{prior}"
    )


NO_PRIOR_DETERMINATIONS = "None recorded."


def factor_missing(factor: str) -> str:
    return f"Please record {factor}: the Code asks the Board to weigh it. Nothing was recorded."


def action_not_in_code(choices: str) -> str:
    return f"That action is not one the Code lists. Choose one of: {choices}. Nothing was recorded."


ACTION_NEEDS_VIOLATION = (
    "\"No action\" fits only when no material violation occurred. Please choose the action "
    "taken."
)

ACTION_WITHOUT_VIOLATION = (
    "With no material violation, the action is \"No action\". Please change one of the two."
)


def determination_recorded(code: str) -> str:
    return f"The Board's determination on case {code} is recorded, encrypted, in the case file."


WAIVER_PROVISION_MISSING = (
    "A waiver must name the provision of the Code it waives (for example \"Obligation 3\"). "
    "Nothing was recorded."
)

WAIVER_GRANTED_BY_MISSING = (
    "Please say who granted the waiver (for example \"the Board of Directors\")."
)

WAIVER_REASON_MISSING = "Please give the reason for the waiver; it is kept encrypted."


def waiver_recorded(officer: str, deadline: str) -> str:
    return (
        f"The waiver for {officer} is recorded. It must be disclosed publicly (Form 8-K or the "
        f"company's website) by {deadline}; Candor reminds the committee until it is."
    )


WAIVER_NOT_FOUND = "I couldn't find that waiver."


def waiver_already_disclosed(on: str) -> str:
    return f"That waiver's disclosure was already recorded (on {on})."


WAIVER_REF_MISSING = (
    "Please give the Form 8-K reference or the web address where the waiver is disclosed."
)

WAIVER_DISCLOSED_BEFORE_GRANT = "The disclosure can't be dated before the waiver was granted."


def waiver_disclosed(officer: str, on: str) -> str:
    return f"The disclosure of the waiver for {officer} is recorded ({on})."


NO_WAIVERS = "No waivers of the Code are recorded."


# --- the determination form ---------------------------------------------------------------------

# The answers to two of the factors, by the value the form returns.
OCCURRENCES = {"single": "A single occurrence", "repeated": "Repeated occurrences"}
INTENTS = {"intentional": "Intentional", "inadvertent": "Inadvertent"}



def found_violation(violation: bool) -> str:
    return "material violation" if violation else "no material violation"


def prior_line(officer: str, decided_on: date, found: str, action: str) -> str:
    """An earlier determination as the form lists it: plain facts only."""
    return f"{officer}: {decided_on.isoformat()}, {found}, {action}"


DEFAULT_DECIDER = "Board of Directors"


def determination_title(code: str) -> str:
    return f"Determination on {code}"


DETERMINATION_SUBMIT = "Record determination"

DETERMINATION_LABELS = {
    "subject": "The officer concerned",
    "violation": "Did a material violation of the Code occur?",
    "action": "The Board's action",
    "nature": "Nature and severity of the violation",
    "occurrence": "Single or repeated",
    "intent": "Intentional or inadvertent",
    "advised": "Had the officer been advised beforehand of the proper course?",
    "prior": "Prior violations weighed (earlier determinations are listed above)",
    "decider": "Decided by (the Board, or the committee or person it designated)",
    "decided_on": "Date decided",
    "reasoning": "The Board's reasoning (kept encrypted)",
}


# --- the waiver forms and the register ----------------------------------------------------------


WAIVER_TITLE = "Record a waiver of the Code"

WAIVER_LABELS = {
    "officer": "The officer",
    "granted_by": "Granted by (e.g. the Board of Directors)",
    "granted_on": "Date granted",
    "provision": "The provision of the Code waived",
    "reason": "The reason (kept encrypted)",
}


WAIVER_SUBMIT = "Record waiver"

WAIVER_REGISTER_TITLE = "Waiver register"


def waiver_disclosed_state(on: date, ref: str | None) -> str:
    return f"disclosed {on.isoformat()} ({ref})"


def waiver_undisclosed_state(due: date) -> str:
    return f"NOT YET DISCLOSED: due {due.isoformat()}"


def waiver_heading(officer: str, provision: str) -> str:
    return f"{officer}: {provision}"


def waiver_line(granted_by: str, granted_on: date, state: str) -> str:
    return f"Granted by {granted_by} on {granted_on.isoformat()}; {state}"


def waiver_details(officer: str, provision: str, granted_by: str, granted_on: date) -> str:
    """Whose waiver the disclosure form records: shown in the form, never in the channel."""
    granted = granted_on.isoformat()
    return f"{waiver_heading(officer, provision)}. Granted by {granted_by} on {granted}."


# The button on a waiver's reminder, and the disclosure form's submit label.
RECORD_DISCLOSURE = "Record disclosure"


def record_disclosure_of(officer: str, granted_on: date) -> str:
    return f"Record disclosure: {officer}, {granted_on.isoformat()}"


DISCLOSURE_TITLE = "Record the waiver's disclosure"

DISCLOSURE_LABELS = {
    "ref": "Form 8-K reference or web address",
    "on": "Date disclosed",
}


# A waiver's officer no longer on the roster.
THE_OFFICER = "the officer"
