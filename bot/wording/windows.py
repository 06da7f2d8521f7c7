"""The words around a private window (a Slack modal, a Teams dialog): the button that opens it,
the line that says nothing of it stays in the chat, a view shortened to fit, and the answer when
a window is gone.
"""

from __future__ import annotations


def view_shortened() -> str:
    return ("Shortened to fit here. Nothing is lost: the full record is kept, and the committee's "
            "case file holds all of it.")


def open_form_label() -> str:
    return "Open the form"


def form_opens_in_window(title: str) -> str:
    return f"{title}: the form opens in its own window, so nothing you type stays in this chat."


def open_document_label() -> str:
    return "Open"


def document_opens_in_window(title: str) -> str:
    return f"{title}: it opens in its own window, so nothing of it stays in this chat."


def open_in_dialog() -> str:
    return "Open (only you see it)"


def sent_privately() -> str:
    return "Sent to you privately."


def view_gone() -> str:
    # The same words whether it was opened already, waited too long, or is someone else's: the
    # answer says nothing about a window that is not yours.
    return ("Nothing to show here: this window opens once, for the person it was made for, within "
            "10 minutes, and is then gone from Candor. Ask again for what you need.")
