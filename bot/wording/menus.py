"""The menus, the help text, and how a person types a command where they are (Teams has no
slash commands: its chat takes the words alone).

The other wording modules quote commands through `ethics`, so a sentence names the command the
person's platform understands.
"""

from __future__ import annotations

from bot.messages import Surface, Window


def menu_officer() -> str:
    return ("Hello. What would you like to do? Everything you tell me goes only to the Audit "
            "Committee.")


def menu_committee() -> str:
    return "Hello. What would you like to do?"


def report_choice() -> str:
    return "Report a concern"


def status_choice() -> str:
    return "Check a case"


def attest_choice() -> str:
    return "Annual attestation"


def cases_choice() -> str:
    return "Open cases"


def help_choice() -> str:
    return "Help"


def ethics(words: str, surface: Surface) -> str:
    """How a person types an /ethics command where they are (a chat without slash commands takes
    the words alone)."""
    return f"`/ethics {words}`" if surface.slash_commands else f"`{words}`"


def form_command(surface: Surface) -> str:
    """The words that open the report form: without slash commands, `report` alone starts the
    conversation."""
    return "`/ethics report`" if surface.slash_commands else "`ethics report`"


def attest_command(surface: Surface) -> str:
    return "`/attest`" if surface.slash_commands else "`attest`"


def help_text(*, committee: bool, surface: Surface) -> str:
    lines = [
        "*Candor* brings concerns to the Audit Committee, in confidence.",
        f"• `report` (or {form_command(surface)} for a form): report a concern, with your name or "
        "anonymously.",
        ("• `status`: the *Check a case* window, for your case's code (and secret), its status and "
         "the committee's questions. Never type your secret into this chat."
         if surface.window is Window.DIALOG else
         f"• {ethics('status CODE [SECRET]', surface)}: see your case's status and answer the "
         "committee."),
        f"• {attest_command(surface)}: your annual attestation to the Supplemental Code of Ethics.",
    ]
    if committee:
        lines += [
            f"• {ethics('cases', surface)}: the open cases.",
            f"• {ethics('open CODE', surface)}: a case's details, privately "
            "(each opening is logged).",
            f"• {ethics('waiver', surface)}: record a waiver of the Code; "
            f"{ethics('waivers', surface)}: the waiver register.",
        ]
    lines.append("Type `cancel` at any step to stop; nothing is sent until you submit.")
    if surface.keeps_history and surface.window is not None:
        readers = ("your organisation's administrators can search and export"
                   if surface.history_searched else "your workspace's administrators can export")
        shown = ("windows only you see" if surface.window is Window.DIALOG
                 else "windows (or as answers only you see)")
        lines.append(
            "Where things are kept: what you type in this chat and the bot's messages here stay in "
            f"its history, which {readers}. Forms, case details, receipts and secrets open in "
            f"{shown} and stay out of it. Candor keeps your report encrypted.")
    return "\n".join(lines)
