"""What people read about confidential reporting (issue 24): the three ways to report, the
receipt of a confidential report, "Confidential reporter" on the committee's views, the
reporter's own line about their name, showing it, and giving an anonymous report a name.
"""

from __future__ import annotations

from datetime import datetime

# --- at intake --------------------------------------------------------------------------------

NAMED_CHOICE = "With my name"
CONFIDENTIAL_CHOICE = "Confidential"
ANONYMOUS_CHOICE = "Anonymous"
IDENTITY_LABEL = "How should the committee know you?"
INTAKE_CONFIDENTIAL = "Report confidentially"
TYPED_CONFIDENTIAL = frozenset({"confidential", "confidentially", "sealed"})
CHOOSE_IDENTITY = "Please choose: with your name, confidential or anonymous."


def confidential_explained(quorum: int) -> str:
    """The issue's sentence, with N the quorum setting."""
    return ("Your name is sealed. The committee sees 'confidential reporter' and sees your name "
            f"only if at least {quorum} of its members agree that they need it, and you are told "
            "when and why.")


def identity_question(quorum: int) -> str:
    return ("How should the committee know you?\n"
            "• With my name: the committee sees who you are.\n"
            f"• Confidential: {confidential_explained(quorum)}\n"
            "• Anonymous: nobody, not even Candor, knows who you are; you follow the case with "
            "a code and a secret.")


def identity_hint(quorum: int) -> str:
    return (f"Confidential: {confidential_explained(quorum)} Anonymous: nobody, not even Candor, "
            "knows who you are; you follow the case with a code and a secret.")


RECEIPT_WAY = "How you reported"


def receipt_confidential(code: str, quorum: int) -> str:
    return (f"Your report was received. Its case code is {code}.\n"
            f"You reported confidentially. {confidential_explained(quorum)}\n"
            "You follow it under My reports; no code or secret is needed.")


# --- what the committee sees ---------------------------------------------------------------

CONFIDENTIAL_REPORTER = "Confidential reporter"


def revealed_reporter(name: object, email: object, how: str, on: datetime) -> str:
    return f"{name} ({email}); a confidential reporter, name shown {on:%Y-%m-%d} ({how.lower()})"


# --- the reporter's own view ------------------------------------------------------------------

YOUR_NAME = "Your name"
NAME_SEALED = "Sealed: the committee sees 'Confidential reporter'."


def name_shown(on: datetime, how: str, reason: str | None) -> str:
    text = f"Shown to the committee on {on:%Y-%m-%d} ({how.lower()})."
    return f"{text} Reason given: {reason}" if reason else text


SHOW_MY_NAME = "Show my name to the committee"
SHOW_MY_NAME_TITLE = "Show my name"
SHOW_MY_NAME_CONFIRM = (
    "The members of the committee allowed on this case will see your name and e-mail from now "
    "on. This cannot be taken back. Members kept away from the case never see it."
)
SHOW_MY_NAME_FIELD = "Show my name to the committee"
SHOW_MY_NAME_SUBMIT = "Show my name"
CONFIRM_REQUIRED = "Please answer yes to show your name, or close this window."
ALREADY_SHOWN = "Your name is already shown to the committee on this case."
NAME_NOW_SHOWN = "Your name is now shown to the committee on this case."
NOT_CONFIDENTIAL = "This is not one of your confidential reports."

# --- an anonymous report given a name -----------------------------------------------------

ADD_MY_NAME = "Put my name on this report"
ADD_MY_NAME_TITLE = "Put my name on it"
ADD_MY_NAME_WARNING = (
    "Doing so links your account to this case from then on: Candor will know that you made this "
    "report, and cannot forget it. Choose confidential to keep your name sealed from the "
    "committee, or with my name to let the committee see it."
)
ADD_MY_NAME_CHOICE = "How should the committee know you from now on?"
ADD_MY_NAME_SUBMIT = "Link my account"
CHOOSE_NAMED_OR_CONFIDENTIAL = "Please choose: confidential or with your name."
ADD_MY_NAME_DONE_CONFIDENTIAL = (
    "Your account is now linked to this case, and your name sealed from the committee. You "
    "follow it under My reports; no code or secret is needed any more."
)
ADD_MY_NAME_DONE_NAMED = (
    "Your account is now linked to this case, and the committee sees your name. You follow it "
    "under My reports; no code or secret is needed any more."
)
ADD_MY_NAME_EXPIRED = (
    "This window has closed. Please open your case again with its code and secret.")
