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


def status_too_many_guesses() -> str:
    return ("Too many case checks have failed lately, so checking is paused for now. Try again in "
            "an hour or two, with the code and secret exactly as they were shown to you.")


def _private_status(surface: Surface) -> str:
    if surface.window is Window.DIALOG:
        return ("type `status` and use the *Check a case* button: what you type in its window is "
                "not kept in the chat.")
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


def new_secret_title() -> str:
    return "Your new secret"


def new_secret(code: str, secret: str, surface: Surface) -> str:
    return (f"Case *{code}*. Your new secret: *{secret}*\nIt is shown this once and only to you; "
            "the old one no longer works. Keep it somewhere safe, outside this chat, and use it "
            + ("in the *Check a case* window (type `status`)." if surface.window is Window.DIALOG
               else f"with {menus.ethics('status CODE SECRET', surface)}."))


def answer_window_closed(surface: Surface) -> str:
    return ("This answer window has closed, so nothing was sent yet. Please copy your answer, open "
            f"your case again ({menus.ethics('status CODE', surface)}, with your secret if you "
            "reported anonymously) and answer from there.")


def answer_recorded(code: str) -> str:
    return f"Your answer on case {code} is recorded and the committee has been told."


def answer_prompt() -> str:
    return "Your answer to the committee"


def case_no_questions_yet() -> str:
    return "The committee has not asked anything yet."


def news_for_reporter() -> str:
    return "There is news on a report you made"


def news_for_reporter_detail() -> str:
    return ("The details open in a window, never in this chat: a question from the Audit "
            "Committee, or where your case stands.")


def open_my_reports() -> str:
    return "Open my reports"


def my_reports_title() -> str:
    return "Your named reports"


def my_reports_heading() -> str:
    return "Cases"


def no_named_reports() -> str:
    return "None. Anonymous reports are not listed: open them with their code and secret."


def status_check_offer() -> str:
    return ("Check a case in a window only you see: what you type there (your code and secret) is "
            "not kept in this chat.")


def status_form_title() -> str:
    return "Check a case"


def status_form_code() -> str:
    return "Case code"


def status_form_secret() -> str:
    return "Your secret (if you reported anonymously)"


def status_form_submit() -> str:
    return "Show the case"


def answer_the_committee() -> str:
    """The answer button a reporter is given, and the title of the form it opens."""
    return "Answer the committee"


def answer_submit() -> str:
    return "Send answer"
