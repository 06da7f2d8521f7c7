"""The menus and their buttons, the homes (the officer's and the committee's), the help text, and
how a person types a command where they are (Teams has no slash commands: its chat takes the
words alone).

The other wording modules quote commands through `ethics`, so a sentence names the command the
person's platform understands.
"""

from __future__ import annotations

from datetime import date

from bot.messages import Surface, Window

MENU_OFFICER = (
    "Hello. What would you like to do? Everything you tell me goes only to the Audit "
    "Committee."
)

MENU_COMMITTEE = "Hello. What would you like to do?"


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
        f"{surface.bold('Candor')} brings concerns to the Audit Committee, in confidence.",
        f"• `report` (or {form_command(surface)} for a form): report a concern, with your name or "
        "anonymously.",
        (f"• `status`: the {surface.bold('Check a case')} window, for your case's code (and "
         "secret), its status and the committee's questions. Never type your secret into this chat."
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


# --- the menu's buttons -------------------------------------------------------------------------


REPORT_BUTTON = "Report a concern"

STATUS_BUTTON = "Check a case"

# The officer's button, and the heading of their home's attestation line.
ANNUAL_ATTESTATION = "Annual attestation"

HELP_BUTTON = "Help"

# A list of long choices (the report categories) where buttons would cut their titles: one pick
# from the list, then this button.
CONTINUE_BUTTON = "Continue"

PICK_ONE = "Please pick one."


# --- the homes (the App Home, the personal tab) -------------------------------------------------


OFFICER_HOME_TITLE = "Candor"


def named_report_line(code: str, status: str, received: date) -> str:
    return f"{code}: {status} (received {received:%Y-%m-%d})"


OFFICER_HOME_NO_REPORTS = "None. Anonymous reports are not listed: use their code and secret."

COMMITTEE_HOME_TITLE = "Audit Committee"


def open_case_line(code: str, status: str, category: str) -> str:
    return f"{code}: {status}, {category}"


OVERDUE_HEADING = "Overdue"


def overdue_acknowledgement(code: str, due: date) -> str:
    return f"{code}: not acknowledged (due {due})"


def overdue_feedback(code: str, due: date) -> str:
    return f"{code}: no feedback to the reporter (due {due})"


NOTHING_OVERDUE = "Nothing is overdue."

ROLL_HEADING = "Attestation roll"


def roll_attested(officer: str, period: int, next_due: date) -> str:
    return f"{officer}: attested for {period}; next due {next_due}"


def roll_overdue(officer: str, since: date, period: str) -> str:
    return f"{officer}: OVERDUE since {since} (for {period})"


def roll_due(officer: str, due: date | None) -> str:
    """An officer's next attestation on the roll; `None`: they have no date on the roster."""
    return f"{officer}: due {due if due is not None else 'not scheduled'}"


ROLL_EMPTY = "No officers on the roster."

DISCLOSED_HEADING = "Disclosed at attestation"


def disclosed_line(officer: str, period: str, attested_at: date) -> str:
    return f"{officer}: {period}, {attested_at:%Y-%m-%d}"


WAIVERS_HEADING = "Waivers to disclose"


def waiver_to_disclose(officer: str, provision: str, due: date) -> str:
    return f"{officer}: {provision} (disclose by {due})"


NO_WAIVERS_TO_DISCLOSE = "None. /ethics waivers shows the register."

NONE_LISTED = "None."
