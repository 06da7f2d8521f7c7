"""The menus, the help text, and how a person types a command where they are (Teams has no
slash commands: its chat takes the words alone).

The other wording modules quote commands through `ethics`, so a sentence names the command the
person's platform understands.
"""

from __future__ import annotations

from storage.vocabulary import Platform


def menu_officer() -> str:
    return ("Hello. What would you like to do? Everything you tell me goes only to the Audit "
            "Committee.")


def menu_committee() -> str:
    return "Hello. What would you like to do?"


def ethics(words: str, platform: Platform) -> str:
    """How a person types an /ethics command where they are (Teams has no slash commands: its
    chat takes the words alone)."""
    return f"`{words}`" if platform is Platform.TEAMS else f"`/ethics {words}`"


def form_command(platform: Platform) -> str:
    """The words that open the report form: on Teams, `report` alone starts the conversation."""
    return "`ethics report`" if platform is Platform.TEAMS else "`/ethics report`"


def attest_command(platform: Platform) -> str:
    return "`attest`" if platform is Platform.TEAMS else "`/attest`"


def help_text(*, committee: bool, platform: Platform) -> str:
    lines = [
        "*Candor* brings concerns to the Audit Committee, in confidence.",
        f"• `report` (or {form_command(platform)} for a form): report a concern, with your name or "
        "anonymously.",
        ("• `status`: the *Check a case* window, for your case's code (and secret), its status and "
         "the committee's questions. Never type your secret into this chat."
         if platform is Platform.TEAMS else
         f"• {ethics('status CODE [SECRET]', platform)}: see your case's status and answer the "
         "committee."),
        f"• {attest_command(platform)}: your annual attestation to the Supplemental Code of "
        "Ethics.",
    ]
    if committee:
        lines += [
            f"• {ethics('cases', platform)}: the open cases.",
            f"• {ethics('open CODE', platform)}: a case's details, privately (each opening is "
            "logged).",
            f"• {ethics('waiver', platform)}: record a waiver of the Code; "
            f"{ethics('waivers', platform)}: the waiver register.",
        ]
    lines.append("Type `cancel` at any step to stop; nothing is sent until you submit.")
    if platform is Platform.SLACK:
        lines.append(
            "Where things are kept: what you type in this chat and the bot's messages here stay in "
            "its history, which your workspace's administrators can export. Forms, case details, "
            "receipts and secrets open in windows (or as answers only you see) and stay out of it. "
            "Candor keeps your report encrypted.")
    if platform is Platform.TEAMS:
        lines.append(
            "Where things are kept: what you type in this chat and the bot's messages here stay in "
            "its history, which your organisation's administrators can search and export. Forms, "
            "case details, receipts and secrets open in windows only you see and stay out of it. "
            "Candor keeps your report encrypted.")
    return "\n".join(lines)
