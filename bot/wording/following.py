"""What a reporter reads while following their case: how to check it, the "Check a case"
window, a secret typed into a chat (and the new one), the committee's questions and their
answers, the note that there is news, and the list of their named reports.
"""

from __future__ import annotations

from bot.messages import Surface, Window
from bot.wording import menus


def status_usage(surface: Surface) -> str:
    return ("Please give the case code, and the secret if you reported anonymously: "
            f"{menus.ethics('status CODE [SECRET]', surface)}.")


STATUS_TOO_MANY_GUESSES = (
    "Too many of your case checks have failed today, so checking is paused until tomorrow. "
    "Then try again, with the code and secret exactly as they were shown to you."
)


def _private_status(surface: Surface) -> str:
    if surface.window is Window.DIALOG:
        return (f"type `status` and use the {surface.bold('Check a case')} button: what you type "
                "in its window is not kept in the chat.")
    return (f"{menus.ethics('status CODE SECRET', surface)}: a command's text is not kept in "
            "the chat.")


def secret_exposed(surface: Surface) -> str:
    if surface.window is Window.DIALOG:
        return ("You typed your secret into a chat message, and this chat keeps its history (your "
                "organisation's administrators can search and export it). So the case is not shown "
                "here, and that secret no longer works. Your new secret opens below, in a window "
                "for you only. Next time, " + _private_status(surface))
    return ("You typed your secret into a chat message, and this chat keeps its history (your "
            "workspace's administrators can export it). So the case is not shown here, and that "
            "secret no longer works. Your new secret is shown below, to you only. Next time, use "
            f"{menus.ethics('status CODE SECRET', surface)}: a command's text is not kept in "
            "the chat.")


def secret_typed_not_shown(surface: Surface) -> str:
    if surface.window is Window.DIALOG:
        return ("Nothing is shown here: this chat keeps its history, and a secret typed into it "
                "could be read later. Please " + _private_status(surface)
                + " Check the code and the secret.")
    return ("Nothing is shown here: this chat keeps its history, and a secret typed into it "
            "could be read later. Please use "
            f"{menus.ethics('status CODE SECRET', surface)} instead (a command's "
            "text is not kept), and check the code and the secret.")


NEW_SECRET_TITLE = "Your new secret"


def new_secret(code: str, secret: str, surface: Surface) -> str:
    return (f"Case {surface.bold(code)}. Your new secret: {surface.bold(secret)}\nIt is shown "
            "this once and only to you; "
            "the old one no longer works. Keep it somewhere safe, outside this chat, and use it "
            + (f"in the {surface.bold('Check a case')} window (type `status`)."
               if surface.window is Window.DIALOG
               else f"with {menus.ethics('status CODE SECRET', surface)}."))


def answer_window_closed(surface: Surface) -> str:
    return ("This answer window has closed, so nothing was sent yet. Please copy your answer, open "
            f"your case again ({menus.ethics('status CODE', surface)}, with your secret if you "
            "reported anonymously) and answer from there.")


def answer_recorded(code: str) -> str:
    return f"Your answer on case {code} is recorded and the committee has been told."


def answer_held(code: str, delay_minutes: int) -> str:
    return (f"Your answer on case {code} is received. To keep its time from pointing to you, it "
            f"is recorded and the committee is told after a random delay of up to "
            f"{delay_minutes} minutes; until then your case does not list it.")


ANSWER_PROMPT = "Your answer to the committee"

CASE_NO_QUESTIONS_YET = "The committee has not asked anything yet."

NEWS_FOR_REPORTER = "There is news on a report you made"

NEWS_FOR_REPORTER_DETAIL = (
    "The details open in a window, never in this chat: a question from the Audit "
    "Committee, or where your case stands."
)

OPEN_MY_REPORTS = "Open my reports"

MY_REPORTS_TITLE = "Your named reports"

MY_REPORTS_HEADING = "Cases"

NO_NAMED_REPORTS = "None. Anonymous reports are not listed: open them with their code and secret."

STATUS_CHECK_OFFER = (
    "Check a case in a window only you see: what you type there (your code and secret) is "
    "not kept in this chat."
)

STATUS_FORM_TITLE = "Check a case"

STATUS_FORM_CODE = "Case code"

STATUS_FORM_SECRET = "Your secret (if you reported anonymously)"

STATUS_FORM_SUBMIT = "Show the case"

# The answer button a reporter is given, and the title of the form it opens.
ANSWER_THE_COMMITTEE = "Answer the committee"

ANSWER_SUBMIT = "Send answer"
