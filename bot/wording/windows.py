"""The words around a private window (a Slack modal, a Teams dialog): the button that opens it,
the line that says nothing of it stays in the chat, a view shortened to fit, and the answer when
a window is gone.
"""

from __future__ import annotations

VIEW_SHORTENED = (
    "Shortened to fit here. Nothing is lost: the full record is kept, and the committee's "
    "case file holds all of it."
)

OPEN_FORM_LABEL = "Open the form"


def form_opens_in_window(title: str) -> str:
    return f"{title}: the form opens in its own window, so nothing you type stays in this chat."


OPEN_DOCUMENT_LABEL = "Open"


def document_opens_in_window(title: str) -> str:
    return f"{title}: it opens in its own window, so nothing of it stays in this chat."


OPEN_IN_DIALOG = "Open (only you see it)"

SENT_PRIVATELY = "Sent to you privately."

VIEW_GONE = (
    "Nothing to show here: this window opens once, for the person it was made for, within "
    "10 minutes, and is then gone from Candor. Ask again for what you need."
)
