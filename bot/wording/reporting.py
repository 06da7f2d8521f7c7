"""What a reporter reads while making a report: the conversation's questions and hints, the
report form's labels, the warnings about typing in a chat, the review, and the receipt with its
case code (and secret, once, for an anonymous report). Read by bot/intake.py, bot/report_form.py
and the service.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.messages import Surface, Window
from bot.wording import menus


@dataclass(frozen=True)
class FieldWords:
    """What a reporter and the committee read of one field of a report."""

    label: str  # the form's label
    question: str  # the typed conversation's question
    heading: str  # what the review, the case view and the case file show it under
    hint: str = ""  # a line under the form's field


# The report's free-text fields, in the order `bot.report_content.FIELDS` asks them.
WHAT = FieldWords("What happened?", "What happened? Please describe it in your own words.",
                  "What happened", "Facts are most helpful: what, where, how much.")
WHO = FieldWords("Who is involved?", "Who is involved? Names and roles help the committee.",
                 "People involved", "Names and roles, if you know them.")
WHEN = FieldWords("When did it happen?", "When did it happen, or over what period?", "When")
EVIDENCE = FieldWords("What evidence exists, and where?",
                      "What evidence exists, and where can the committee find it?", "Evidence")
KNOWN = FieldWords("Does anyone else already know?",
                   "Does anyone else already know about this (a manager, the auditors, a "
                   "regulator)?", "Already known to others")

INTAKE_WELCOME = (
    "Thank you for speaking up. I'll ask a few short questions; you can type \"back\", "
    "\"cancel\" or \"help\" at any step. Nothing reaches the committee until you submit, "
    "and you can choose to stay anonymous at the end."
)

INTAKE_CATEGORY = "What is your concern about?"

def intake_question(words: FieldWords, *, limit: int, required: bool) -> str:
    optional = "" if required else " You can skip this."
    return f"{words.question} (up to {limit} characters.){optional}"


def intake_exclude(chosen: int) -> str:
    base = (
        "If this concern involves a member of the Audit Committee, or one of the advisers it may "
        "bring in, choose them here: they will not see the report or get any message about it "
        "(the committee's channel shows every member a case's code and category only). Choose "
        "\"Done\" when finished."
    )
    return base if not chosen else f"{base} ({chosen} chosen.)"


def intake_summary(*, category: str | None, given: list[tuple[FieldWords, bool]],
                   kept_away: list[str], chat: bool,
                   anonymous: bool, confidential: bool = False) -> tuple[tuple[str, str], ...]:
    """The review's lines: whether each answer was given, never what was typed. In a chat that
    keeps history the names kept away are not repeated either."""
    kept = (("given" if kept_away else "no one") if chat
            else (", ".join(kept_away) if kept_away else "no one"))
    return (
        ("Category", category or "-"),
        *((words.heading, "given" if said else "not given") for words, said in given),
        ("Kept away from", kept),
        ("Reporting", "anonymously" if anonymous
         else "confidentially" if confidential else "with your name"),
    )


INTAKE_REVIEW = "Please check your report before it goes to the Audit Committee:"


INTAKE_SKIP = "Skip"

INTAKE_BACK = "Back"

INTAKE_CANCEL = "Cancel"

INTAKE_DONE = "Done"

INTAKE_SUBMIT = "Submit"

INTAKE_NAMED = "Report with my name"

INTAKE_ANONYMOUS = "Report anonymously"

# The answer recorded when the reporter says no one else knows (not a skipped question).
NO_ONE_ELSE_KNOWS = "No one else knows"

INTAKE_CANCELLED = "Cancelled. Nothing was sent and your draft is deleted."


def intake_help(*, skippable: bool) -> str:
    return (
        "Your answers are encrypted and go only to the Audit Committee. Answer the question "
        "below, or type \"back\" to change the previous answer, or \"cancel\" to stop."
        + (" You can also type \"skip\"." if skippable else "")
    )


FORM_TITLE = "Report a concern"

FORM_SUBMIT = "Submit report"


CATEGORY_LABEL = "What is it about?"

EXCLUDE_LABEL = ("People who must not see this report (committee members, and the advisers it "
                 "may bring in)")


def designee_name(name: str, affiliation: str) -> str:
    """A person the committee may designate, as the keep-away list shows them (issue 22)."""
    return f"{name} ({affiliation}, may be designated)" if affiliation else name

EXCLUDE_HINT = ("They will not see this report or get any message about it; the committee's "
                "channel shows every member only its code and category.")

ANONYMOUS_LABEL = "Report anonymously?"

ANONYMOUS_HINT = "If yes, Candor keeps nothing that identifies you."


INTAKE_FORM_INTRO = (
    "Your report goes only to the Audit Committee, encrypted. If you report anonymously, "
    "Candor keeps nothing that identifies you."
)

INTAKE_DRAFT_EXPIRED = (
    "Your earlier draft expired after a day or more without changes and was deleted."
)

INTAKE_IN_PROGRESS = (
    "You have a report in progress, and it is kept. Here is where we were; type \"cancel\" "
    "if you would rather start over."
)


TOO_SHORT_WHAT = (
    "Please describe what happened in a sentence or two, so the committee can act on it."
)

CHOOSE_CATEGORY = "Please choose what the concern is about."

CHOOSE_IDENTITY = "Please choose whether to report with your name or anonymously."

EXCLUDE_NOT_EVERYONE = (
    "At least one member of the Audit Committee must be able to read your report, so I "
    "can't keep all of them away. If you believe the whole committee is involved, you may "
    "also take your concern to the company's outside counsel or to a regulator; nothing in "
    "the Code stops you."
)

CHAT_REPORT_WARNING = (
    "What you type here stays in this chat's history, which your workspace's "
    "administrators can export. The form above leaves nothing here. If you still prefer "
    "to type your report in this chat, choose below."
)

CHAT_REPORT_CHOICE = "Type it here instead"

INTAKE_ANONYMOUS_IN_CHAT = (
    "Anonymously, then: Candor will keep nothing that says who you are. But this chat "
    "itself links these messages to your account, for anyone who can read or export its "
    "history. For a report that nothing links to you, type \"cancel\" and use the form "
    "instead (`/ethics report`)."
)

RECEIPT_TITLE = "Report received"

RECEIPT_HEADING = "Receipt"


def _receipt_kept(surface: Surface) -> str:
    if not surface.keeps_history or surface.window is None:
        return ""
    where = "only in this window" if surface.window is Window.DIALOG else "only to you"
    search = ", which your organisation can search and export" if surface.history_searched else ""
    return (f" This receipt is shown {where} and is not kept in your chat with Candor; "
            f"any message you typed in that chat stays in its history{search}.")


def receipt_named(code: str, surface: Surface) -> str:
    return (
        f"Your report is recorded, encrypted, as case {surface.bold(code)}. The Audit Committee "
        "has been alerted. When they acknowledge it or have a question, I'll send you a note "
        "without details. You can check it any time with "
        f"{menus.ethics(f'status {code}', surface)}."
        + _receipt_kept(surface)
    )


def receipt_anonymous(code: str, secret: str, surface: Surface, *, delay_minutes: int = 0) -> str:
    return (
        f"Your report is recorded, encrypted, as case {surface.bold(code)}, and Candor kept "
        "nothing that identifies you."
        + (f" The committee is told of it after a random delay of up to {delay_minutes} minutes, "
           "so the time you made it does not point at you." if delay_minutes else "")
        + f"\nYour secret: {surface.bold(secret)}\nIt is shown this once: write it down or keep "
        "it somewhere safe, outside any chat. "
        + (f"Type `status` and use the {surface.bold('Check a case')} window with your code and "
           "secret: there you"
           if surface.window is Window.DIALOG
           else f"With {menus.ethics(f'status {code} {secret}', surface)} you")
        + " can see the committee's questions and answer them. Without the secret, nobody "
        "(not even you) can reach the case as its reporter." + _receipt_kept(surface)
    )


ANONYMOUS_DAILY_LIMIT = (
    "You have filed as many anonymous reports today as Candor accepts from one person in a day, "
    "so this one was not filed. You can send it tomorrow, or today with your name."
)
