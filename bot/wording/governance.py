"""What the Board's and the committee's records of the Code say: a determination on a case (the
factors the Code names, the refusals of an incomplete one) and waivers of the Code with their
public disclosure. The form labels live beside the sentences.
"""

from __future__ import annotations

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


def no_prior_determinations() -> str:
    return "None recorded."


def factor_missing(factor: str) -> str:
    return f"Please record {factor}: the Code asks the Board to weigh it. Nothing was recorded."


def action_not_in_code(choices: str) -> str:
    return f"That action is not one the Code lists. Choose one of: {choices}. Nothing was recorded."


def action_needs_violation() -> str:
    return ("\"No action\" fits only when no material violation occurred. Please choose the action "
            "taken.")


def action_without_violation() -> str:
    return "With no material violation, the action is \"No action\". Please change one of the two."


def determination_recorded(code: str) -> str:
    return f"The Board's determination on case {code} is recorded, encrypted, in the case file."


def waiver_provision_missing() -> str:
    return (
        "A waiver must name the provision of the Code it waives (for example \"Obligation 3\"). "
        "Nothing was recorded."
    )


def waiver_granted_by_missing() -> str:
    return "Please say who granted the waiver (for example \"the Board of Directors\")."


def waiver_reason_missing() -> str:
    return "Please give the reason for the waiver; it is kept encrypted."


def waiver_recorded(officer: str, deadline: str) -> str:
    return (
        f"The waiver for {officer} is recorded. It must be disclosed publicly (Form 8-K or the "
        f"company's website) by {deadline}; Candor reminds the committee until it is."
    )


def waiver_not_found() -> str:
    return "I couldn't find that waiver."


def waiver_already_disclosed(on: str) -> str:
    return f"That waiver's disclosure was already recorded (on {on})."


def waiver_ref_missing() -> str:
    return "Please give the Form 8-K reference or the web address where the waiver is disclosed."


def waiver_disclosed_before_grant() -> str:
    return "The disclosure can't be dated before the waiver was granted."


def waiver_disclosed(officer: str, on: str) -> str:
    return f"The disclosure of the waiver for {officer} is recorded ({on})."


def no_waivers() -> str:
    return "No waivers of the Code are recorded."
